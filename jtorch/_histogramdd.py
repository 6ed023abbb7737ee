"""`torch.histogramdd` (eager: runs on concrete values with numpy, like `histogram`)."""
from __future__ import annotations

import collections

import jax.numpy as jnp
import numpy as np

from ._tensor import Tensor

_HISTDD = collections.namedtuple("histogramdd", ["hist", "bin_edges"])
_HISTDD.__module__ = "torch.return_types"


def histogramdd(input, bins=10, *, range=None, weight=None, density=False):
    """Matches `torch.histogramdd`: the last dim of `input` indexes the coordinates."""
    a = np.asarray(input._concrete("torch.histogramdd"))
    d = a.shape[-1]
    a = a.reshape(-1, d)
    if isinstance(bins, Tensor):
        bins = [bins]
    if isinstance(bins, (list, tuple)) and bins and isinstance(bins[0], Tensor):
        edges = [np.asarray(b._concrete("torch.histogramdd"), np.float64) for b in bins]
        linear = False
    else:
        counts = [int(bins)] * d if isinstance(bins, (int, np.integer)) else [int(b) for b in bins]
        if len(counts) != d:
            raise RuntimeError(f"torch.histogramdd: expected {d} sequences of bin edges for each of "
                               f"the {d} input dimensions, but got {len(counts)}")
        edges, linear = [], True
        for i, n in enumerate(counts):
            if range is not None:
                lo, hi = float(range[2 * i]), float(range[2 * i + 1])
            elif a.shape[0] == 0:
                lo, hi = 0.0, 1.0
            else:
                lo, hi = float(a[:, i].min()), float(a[:, i].max())
            if lo == hi:  # a single value: a unit-wide range around it, as torch
                lo, hi = lo - 0.5, hi + 0.5
            edges.append(np.linspace(lo, hi, n + 1))
    w = np.ones(a.shape[0]) if weight is None else \
        np.asarray(weight._concrete("torch.histogramdd"), np.float64).reshape(-1)
    h = _count(a, edges, linear, w)
    if density:
        total = h.sum()
        with np.errstate(invalid="ignore", divide="ignore"):  # empty input: nan, as torch
            for i, e in enumerate(edges):
                shape = [1] * d
                shape[i] = -1
                h = h / np.diff(e).reshape(shape)
            h = h / total
    dt = input.dtype.np
    return _HISTDD(Tensor._from_array(jnp.asarray(h, dt)),
                   tuple(Tensor._from_array(jnp.asarray(e, dt)) for e in edges))


def _upper_bound(e, x):
    """std::upper_bound's bisection for every x (defined even when e is not sorted)."""
    first = np.zeros(x.shape, np.int64)
    count = np.full(x.shape, len(e), np.int64)
    while (count > 0).any():
        step = count // 2
        it = first + step
        right = (count > 0) & (e[np.minimum(it, len(e) - 1)] <= x)
        first = np.where(right, it + 1, first)
        count = np.where(right, count - step - 1, np.where(count > 0, step, 0))
    return first


def _count(a, edges, linear, w):
    """Weighted counts per bin, located as torch does: arithmetically (then corrected against
    the edges) for evenly spaced bins, by bisection (even over unsorted edges) for given edges."""
    n, d = a.shape
    keep = np.ones(n, bool)
    flat = np.zeros(n, np.int64)
    for i, e in enumerate(edges):
        x, nb = np.nan_to_num(a[:, i].astype(np.float64)), len(e) - 1
        keep &= (a[:, i] >= e[0]) & (a[:, i] <= e[-1])
        if linear:
            with np.errstate(invalid="ignore", divide="ignore"):
                pos = np.nan_to_num(np.floor((x - e[0]) * nb / (e[-1] - e[0])))
            pos = np.clip(pos, 0, nb).astype(np.int64)
            pos -= (x < e[pos]).astype(np.int64)
            nxt = np.minimum(pos + 1, nb)
            pos += ((pos + 1 <= nb) & (x >= e[nxt])).astype(np.int64)
        else:
            pos = _upper_bound(e, x) - 1
        pos = np.clip(pos, 0, nb - 1)  # the right edge belongs to the last bin
        flat = flat * nb + pos
    h = np.zeros(int(np.prod([len(e) - 1 for e in edges])), np.float64)
    np.add.at(h, flat[keep], w[keep])
    return h.reshape([len(e) - 1 for e in edges])
