"""dtypes, the default dtype and PyTorch's type-promotion rules."""
from __future__ import annotations

import builtins

import jax.numpy as jnp
import numpy as np

# Categories, ordered: bool < integer < floating < complex.
BOOL, INT, FLOAT, COMPLEX = 0, 1, 2, 3


class dtype:
    """A torch dtype. Matches `torch.dtype`; `.np` is the numpy/JAX dtype behind it."""

    __slots__ = ("name", "np", "category", "itemsize", "is_signed", "_rank")

    def __init__(self, name: str, npdtype, category: int, rank: int):
        self.name = name
        self.np = np.dtype(npdtype)
        self.category = category
        self.itemsize = self.np.itemsize
        self.is_signed = category != BOOL and not name.startswith("uint") and name != "float8_e8m0fnu"
        self._rank = rank

    @property
    def is_floating_point(self) -> bool:
        return self.category == FLOAT

    @property
    def is_complex(self) -> bool:
        return self.category == COMPLEX

    def to_real(self) -> "dtype":
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self) -> "dtype":
        return {float64: complex128, complex128: complex128}.get(self, complex64)

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))


bool = dtype("bool", np.bool_, BOOL, 0)
uint8 = dtype("uint8", np.uint8, INT, 1)
int8 = dtype("int8", np.int8, INT, 1)
int16 = dtype("int16", np.int16, INT, 2)
int32 = dtype("int32", np.int32, INT, 3)
int64 = dtype("int64", np.int64, INT, 4)
float16 = dtype("float16", jnp.float16, FLOAT, 1)
bfloat16 = dtype("bfloat16", jnp.bfloat16, FLOAT, 1)
float32 = dtype("float32", np.float32, FLOAT, 2)
float64 = dtype("float64", np.float64, FLOAT, 3)
complex64 = dtype("complex64", np.complex64, COMPLEX, 2)
complex128 = dtype("complex128", np.complex128, COMPLEX, 3)

# Storage-only dtypes torch ships with limited support: it refuses to promote them with other
# dtypes (promote_types below), and jtorch runs whatever jax supports on them.
uint16 = dtype("uint16", np.uint16, INT, 5)
uint32 = dtype("uint32", np.uint32, INT, 6)
uint64 = dtype("uint64", np.uint64, INT, 7)
float8_e4m3fn = dtype("float8_e4m3fn", jnp.float8_e4m3fn, FLOAT, 0)
float8_e5m2 = dtype("float8_e5m2", jnp.float8_e5m2, FLOAT, 0)
float8_e4m3fnuz = dtype("float8_e4m3fnuz", jnp.float8_e4m3fnuz, FLOAT, 0)
float8_e5m2fnuz = dtype("float8_e5m2fnuz", jnp.float8_e5m2fnuz, FLOAT, 0)
float8_e8m0fnu = dtype("float8_e8m0fnu", jnp.float8_e8m0fnu, FLOAT, 0)
_LIMITED = (uint16, uint32, uint64)
_FLOAT8 = (float8_e4m3fn, float8_e5m2, float8_e4m3fnuz, float8_e5m2fnuz, float8_e8m0fnu)

ALL = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64, complex64,
       complex128) + _LIMITED + _FLOAT8
# torch's aliases (torch.float is float32, torch.long is int64, ...).
ALIASES = {"half": float16, "float": float32, "double": float64, "short": int16, "int": int32,
           "long": int64, "cfloat": complex64, "cdouble": complex128}
_NAMES = {d.name: d for d in ALL} | ALIASES
_FROM_NP = {d.np: d for d in ALL}


def _by_name(name: str) -> dtype:
    return _NAMES[name]


def from_np(npdtype) -> dtype:
    """The torch dtype of a numpy/JAX dtype."""
    try:
        return _FROM_NP[np.dtype(npdtype)]
    except (KeyError, TypeError):
        raise TypeError(f"jtorch has no dtype for numpy dtype {npdtype!r}; supported: "
                        + ", ".join(d.name for d in ALL)) from None


_PYTHON_TYPES = {builtins.float: float64, builtins.int: int64, builtins.bool: bool,
                 builtins.complex: complex128}


def as_dtype(d):
    """`d` as a jtorch dtype: Python's float/int/bool/complex stand for float64/int64/bool/
    complex128 wherever torch takes a dtype; anything else is returned unchanged."""
    return _PYTHON_TYPES.get(d, d) if type(d) is type else d


# Default dtype: the state is module-level like torch's (not thread-local).
_default = [float32]


def get_default_dtype() -> dtype:
    """Matches `torch.get_default_dtype`."""
    return _default[0]


def set_default_dtype(d: dtype) -> None:
    """Matches `torch.set_default_dtype` (float32 or float64; float16/bfloat16 too)."""
    if not isinstance(d, dtype) or d.category != FLOAT:
        raise TypeError(f"only floating-point types are supported as the default type, got {d!r}")
    if d is not _default[0]:
        _default[0] = d
        from . import _dispatch  # compiled op caches bake the default dtype in
        _dispatch.clear_caches()


def default_complex() -> dtype:
    return complex128 if _default[0] is float64 else complex64


# torch's C++ ScalarType names, which its promotion errors print.
_C_NAME = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
           "int64": "Long", "float16": "Half", "bfloat16": "BFloat16", "float32": "Float",
           "float64": "Double", "complex64": "ComplexFloat", "complex128": "ComplexDouble",
           "uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64",
           "float8_e4m3fn": "Float8_e4m3fn", "float8_e5m2": "Float8_e5m2",
           "float8_e4m3fnuz": "Float8_e4m3fnuz", "float8_e5m2fnuz": "Float8_e5m2fnuz",
           "float8_e8m0fnu": "Float8_e8m0fnu"}


def promote_types(a: dtype, b: dtype) -> dtype:
    a, b = as_dtype(a), as_dtype(b)
    """Matches `torch.promote_types`."""
    if a is b:
        return a
    if a in _FLOAT8 or b in _FLOAT8:
        raise RuntimeError(f"Promotion for Float8 Types is not supported, attempted to promote "
                           f"{_C_NAME[a.name]} and {_C_NAME[b.name]}")
    if (a in _LIMITED and b.category != FLOAT) or (b in _LIMITED and a.category != FLOAT):
        raise RuntimeError(f"Promotion for uint16, uint32, uint64 types is not supported, attempted "
                           f"to promote {_C_NAME[a.name]} and {_C_NAME[b.name]}")
    if a.category != b.category:
        hi, lo = (a, b) if a.category > b.category else (b, a)
        if hi.category == COMPLEX and lo is float64:
            return complex128
        return hi
    if a.category == INT:
        if {a.name, b.name} == {"uint8", "int8"}:
            return int16
        return a if a._rank > b._rank else b
    if a.category == FLOAT and a._rank == b._rank:  # float16 with bfloat16
        return float32
    return a if a._rank > b._rank else b


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # How a higher-priority operand class absorbs a lower one (dims > 0-dim > Python scalars).
    if higher is None:
        return lower
    if lower is None or higher.category == COMPLEX:
        return higher
    if lower.category == COMPLEX:
        return higher.to_complex() if higher.category == FLOAT else lower
    if higher.category == FLOAT:
        return higher
    if higher.category == BOOL or lower.category == FLOAT:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(v) -> dtype:
    """The dtype a Python scalar stands for in promotion."""
    if isinstance(v, builtins.bool):
        return bool
    if isinstance(v, builtins.int):
        return int64
    if isinstance(v, builtins.float):
        return _default[0]
    if isinstance(v, builtins.complex):
        return default_complex()
    raise TypeError(f"expected a Tensor or a Python number, got {type(v).__name__}")


def result_type_of(operands) -> dtype:
    """torch.result_type over (dtype, kind) pairs; kind 2 = dimensioned tensor, 1 = 0-dim, 0 = scalar."""
    res = [None, None, None]
    for d, kind in operands:
        cur = res[kind]
        res[kind] = d if cur is None else promote_types(cur, d)
    out = _combine(res[2], _combine(res[1], res[0]))
    return out
