"""`torch.finfo`, `torch.iinfo` and the legacy typed constructors (`torch.FloatTensor`, ...)."""
from __future__ import annotations

import math

import jax.numpy as jnp

from . import _dtype as D


class finfo:
    """Matches `torch.finfo` (machine limits of a floating dtype; default: the default dtype)."""

    def __init__(self, type=None):
        d = D.as_dtype(type) or D.get_default_dtype()
        if not (d.is_floating_point or d.is_complex):
            raise TypeError(f"torch.finfo() requires a floating point input type. Use torch.iinfo to "
                            f"handle '{d}'")
        i = jnp.finfo(d.np)
        self.dtype = str(d).removeprefix("torch.")
        self.bits = int(i.bits)
        self.eps, self.max, self.min = float(i.eps), float(i.max), float(i.min)
        self.tiny = self.smallest_normal = float(i.tiny)
        # torch: 10 ** -digits10 of the mantissa (numpy's value differs for bfloat16 and float8).
        self.resolution = 10.0 ** -math.floor(int(i.nmant) * math.log10(2))

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, "
                f"dtype={self.dtype})")


class iinfo:
    """Matches `torch.iinfo`."""

    def __init__(self, type):
        type = D.as_dtype(type)
        if type.is_floating_point or type.is_complex:
            raise TypeError(f"torch.iinfo() requires an integer input type. Use torch.finfo to "
                            f"handle '{type}'")
        i = jnp.iinfo(type.np) if type is not D.bool else None
        self.dtype = str(type).removeprefix("torch.")
        self.bits = int(i.bits) if i else 8
        self.min, self.max = (int(i.min), int(i.max)) if i else (0, 1)

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


class _TypedMeta(type):
    def __instancecheck__(cls, obj):
        from ._tensor import Tensor
        return isinstance(obj, Tensor) and obj.dtype is cls._dtype


def _typed(name, dtype):
    def __new__(cls, *args, **kwargs):
        from ._legacy import construct
        return construct(dtype, args, kwargs)
    return _TypedMeta(name, (), {"__new__": __new__, "_dtype": dtype,
                                 "__doc__": f"Matches `torch.{name}` (a constructor and an isinstance check)."})


FloatTensor = _typed("FloatTensor", D.float32)
DoubleTensor = _typed("DoubleTensor", D.float64)
HalfTensor = _typed("HalfTensor", D.float16)
BFloat16Tensor = _typed("BFloat16Tensor", D.bfloat16)
LongTensor = _typed("LongTensor", D.int64)
IntTensor = _typed("IntTensor", D.int32)
ShortTensor = _typed("ShortTensor", D.int16)
CharTensor = _typed("CharTensor", D.int8)
ByteTensor = _typed("ByteTensor", D.uint8)
BoolTensor = _typed("BoolTensor", D.bool)


def set_default_tensor_type(t) -> None:
    """Matches `torch.set_default_tensor_type` (deprecated in torch; warns as torch does): sets the
    default dtype from a typed constructor (`torch.DoubleTensor`) or its name. jtorch has no CUDA
    tensor types, so 'torch.cuda.*' names raise as on a CPU-only torch."""
    import warnings
    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
                  UserWarning, stacklevel=2)
    if isinstance(t, str):
        if t.startswith("torch.cuda."):
            raise TypeError(f"type {t} not available. Torch not compiled with CUDA enabled.")
        cls = globals().get(t.removeprefix("torch."))
        if cls is None or not t.startswith("torch."):
            raise TypeError(f"invalid type: '{t}'")
        t = cls
    d = getattr(t, "_dtype", None)
    if d is None or not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    D.set_default_dtype(d)
