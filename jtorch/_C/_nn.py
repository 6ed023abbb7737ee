"""torch._C._nn: the argument parser behind `Tensor.to` / `Module.to`."""
from __future__ import annotations


def _parse_to(*args, **kwargs):
    """Matches `torch._C._nn._parse_to`: `(device, dtype, non_blocking, memory_format)`."""
    from .._device import device as _device
    from .._dtype import dtype as _dtype
    from .._tensor import Tensor

    def bad():
        got = ", ".join(type(a).__name__ for a in args)
        return TypeError(f"to() received an invalid combination of arguments - got ({got}), "
                         "but expected one of: (device device, dtype dtype, bool non_blocking, "
                         "bool copy, *, memory_format memory_format) or (dtype dtype, bool "
                         "non_blocking, bool copy, *, memory_format memory_format) or (Tensor "
                         "tensor, bool non_blocking, bool copy, *, memory_format memory_format)")

    unknown = set(kwargs) - {"device", "dtype", "non_blocking", "copy", "memory_format"}
    if unknown:
        raise TypeError(f"to() got an unexpected keyword argument '{sorted(unknown)[0]}'")
    dev, dt = kwargs.get("device"), kwargs.get("dtype")
    flags = []
    rest = list(args)
    if rest and isinstance(rest[0], Tensor):
        t = rest.pop(0)
        dev, dt = t.device, t.dtype
    elif rest and isinstance(rest[0], _dtype):
        dt = rest.pop(0)
    elif rest and isinstance(rest[0], (str, _device, int)) and not isinstance(rest[0], bool):
        dev = rest.pop(0)
        if rest and isinstance(rest[0], _dtype):
            dt = rest.pop(0)
    for a in rest:
        if not isinstance(a, bool):
            raise bad()
        flags.append(a)
    if len(flags) > 2:
        raise bad()
    non_blocking = flags[0] if flags else bool(kwargs.get("non_blocking", False))
    if dev is not None and not isinstance(dev, _device):
        dev = _device("cuda", dev) if isinstance(dev, int) else _device(dev)
    return dev, dt, non_blocking, kwargs.get("memory_format")
