"""Data-movement ops at an input signature seen only a few times run on the host (issue 15).

Every op compiles one XLA program per new input signature (10-100+ ms on a CPU, more under
load). Ops that only move data -- a view step (slice, narrow, select, split, transpose/permute,
view/reshape, expand, diagonal, unfold, as_strided, real/imag), `clone`/`contiguous`, `cat`
of same-dtype arrays and `embedding`'s row lookup -- give the same bytes when numpy computes them. So for the first `CALLS`
(64) calls of a signature (shapes, dtypes, static arguments), with concrete arrays on the CPU
and autograd not recording, numpy computes the result; later calls take the op's jit (compiled
once, then JAX's fast path, which is quicker than the host round trip: copying numpy data back
into a jax array costs ~0.1-0.3 ms, so a signature that keeps repeating is worth compiling).
A ski-rental bound: a signature that repeats forever pays at most CALLS host calls (a few ms)
on top of its one compile; one used a few times (text generation over a growing context, where
each length is used once per layer; a last smaller batch; a new list length) compiles nothing.

Exactness: the numpy path is `_view.read_step(..., xp=np)` (the same step code) with
`dynamic_slice`'s clamping of start indices applied first, and `np.concatenate` only where
`cat` neither promotes nor skips empties, so results are bit-identical to the jitted body;
weakly typed inputs (whose jit result stays weakly typed), `bitcast` steps, tracers and
non-CPU arrays take the jit. The hot path pays one dict lookup per call of these four ops.
`JTORCH_HOST_FIRST_SHAPE=N` sets CALLS (0: off, every call takes the jit).

View steps that take the jit get their dynamic starts (`x[i]`, `x[:, a:b]`: Python ints) as
cached device scalars (`device_starts`): jit copies every Python int argument to the device on
each call (several microseconds each, a third of a small view's cost); a cached scalar is
passed as is. `jax.device_put` of a Python int is weakly typed, uncommitted int64 like the int
itself, so the traced program, the executable and the result are the same.
"""
from __future__ import annotations

import os

import jax
import numpy as np

from . import _view
from .ops._registry import REGISTRY

# JTORCH_HOST_FIRST_SHAPE=N: a signature's first N calls run on the host (0: never, as before).
CALLS = int(os.environ.get("JTORCH_HOST_FIRST_SHAPE", "64"))
ENABLED = [CALLS > 0]
MAX_SEEN = 1 << 14  # signatures remembered per op before the set starts over (memory bound)
_STEP = REGISTRY["_view_step"]
_CLONE = REGISTRY["clone"]
_CAT = REGISTRY["cat"]
_EMB = REGISTRY["embedding"]
OPS = frozenset((_STEP, _CLONE, _CAT, _EMB))
_SEEN: dict = {_STEP: {}, _CLONE: {}, _CAT: {}, _EMB: {}}  # op -> {signature: host calls so far}
_TYPES = (jax.Array,)
_TRACER = jax.core.Tracer
COUNT = [0]  # calls answered on the host (tests, benchmarks)
MAX_INTS = 1 << 12  # cached start scalars before the cache starts over (memory bound)
_INTS: dict = {}  # Python int -> its device scalar


def _cpu_array(x):
    """x as a read-only numpy view when it is a concrete, strongly typed CPU jax array."""
    if not isinstance(x, _TYPES) or isinstance(x, jax.core.Tracer) or x.weak_type:
        return None
    try:
        devs = x.devices()
    except Exception:  # noqa: BLE001 -- deleted or otherwise unusable array: let jit say why
        return None
    if len(devs) != 1 or next(iter(devs)).platform != "cpu":
        return None
    try:
        return np.asarray(x)
    except Exception:  # noqa: BLE001 -- a deleted (donated) buffer: the jit reports it
        return None


def _put(y, inputs):
    """y as a jax array placed as the jit would place it: committed to the inputs' device when
    one of them is committed, else uncommitted (a committed argument would give later jitted
    ops another cache entry, so another compile)."""
    COUNT[0] += 1
    for t in inputs:
        if t.committed:
            return jax.device_put(y, next(iter(t.devices())))
    return jax.device_put(y)


def _clamped(shape, step, dyn):
    """The dynamic starts clamped as `lax.dynamic_slice` clamps them."""
    st, sz, _, _ = _view._index_plan(shape, step[1], [int(d) for d in dyn])
    return tuple(min(max(s, 0), max(n - k, 0)) for s, n, k in zip(st[:len(dyn)], shape, sz))


def run(op, arrs, kw):
    """The op's result computed with numpy, or None when the jit should run it (a signature
    seen before, or inputs/arguments this path does not cover)."""
    if op is _STEP:
        if len(arrs) != 2 or len(kw) != 1 or "step" not in kw:
            return None
        x, dyn, step = arrs[0], arrs[1], kw["step"]
        if not hasattr(x, "shape") or step[0] == "bitcast":
            return None
        try:
            if not ENABLED[0] or not _first(op, (x.shape, x.dtype, step)):
                if dyn and not isinstance(x, _TRACER):  # in a trace ints stay literals
                    arrs[1] = device_starts(dyn)
                return None
        except TypeError:  # an unhashable static argument: the jit's error path handles it
            return None
        key = None
    elif not ENABLED[0]:
        return None
    elif op is _CAT:
        return _cat(arrs, kw)
    elif op is _EMB:
        return _embedding(arrs, kw)
    else:
        if len(arrs) != 1 or (kw and set(kw) != {"memory_format"}):
            return None
        x = arrs[0]
        if not hasattr(x, "shape"):
            return None
        key = (x.shape, x.dtype, kw.get("memory_format"))
    try:
        if key is not None and not _first(op, key):
            return None
    except TypeError:  # an unhashable static argument: the jit's error path handles it
        return None
    h = _cpu_array(x)
    if h is None:
        return None
    try:
        if op is _STEP:
            if step[0] == "index":
                if any(isinstance(d, jax.core.Tracer) for d in dyn):
                    return None
                dyn = _clamped(x.shape, step, dyn)
            y = _view.read_step(h, step, dyn, np)
        else:
            y = h
        y = np.array(y, copy=True)
    except Exception:  # noqa: BLE001 -- the jit runs it and reports any error as usual
        return None
    return _put(y, (x,))


def device_starts(dyn):
    """`dyn` with each Python int replaced by its cached device scalar; `dyn` itself when it
    holds anything else (a tracer, a numpy or jax integer: those keep their own types)."""
    out = []
    for d in dyn:
        if type(d) is not int:
            return dyn
        v = _INTS.get(d)
        if v is None:
            if not -(1 << 63) <= d < (1 << 63):
                return dyn  # the jit reports it as usual
            if len(_INTS) >= MAX_INTS:
                _INTS.clear()
            v = _INTS[d] = jax.device_put(d)
        out.append(v)
    return tuple(out)


def _first(op, key):
    """True while `key` has run on the host fewer than CALLS times for `op` (and count it)."""
    seen = _SEEN[op]
    n = seen.get(key, 0)
    if n >= CALLS:
        return False
    if not n and len(seen) >= MAX_SEEN:
        seen.clear()
    seen[key] = n + 1
    return True


def _cat(arrs, kw):
    """`cat` of same-dtype, same-rank (>= 1), non-empty-1-D arrays whose other sizes agree, at
    a first-seen signature: `np.concatenate` (anything else -- promotion, skipped empties,
    errors -- is the jit's)."""
    if not 1 <= len(arrs) <= 2 or (kw and set(kw) != {"dim"}) or (kw and len(arrs) == 2):
        return None
    ts, dim = arrs[0], (arrs[1] if len(arrs) == 2 else kw.get("dim", 0))
    if type(ts) not in (list, tuple) or not ts or type(dim) is not int:
        return None
    try:
        key = (tuple([t.shape for t in ts]), dim)
    except AttributeError:
        return None
    if not _first(_CAT, key):  # the steady state leaves here, before the checks below
        return None
    x = ts[0]
    if x.ndim == 0 or not -x.ndim <= dim < x.ndim:
        return None
    ax = dim % x.ndim
    for t in ts:
        if t.dtype != x.dtype or t.ndim != x.ndim or (t.ndim == 1 and t.shape[0] == 0):
            return None
        if t.shape[:ax] != x.shape[:ax] or t.shape[ax + 1:] != x.shape[ax + 1:]:
            return None
    hs = [_cpu_array(t) for t in ts]
    if any(h is None for h in hs) or len({next(iter(t.devices())) for t in ts}) != 1:
        return None
    return _put(np.concatenate(hs, axis=ax), ts)


def _embedding(arrs, kw):
    """`embedding`'s row lookup (`np.take` of rows; the padding row only changes gradients)
    for integer indices all within the table (else the jit, which reports errors as usual)."""
    if not 2 <= len(arrs) <= 3 or (kw and set(kw) != {"padding_idx"}):
        return None
    idx, w = arrs[0], arrs[1]
    try:
        key = (idx.shape, idx.dtype, w.shape, w.dtype)
    except AttributeError:
        return None
    if not _first(_EMB, key) or idx.dtype.kind not in "iu" or w.ndim != 2:
        return None
    hi, hw = _cpu_array(idx), _cpu_array(w)
    if hi is None or hw is None or next(iter(idx.devices())) != next(iter(w.devices())):
        return None
    if hi.size and (hi.min() < 0 or hi.max() >= hw.shape[0]):
        return None
    return _put(np.take(hw, hi, axis=0), (idx, w))
