"""`cat`/`stack` of long tensor lists in linear time (eager, CPU).

XLA compiles one program per list length, and its compile time grows faster than the length
(a `stack` of 1000 tensors and its backward took minutes). For long lists of concrete
same-dtype arrays on the CPU backend, the join is done with numpy (no program at all) and the
backward splits the gradient with numpy views, so both cost time linear in the list length.
Anything else (tracers, mixed dtypes, `out=`, bad input whose error torch's path reports) takes
the ordinary dispatch path.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

LONG = 64  # lists at least this long take this path


def _cpu():
    return jax.default_backend() == "cpu"


def join(op, args, kwargs, mode, enabled):
    """The joined Tensor, or None to take the ordinary path."""
    from ._tensor import Tensor
    from .autograd import engine
    if kwargs and set(kwargs) - {"dim"}:
        return None
    tensors = args[0]
    dim = kwargs.get("dim", args[1] if len(args) > 1 else 0)
    if not isinstance(dim, int) or isinstance(dim, bool) or not _cpu():
        return None
    if not all(type(t) is Tensor for t in tensors):
        return None
    arrs = [t._sa if t._st is None else t._value() for t in tensors]
    a0 = arrs[0]
    if isinstance(a0, jax.core.Tracer) or not isinstance(a0, jax.Array):
        return None
    dt, shape = a0.dtype, a0.shape
    for a in arrs:
        if not isinstance(a, jax.Array) or isinstance(a, jax.core.Tracer) or a.dtype != dt:
            return None
    nd = len(shape)
    if op.name == "stack":
        if any(a.shape != shape for a in arrs) or not -(nd + 1) <= dim <= nd:
            return None
        ax = dim % (nd + 1)
        out = np.stack([np.asarray(a) for a in arrs], axis=ax)
        sizes = None
    else:
        if nd == 0 or not -nd <= dim < nd:
            return None
        ax = dim % nd
        if any(a.ndim != nd or a.shape[:ax] + a.shape[ax + 1:] != shape[:ax] + shape[ax + 1:]
               for a in arrs):
            return None
        out = np.concatenate([np.asarray(a) for a in arrs], axis=ax)
        sizes = [a.shape[ax] for a in arrs]
    res = Tensor._from_array(jnp.asarray(out))
    diff = [i for i, t in enumerate(tensors) if t._rg] if enabled and dt.kind in "fcV" else []
    if diff:
        def pullback(ct, _ax=ax, _sizes=sizes, _diff=diff):
            c = np.asarray(ct)
            if _sizes is None:
                parts = [np.take(c, i, axis=_ax) for i in _diff]
            else:
                bounds = np.cumsum([0] + _sizes)
                parts = [np.take(c, np.arange(bounds[i], bounds[i + 1]), axis=_ax) for i in _diff]
            return tuple(jnp.asarray(p) for p in parts)
        name = "StackBackward0" if op.name == "stack" else "CatBackward0"
        node = engine.node_type(name)(pullback, tuple(tensors[i]._edge() for i in diff),
                                      res._sa)
        node.eager = True
        node.torch_ct = True  # a split: real coefficients, the same in both conventions
        res._node, res._onr, res._rg = node, 0, True
    if mode & 4:  # inference mode: an inference tensor, as every op's output there
        res._inf = True
    return res
