"""The method loop and the operator table: attach every registered op to Tensor and jtorch."""
from __future__ import annotations

from . import _functions as F, _index_ops, _indexing, _inplace_view, _sampling, _shape, _stft, _strided
from ._tensor import Tensor
from .ops._registry import REGISTRY

# Tensor-level methods that are not plain ops.
_METHODS = {
    "view": _shape.view, "view_as": _shape.view_as, "reshape": _shape.reshape,
    "reshape_as": _shape.reshape_as, "flatten": _shape.flatten, "unflatten": _shape.unflatten,
    "squeeze": _shape.squeeze, "unsqueeze": _shape.unsqueeze, "permute": _shape.permute,
    "transpose": _shape.transpose, "swapaxes": _shape.swapaxes, "swapdims": _shape.swapdims,
    "t": _shape.t, "movedim": _shape.movedim, "moveaxis": _shape.moveaxis, "expand": _shape.expand,
    "expand_as": _shape.expand_as, "broadcast_to": _shape.broadcast_to, "narrow": _shape.narrow,
    "select": _shape.select, "unbind": _shape.unbind, "split": _shape.split, "chunk": _shape.chunk,
    "diagonal": _shape.diagonal, "unfold": _shape.unfold, "as_strided": _shape.as_strided,
    "contiguous": _shape.contiguous,
    "max": F.max, "min": F.min, "to": F.to, "type_as": F.type_as, "repeat": F.repeat, "tile": F.tile,
    "fill_": F.fill_, "zero_": F.zero_, "copy_": _indexing.copy_, "index_put_": _indexing.index_put_,
    "__getitem__": _indexing.getitem, "__setitem__": _indexing.setitem,
    "uniform_": _sampling.uniform_, "normal_": _sampling.normal_, "bernoulli_": _sampling.bernoulli_,
    "random_": _sampling.random_, "exponential_": _sampling.exponential_,
    "cauchy_": _sampling.cauchy_, "log_normal_": _sampling.log_normal_,
    "geometric_": _sampling.geometric_,
    "float": F._conv_named("float32"), "double": F._conv_named("float64"),
    "half": F._conv_named("float16"), "bfloat16": F._conv_named("bfloat16"),
    "long": F._conv_named("int64"), "int": F._conv_named("int32"), "short": F._conv_named("int16"),
    "char": F._conv_named("int8"), "byte": F._conv_named("uint8"), "bool": F._conv_named("bool"),
    "cfloat": F._conv_named("complex64"), "cdouble": F._conv_named("complex128"),
    "cpu": F.cpu, "cuda": F.cuda,
}
_METHODS.update(_inplace_view.METHODS)  # t_, transpose_, squeeze_, unsqueeze_, as_strided_, ...
_METHODS.update(new_empty_strided=_strided.new_empty_strided, nonzero_static=_index_ops.nonzero_static,
                as_strided_scatter=_strided.as_strided_scatter, stft=_stft.stft, istft=_stft.istft)
_PROPERTIES = {"T": _shape.T, "mT": _shape.mT, "mH": _shape.mH, "H": _shape.H,
               "real": _shape.real, "imag": _shape.imag}

# Python operators -> (op name, reflected?). In-place operators use the op's `_` variant.
_OPERATORS = {
    "add": "add", "sub": "sub", "mul": "mul", "truediv": "div", "floordiv": "floor_divide",
    "mod": "remainder", "pow": "pow", "matmul": "matmul", "and": "bitwise_and",
    "or": "bitwise_or", "xor": "bitwise_xor", "lshift": "bitwise_left_shift",
    "rshift": "bitwise_right_shift",
}
_COMPARE = {"eq": "eq", "ne": "ne", "lt": "lt", "le": "le", "gt": "gt", "ge": "ge"}


def _reflected_on_non_tensor(op, name, self, other):
    """What torch's reflected operators do when `self` is not a Tensor: the C-level ones reject
    it; the Python-level ones return NotImplemented, fail on `.reciprocal`, or compute."""
    if name in ("add", "mul", "and", "or", "xor"):
        raise TypeError(f"descriptor '__r{name}__' for 'Tensor' objects doesn't apply to a "
                        f"'{type(self).__name__}' object")
    if name == "truediv":
        raise AttributeError(f"'{type(self).__name__}' object has no attribute 'reciprocal'")
    if name in ("sub", "matmul") or not isinstance(other, Tensor):
        return NotImplemented
    return F.apply(op, (other, self))


def _reflected(op, name):
    # `2 - x`: the Python number is the left operand and keeps its wrapped-number promotion.
    sub = name == "sub"

    def reflected(self, other):
        if not isinstance(self, Tensor):  # called unbound, e.g. Tensor.__radd__(2, t)
            return _reflected_on_non_tensor(op, name, self, other)
        if name == "truediv":  # torch: self.reciprocal() * other (rounds twice, MulBackward0)
            return F.apply(REGISTRY["mul"], (F.apply(REGISTRY["reciprocal"], (self,)), other))
        return F.apply(REGISTRY["rsub"], (self, other)) if sub else F.apply(op, (other, self))
    reflected.__name__ = f"__r{name}__"
    return reflected


def bind():
    for name, op in REGISTRY.items():
        if op.method and not hasattr(Tensor, name):
            setattr(Tensor, name, F.method(op))
        if op.inplace and not hasattr(Tensor, name + "_"):
            setattr(Tensor, name + "_", F.inplace_method(op))
    for name, fn in _METHODS.items():
        setattr(Tensor, name, fn)
    for name, fn in _PROPERTIES.items():
        setattr(Tensor, name, property(fn))
    for pyname, opname in _OPERATORS.items():
        op = REGISTRY[opname]
        setattr(Tensor, f"__{pyname}__", F.method(op))
        setattr(Tensor, f"__r{pyname}__", _reflected(op, pyname))
        if op.inplace:
            setattr(Tensor, f"__i{pyname}__", F.inplace_method(op))
    for pyname, opname in _COMPARE.items():
        setattr(Tensor, f"__{pyname}__", F.method(REGISTRY[opname]))
    eq, ne = Tensor.__eq__, Tensor.__ne__
    # As in torch, `t == None` is plain False (code like `if mask == None:` runs).
    Tensor.__eq__ = lambda self, other: False if other is None else eq(self, other)
    Tensor.__ne__ = lambda self, other: True if other is None else ne(self, other)
    Tensor.__neg__ = F.method(REGISTRY["neg"])
    Tensor.__pos__ = lambda self: self
    Tensor.__abs__ = F.method(REGISTRY["abs"])
    Tensor.__invert__ = F.method(REGISTRY["bitwise_not"])
    Tensor.__hash__ = lambda self: id(self)
