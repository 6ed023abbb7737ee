"""Legacy constructors as torch 2.13 has them: `torch.Tensor(...)`, `torch.FloatTensor(...)` and
friends, and `Tensor.new(...)`: sizes make an uninitialised (here zero) tensor, data a copy in the
constructor's dtype, a tensor an alias when its dtype is the constructor's."""
from __future__ import annotations

import numpy as np

from . import _dtype as D

# The C++ names torch prints for dtypes in its TensorOptions messages.
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short int",
            "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
            "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}

_SIGNATURES = (" * (*, torch.device device = None)\n * (torch.Storage storage)\n * (Tensor other)\n"
               " * (tuple of ints size, *, torch.device device = None)\n"
               " * (object data, *, torch.device device = None)\n")


def _options(d) -> str:
    return (f"TensorOptions(dtype={_C_NAMES.get(d.name, d.name)}, device=cpu, layout=Strided, "
            "requires_grad=false (default), pinned_memory=false (default), "
            "memory_format=(nullopt))")


def _type_name(v) -> str:
    from ._tensor import Tensor
    if isinstance(v, Tensor):
        return "Tensor"
    if isinstance(v, D.dtype):
        return "torch.dtype"
    return type(v).__name__


def construct(dtype, args: tuple, kwargs: dict, typed: bool = True):
    """One legacy construction; `dtype` None means the default dtype with any tensor accepted
    (`torch.Tensor(t)`), `typed` False skips the dtype check of a tensor argument."""
    from ._creation import tensor, zeros
    from ._tensor import Size, Tensor
    if any(k != "device" for k in kwargs):
        got = ", ".join([_type_name(a) for a in args]
                        + [f"{k}={_type_name(v)}" for k, v in kwargs.items()])
        raise TypeError(f"new() received an invalid combination of arguments - got ({got}), "
                        f"but expected one of:\n{_SIGNATURES}")
    device = kwargs.get("device")
    d = dtype or D.get_default_dtype()
    if not args:
        return zeros(0, dtype=d, device=device)
    if len(args) == 1 and not isinstance(args[0], (int, np.integer, Size)):
        data = args[0]
        if isinstance(data, Tensor):
            if dtype is not None and typed and data.dtype is not dtype:
                raise TypeError(f"expected {_options(dtype)} (got {_options(data.dtype)})")
            return data.view_as(data)  # an alias of the same memory, as torch's
        if isinstance(data, str):
            raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
        if isinstance(data, np.ndarray):
            return tensor(data, dtype=d, device=device)
        from ._pyvalues import is_sequence
        if not is_sequence(data):
            raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
        return tensor(data, dtype=d, device=device)
    sizes = tuple(args[0]) if len(args) == 1 and isinstance(args[0], Size) else args
    for i, s in enumerate(sizes):
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"new(): argument 'size' failed to unpack the object at pos {i + 1} "
                            f"with error \"type must be tuple of ints,but got {type(s).__name__}\"")
    if any(s < 0 for s in sizes):
        bad = next(s for s in sizes if s < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: "
                           f"[{', '.join(str(int(s)) for s in sizes)}]")
    return zeros(*[int(s) for s in sizes], dtype=d, device=device)
