"""torch.distributed's collectives over `_programs` (in place where torch writes in place)."""
from __future__ import annotations

import pickle
import zlib

import jax
import jax.numpy as jnp
import numpy as np

from . import _programs
from .distributed_c10d import ReduceOp, _group, _world

_META = 32  # int64 words describing a call; every rank's must agree before the data moves
_KINDS = ("all_reduce", "broadcast", "reduce", "all_gather", "all_gather_into_tensor",
          "reduce_scatter_tensor", "all_to_all_single", "gather", "scatter", "barrier",
          "object_sizes", "objects", "send/recv")


class Work:
    """Matches `torch.distributed.Work` for `async_op=True`: results land in place at `wait()`."""

    def __init__(self, fut, done, timeout_s, what):
        self._fut, self._done, self._timeout, self._what = fut, done, timeout_s, what

    def wait(self, timeout=None) -> bool:
        if self._done is not None:
            t = self._timeout if timeout is None else timeout.total_seconds()
            out = _programs.wait(self._fut, t, self._what) if self._fut is not None else None
            done, self._done = self._done, None
            done(out)
        return True

    def is_completed(self) -> bool:
        return self._done is None or self._fut is None or self._fut.done()

    def is_success(self) -> bool:
        return self.is_completed()

    def exception(self):
        return None

    def get_future(self):
        from .._futures import Future
        f = Future()
        self.wait()
        f.set_result([])
        return f


def _run(kind, devs, me, x, arg, async_op, timeout, what, done):
    """Launch one program; write its result through `done` now, or at `Work.wait()`."""
    fut = _programs.launch(kind, devs, me, x, arg)
    w = Work(fut, done, timeout, what)
    if async_op:
        return w
    w.wait()
    return None


def _ctx(group):
    g = _group(group)
    me = g.rank()
    if me < 0:
        raise RuntimeError(f"this rank ({_world().rank}) is not a member of {g}")
    return g, me, g._devices(), g._timeout.total_seconds()


def _array(t, name="tensor"):
    from .._tensor import Tensor
    if not isinstance(t, Tensor):
        raise TypeError(f"Invalid function argument: {name} must be a torch.Tensor, got "
                        f"{type(t).__name__}")
    return t._data


def _write(t, arr):
    from ..autograd.grad_mode import no_grad
    from .._tensor import Tensor
    with no_grad():
        t.detach()._assign(Tensor._from_array(jnp.asarray(arr).reshape(t.shape).astype(t._data.dtype)))


def _check(kind, g, me, devs, timeout, arrays=(), extra=()):
    """All-gather a small description of the call; differing shapes/dtypes raise, never hang."""
    v = np.full((_META,), -1, np.int64)
    words = [_KINDS.index(kind), *extra]
    for a in arrays:
        words += [zlib.crc32(str(a.dtype).encode()), a.ndim, *a.shape]
    if len(words) > _META:
        raise RuntimeError(f"{kind}: too many dimensions for jtorch's consistency check")
    v[:len(words)] = words
    # (inside a compiled DDP step's trace the check runs now, eagerly, once per trace)
    with jax.ensure_compile_time_eval():
        fut = _programs.launch("all_gather", devs, me, jnp.asarray(v))
        rows = np.asarray(_programs.wait(fut, timeout, lambda: f"{kind} on ranks {g._ranks}"))
    bad = [g._ranks[i] for i in range(len(rows)) if not np.array_equal(rows[i], rows[me])]
    if bad:
        other = rows[g._ranks.index(bad[0])]
        if other[0] != rows[me][0]:
            raise RuntimeError(f"{kind}: rank(s) {bad} called {_KINDS[other[0]]} at the same "
                               f"point; every rank of the group must call the same collective")
        raise RuntimeError(f"{kind}: the tensors differ across ranks (shape or dtype; rank "
                           f"{g._ranks[me]} and rank(s) {bad} disagree); every rank must pass "
                           f"tensors of the same shape and dtype")
    return rows


def _op(op, x):
    if not isinstance(op, ReduceOp.RedOpType):
        raise ValueError(f"Invalid ReduceOp: {op!r}")
    if op in (ReduceOp.PREMUL_SUM, ReduceOp.UNUSED):
        raise ValueError(f"jtorch does not support {op}")
    if op is ReduceOp.AVG and not jnp.issubdtype(x.dtype, jnp.inexact):
        raise RuntimeError(f"ReduceOp.AVG needs a floating point or complex tensor, got {x.dtype}")
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and \
            not jnp.issubdtype(x.dtype, jnp.integer) and x.dtype != jnp.bool_:
        raise RuntimeError(f"{op} needs an integer or bool tensor, got {x.dtype}")
    return op


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Matches `torch.distributed.all_reduce`."""
    x = _array(tensor)
    op = _op(op, x)
    g, me, devs, t = _ctx(group)
    _check("all_reduce", g, me, devs, t, [x], [op.value])
    xin = x.astype(jnp.int32) if x.dtype == jnp.bool_ else x
    # bool: SUM is logical or, PRODUCT logical and (as gloo); computed on 0/1 integers
    return _run("all_reduce", devs, me, xin, op, async_op, t,
                lambda: f"all_reduce on ranks {g._ranks}",
                lambda out: _write(tensor, out != 0 if x.dtype == jnp.bool_ else out))


def broadcast(tensor, src=None, group=None, async_op: bool = False, group_src=None):
    """Matches `torch.distributed.broadcast`."""
    x = _array(tensor)
    g, me, devs, t = _ctx(group)
    i = _index(g, src, group_src, "src")
    _check("broadcast", g, me, devs, t, [x], [i])
    return _run("broadcast", devs, me, x, i, async_op, t,
                lambda: f"broadcast from rank {g._ranks[i]}", lambda out: _write(tensor, out))


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op: bool = False, group_dst=None):
    """Matches `torch.distributed.reduce` (only `dst`'s tensor changes)."""
    x = _array(tensor)
    op = _op(op, x)
    g, me, devs, t = _ctx(group)
    i = _index(g, dst, group_dst, "dst")
    _check("reduce", g, me, devs, t, [x], [op.value, i])
    xin = x.astype(jnp.int32) if x.dtype == jnp.bool_ else x
    return _run("all_reduce", devs, me, xin, op, async_op, t, lambda: f"reduce to rank {g._ranks[i]}",
                lambda out: _write(tensor, out != 0 if x.dtype == jnp.bool_ else out)
                if me == i else None)


def _index(g, rank, group_rank, name):
    if rank is not None and group_rank is not None:
        raise ValueError(f"Can not specify both {name} and group_{name}")
    if group_rank is not None:
        i = group_rank
    else:
        r = 0 if rank is None else rank
        if r not in g._ranks:
            raise ValueError(f"Global rank {r} is not part of group {g}")
        i = g._ranks.index(r)
    if not 0 <= i < g.size():
        raise ValueError(f"Group rank {i} is not part of group {g}")
    return i


def all_gather(tensor_list, tensor, group=None, async_op: bool = False):
    """Matches `torch.distributed.all_gather` (every rank's tensor has the same shape)."""
    x = _array(tensor)
    g, me, devs, t = _ctx(group)
    if len(tensor_list) != g.size():
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} tensors, the group "
                         f"has {g.size()} ranks")
    for o in tensor_list:
        if tuple(o.shape) != tuple(x.shape):
            raise RuntimeError(f"all_gather: output tensor of shape {tuple(o.shape)} does not "
                               f"match the input shape {tuple(x.shape)}")
    _check("all_gather", g, me, devs, t, [x])
    def done(out):
        for k, o in enumerate(tensor_list):
            _write(o, out[k])
    return _run("all_gather", devs, me, x, None, async_op, t,
                lambda: f"all_gather on ranks {g._ranks}", done)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op: bool = False):
    """Matches `torch.distributed.all_gather_into_tensor` (concatenated or stacked on dim 0)."""
    x = _array(input_tensor, "input_tensor")
    g, me, devs, t = _ctx(group)
    n = g.size()
    oshape = tuple(output_tensor.shape)
    if oshape not in ((n * x.shape[0],) + x.shape[1:] if x.ndim else (n,), (n,) + x.shape):
        raise ValueError(f"all_gather_into_tensor: output size {oshape} is not world_size ({n}) "
                         f"times the input size {tuple(x.shape)}")
    _check("all_gather_into_tensor", g, me, devs, t, [x])
    return _run("all_gather", devs, me, x, None, async_op, t,
                lambda: f"all_gather_into_tensor on ranks {g._ranks}",
                lambda out: _write(output_tensor, out))


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Matches `torch.distributed.reduce_scatter_tensor`."""
    x = _array(input, "input")
    op = _op(op, x)
    g, me, devs, t = _ctx(group)
    n = g.size()
    if x.size != n * output.numel() or x.dtype != output._data.dtype:
        raise ValueError(f"reduce_scatter_tensor: input size {tuple(x.shape)} must be world_size "
                         f"({n}) times the output size {tuple(output.shape)}, same dtype")
    _check("reduce_scatter_tensor", g, me, devs, t, [x], [op.value])
    flat = x.reshape(n, -1)
    return _run("reduce_scatter", devs, me, flat, op, async_op, t,
                lambda: f"reduce_scatter_tensor on ranks {g._ranks}", lambda out: _write(output, out))


def gather(tensor, gather_list=None, dst=None, group=None, async_op: bool = False, group_dst=None):
    """Matches `torch.distributed.gather`."""
    x = _array(tensor)
    g, me, devs, t = _ctx(group)
    i = _index(g, dst, group_dst, "dst")
    if me == i and (gather_list is None or len(gather_list) != g.size()):
        raise ValueError("gather: the destination rank needs gather_list with one tensor per rank")
    if me != i and gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    _check("gather", g, me, devs, t, [x], [i])
    def done(out):
        for k, o in enumerate(gather_list if me == i else ()):
            _write(o, out[k])
    return _run("all_gather", devs, me, x, None, async_op, t, lambda: f"gather to rank {g._ranks[i]}",
                done)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op: bool = False,
            group_src=None):
    """Matches `torch.distributed.scatter`."""
    x = _array(tensor)
    g, me, devs, t = _ctx(group)
    i = _index(g, src, group_src, "src")
    n = g.size()
    if me == i:
        if scatter_list is None or len(scatter_list) != n:
            raise ValueError("scatter: the source rank needs scatter_list with one tensor per rank")
        src_block = jnp.stack([_array(s) for s in scatter_list])
    elif scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    else:
        src_block = jnp.zeros((n,) + x.shape, x.dtype)
    _check("scatter", g, me, devs, t, [x], [i])
    return _run("broadcast", devs, me, src_block, i, async_op, t,
                lambda: f"scatter from rank {g._ranks[i]}", lambda out: _write(tensor, out[0, me]))


def barrier(group=None, async_op: bool = False, device_ids=None, timeout=None):
    """Matches `torch.distributed.barrier`."""
    g, me, devs, t = _ctx(group)
    t = t if timeout is None else timeout.total_seconds()
    _check("barrier", g, me, devs, t)
    return Work(None, lambda out: None, t, lambda: "barrier") if async_op else None


def _objects(g, me, devs, t, payload: bytes):
    """Every rank's pickled object: sizes first, then the bytes padded to the longest."""
    rows = _check("object_sizes", g, me, devs, t)
    del rows
    size = jnp.asarray(np.array([len(payload)], np.int64))
    sizes = np.asarray(_programs.wait(_programs.launch("all_gather", devs, me, size), t,
                                      lambda: "object size exchange"))[:, 0]
    buf = np.zeros((int(sizes.max()),), np.uint8)
    buf[:len(payload)] = np.frombuffer(payload, np.uint8)
    allb = np.asarray(_programs.wait(_programs.launch("all_gather", devs, me, jnp.asarray(buf)),
                                     t, lambda: "object exchange"))
    return [pickle.loads(allb[k, :sizes[k]].tobytes()) for k in range(len(sizes))]


def all_gather_object(object_list, obj, group=None):
    """Matches `torch.distributed.all_gather_object` (pickles, as torch does)."""
    g, me, devs, t = _ctx(group)
    objs = _objects(g, me, devs, t, pickle.dumps(obj))
    object_list[:len(objs)] = objs


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    """Matches `torch.distributed.gather_object`."""
    g, me, devs, t = _ctx(group)
    i = _index(g, dst, group_dst, "dst")
    objs = _objects(g, me, devs, t, pickle.dumps(obj))
    if me == i:
        object_gather_list[:len(objs)] = objs


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Matches `torch.distributed.broadcast_object_list`."""
    g, me, devs, t = _ctx(group)
    i = _index(g, src, group_src, "src")
    objs = _objects(g, me, devs, t, pickle.dumps(list(object_list) if me == i else None))
    object_list[:] = objs[i]


def _p2p(kind_tensor, peer, group, group_peer, name, sending):
    x = _array(kind_tensor)
    g, me, devs, t = _ctx(group)
    j = _index(g, peer, group_peer, name)
    if j == me:
        raise ValueError(f"Invalid {name} rank: a rank cannot {'send to' if sending else 'receive from'} itself")
    src, dst = (me, j) if sending else (j, me)
    pair = (devs[src], devs[dst])
    pos = 0 if sending else 1
    fut = _programs.launch("permute", pair, pos, x, ((0, 1),))
    out = _programs.wait(fut, t, lambda: f"{'send to' if sending else 'recv from'} rank "
                                         f"{g._ranks[j]}")
    return out, g._ranks[j]


def send(tensor, dst=None, group=None, tag: int = 0, group_dst=None) -> None:
    """Matches `torch.distributed.send`: pairs with the peer's `recv` (same shape and dtype)."""
    _p2p(tensor, dst, group, group_dst, "dst", True)


def recv(tensor, src=None, group=None, tag: int = 0, group_src=None) -> int:
    """Matches `torch.distributed.recv`; `src` is required (no receive-from-any)."""
    if src is None and group_src is None:
        raise RuntimeError("jtorch: recv needs src= (receiving from any rank is not supported)")
    out, r = _p2p(tensor, src, group, group_src, "src", False)
    _write(tensor, out)
    return r
