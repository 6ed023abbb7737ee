"""The meta device: tensors with a shape and a dtype but no data.

A meta tensor's storage array is a `MetaArray`. The common path never checks for one: it is
not a JAX type, so `jax.jit` refuses it with a TypeError (eagerly and inside traces alike),
and the dispatch point's error handler (and the view reader's) hands the call to `apply`
here, where `eval_shape` of the same compiled body gives the outputs' shapes and dtypes
without running anything.
"""
from __future__ import annotations

import math

import jax
import numpy as np


class MetaArray:
    """A meta tensor's storage: a shape and a dtype, no buffer."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: math.prod(self.shape))

    def __repr__(self):
        return f"MetaArray({self.shape}, {self.dtype})"


def _spec(a):
    """MetaArray -> jax.ShapeDtypeStruct (what eval_shape takes), in lists too."""
    if type(a) is MetaArray:
        return jax.ShapeDtypeStruct(a.shape, a.dtype)
    if type(a) in (list, tuple):
        return type(a)(_spec(e) for e in a)
    return a


def _unspec(out):
    return jax.tree_util.tree_map(lambda s: MetaArray(s.shape, s.dtype), out)


def has_meta(arrs, kw) -> bool:
    for a in list(arrs) + list(kw.values()):
        if type(a) is MetaArray or (type(a) in (list, tuple) and
                                    any(type(e) is MetaArray for e in a)):
            return True
    return False


def view_value(storage, dyn, steps):
    """A view of a meta storage: its shape and dtype (`_view.read_chain` evaluated abstractly)."""
    from . import _view
    return _unspec(_view.read_chain_jit.eval_shape(_spec(storage), dyn, steps))


def _check_devices(op, args, kwargs):
    """torch's device rule for meta ops: other tensors must be meta too, except 0-dim ones."""
    from ._tensor import Tensor
    if op.name == "_copy_into":  # meta.copy_(cpu) is allowed; cpu.copy_(meta) reads no data
        if not args[0].is_meta:
            raise NotImplementedError("Cannot copy out of meta tensor; no data!")
        return
    flat = list(args) + list(kwargs.values())
    for a in flat:
        for t in (a if type(a) in (list, tuple) else (a,)):
            if isinstance(t, Tensor) and not t.is_meta and t.ndim > 0:
                raise RuntimeError(f"Tensor on device {t.device} is not on the expected device "
                                   "meta! Move it with .to('meta') first.")


def _hashable(v):
    if isinstance(v, list) or type(v) is tuple:
        return tuple(_hashable(e) for e in v)
    return v


def _no_backward(*cts):
    raise NotImplementedError("backward through meta tensors is not supported by jtorch (they "
                              "have no values to differentiate); run the model on a real device")


def _node(op, args, kwargs, out, mode):
    """torch's grad_fn for a meta op with an input that requires grad (backward raises)."""
    from ._tensor import Tensor
    from .autograd import engine
    from .autograd.grad_mode import ENABLED
    if not (mode & ENABLED and op.diff):
        return None
    flat = [t for a in list(args) + list(kwargs.values())
            for t in (a if type(a) in (list, tuple) else (a,))]
    edges = tuple(t._edge() for t in flat if isinstance(t, Tensor) and t._rg)
    if not edges:
        return None
    cls = op.node_cls if op.grad_names is None else engine.node_type(op.grad_names(args, kwargs))
    node = cls(_no_backward, edges, out)
    node.eager = True
    return node


def apply(op, args, kwargs, arrs, kw, mode):
    """An op on meta tensors: output shapes and dtypes from `eval_shape`; a grad_fn whose
    backward raises."""
    from . import _dispatch
    _check_devices(op, args, kwargs)
    arrs, kw = [_spec(a) for a in arrs], {k: _spec(v) for k, v in kw.items()}
    try:
        try:
            out = op.jit_plain.eval_shape(*arrs, **kw)
        except ValueError as e:
            if "hashable" not in str(e):
                raise
            out = op.jit_plain.eval_shape(*[_hashable(a) for a in arrs],
                                          **{k: _hashable(v) for k, v in kw.items()})
    except (jax.errors.ConcretizationTypeError, jax.errors.NonConcreteBooleanIndexError,
            jax.errors.TracerBoolConversionError, jax.errors.TracerIntegerConversionError) as e:
        raise NotImplementedError(
            f"{op.name}: its output shape or behaviour depends on the data, which meta tensors "
            "do not have; run it on a real device") from e
    out = _unspec(out)
    return _dispatch._wrap_out(out, _node(op, args, kwargs, out, mode), mode)


def read_error(what: str, a: MetaArray):
    """torch's error for reading the values of a meta tensor."""
    if what.startswith("Tensor.item") and a.size != 1:
        return RuntimeError(f"a Tensor with {a.size} elements cannot be converted to Scalar")
    if what.startswith("bool(") and a.size != 1:
        return RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    if what.startswith("Tensor.numpy") or what.startswith("np.asarray"):
        return TypeError("can't convert meta device type tensor to numpy. Use Tensor.cpu() to copy "
                         "the tensor to host memory first.")
    if what.startswith("Tensor.item") or what.startswith("bool("):
        return RuntimeError("Tensor.item() cannot be called on meta tensors")
    return NotImplementedError("Cannot copy out of meta tensor; no data!")


def repr_meta(t) -> str:
    """`tensor(..., device='meta', size=(2, 3))` with torch's dtype/grad suffixes."""
    from . import _dtype as D
    parts = ["...", "device='meta'", f"size={tuple(t.shape)}"]
    if t.dtype is not D.get_default_dtype():
        parts.append(f"dtype=torch.{t.dtype.name}")
    if t._node is not None:
        parts.append(f"grad_fn=<{type(t._node).__name__}>")
    elif t._rg:
        parts.append("requires_grad=True")
    return "tensor(" + ", ".join(parts) + ")"
