"""torch.distributed's all-to-alls, uneven splits included, over one equal-chunk XLA all-to-all.

XLA's all-to-all moves equal chunks. For torch's split sizes every rank first learns all ranks'
splits (one small all-gather, which also lets every rank refuse a mismatch at once instead of
hanging); each then pads its chunk for rank j to the largest chunk any rank sends, runs the
equal all-to-all (`_programs`' cached program), and keeps the first `output_split_sizes[i]` rows
of the block from rank i.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from . import _programs
from ._collectives import _array, _check, _ctx, _run, _write

_UNEVEN = -7  # a word in the cross-rank check: this rank takes the split-sizes path


def _splits(sizes, total, n):
    """torch's split sizes as a list (None or []: equal splits), checked as torch checks them."""
    if sizes is None or len(sizes) == 0:
        if total % n:
            raise ValueError(f"all_to_all_single: dim 0 ({total}) must divide by the group size "
                             f"{n} when no split sizes are given")
        return None
    sizes = [int(s) for s in sizes]
    if len(sizes) != n:
        raise RuntimeError("Number of tensor splits not equal to group size")
    if sum(sizes) != total or min(sizes) < 0:
        raise RuntimeError("Split sizes doesn't match total dim 0 size")
    return sizes


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None, group=None,
                      async_op: bool = False):
    """Matches `torch.distributed.all_to_all_single`: rows `input_split_sizes[j]` of `input` go
    to rank j; `output` receives `output_split_sizes[i]` rows from rank i, in rank order."""
    x = _array(input, "input")
    g, me, devs, t = _ctx(group)
    n = g.size()
    if x.ndim == 0 or output.ndim == 0:
        raise ValueError("all_to_all_single: input and output need at least one dimension")
    ins = _splits(input_split_sizes, x.shape[0], n)
    outs = _splits(output_split_sizes, output.shape[0], n)
    what = lambda: f"all_to_all_single on ranks {g._ranks}"  # noqa: E731
    if ins is None and outs is None:
        if tuple(output.shape) != x.shape:
            raise ValueError(f"all_to_all_single: output must have the input's shape "
                             f"{tuple(x.shape)} when no split sizes are given")
        _check("all_to_all_single", g, me, devs, t, [x])
        return _run("all_to_all", devs, me, x, None, async_op, t, what,
                    lambda out: _write(output, out))
    ins = ins or [x.shape[0] // n] * n
    outs = outs or [output.shape[0] // n] * n
    if tuple(output.shape[1:]) != x.shape[1:]:
        raise ValueError(f"all_to_all_single: output's trailing shape {tuple(output.shape[1:])} "
                         f"differs from input's {x.shape[1:]}")
    padded, keep = _plan(x, ins, outs, g, me, devs, t)
    if padded is None:  # every split is empty: nothing moves
        return _run_nothing(output, async_op)
    return _run("all_to_all", devs, me, padded, None, async_op, t, what,
                lambda out: _write(output, out.reshape((-1,) + x.shape[1:])[keep]))


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op: bool = False):
    """Matches `torch.distributed.all_to_all`: `input_tensor_list[j]` goes to rank j and rank i's
    tensor lands in `output_tensor_list[i]`. Sizes may differ pairwise (as with NCCL; torch's gloo
    backend requires equal sizes); every tensor must have the same dtype."""
    g, me, devs, t = _ctx(group)
    n = g.size()
    if len(input_tensor_list) != n or len(output_tensor_list) != n:
        raise RuntimeError("Number of tensor splits not equal to group size")
    xs = [_array(x, "input_tensor_list") for x in input_tensor_list]
    dts = {x.dtype for x in xs} | {o._data.dtype for o in output_tensor_list}
    if len(dts) > 1:
        raise RuntimeError(f"all_to_all: every input and output tensor must have one dtype, got "
                           f"{sorted(map(str, dts))}")
    flat = jnp.concatenate([x.reshape(-1) for x in xs])
    ins, outs = [x.size for x in xs], [o.numel() for o in output_tensor_list]
    padded, keep = _plan(flat, ins, outs, g, me, devs, t)

    def done(out):
        got, off = out.reshape(-1)[keep], 0
        for o, k in zip(output_tensor_list, outs):
            _write(o, got[off:off + k])
            off += k
    if padded is None:
        return _run_nothing(None, async_op)
    return _run("all_to_all", devs, me, padded, None, async_op, t,
                lambda: f"all_to_all on ranks {g._ranks}", done)


def _plan(x, ins, outs, g, me, devs, t):
    """Exchange every rank's splits (refusing a mismatch on every rank), then this rank's padded
    (n * m, ...) input for the equal all-to-all and the received rows to keep (an index array);
    (None, None) when no rank sends anything."""
    n = len(ins)
    desc = jax.ShapeDtypeStruct((0,) + tuple(x.shape[1:]), x.dtype)
    _check("all_to_all_single", g, me, devs, t, [desc], [_UNEVEN])
    with jax.ensure_compile_time_eval():  # (at trace time inside a compiled step)
        fut = _programs.launch("all_gather", devs, me, jnp.asarray(ins + outs, jnp.int64))
        rows = np.asarray(_programs.wait(fut, t, lambda: f"all_to_all split sizes on ranks "
                                                         f"{g._ranks}")).reshape(n, 2 * n)
    sends, recvs = rows[:, :n], rows[:, n:]
    for i in range(n):
        for j in range(n):
            if sends[i, j] != recvs[j, i]:
                raise RuntimeError(
                    f"all_to_all: rank {g._ranks[i]} sends {sends[i, j]} rows to rank "
                    f"{g._ranks[j]}, whose output_split_sizes expect {recvs[j, i]} from it")
    m = int(sends.max())
    if m == 0:
        return None, None
    starts = np.concatenate([[0], np.cumsum(ins)[:-1]])
    # row k of chunk j: input row starts[j] + k (rows past the chunk repeat one; never kept)
    idx = np.array([starts[j] + min(k, max(ins[j] - 1, 0)) for j in range(n) for k in range(m)])
    if x.shape[0] == 0:
        padded = jnp.zeros((n * m,) + tuple(x.shape[1:]), x.dtype)
    else:
        padded = x[np.minimum(idx, x.shape[0] - 1)]
    keep = np.array([i * m + k for i in range(n) for k in range(outs[i])], np.int64)
    return padded, keep


def _run_nothing(output, async_op):
    from ._collectives import Work
    w = Work(None, None, 0, lambda: "")
    return w if async_op else None
