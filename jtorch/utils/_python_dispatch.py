"""Matches `torch.utils._python_dispatch`: `TorchDispatchMode` sees every op at the dispatch point.

jtorch's dispatch point is `_dispatch.apply` (one registry op per call), so a mode's
`__torch_dispatch__(func, types, args, kwargs)` receives `func` as a `torch.ops.aten`-style
`OpOverload` named after jtorch's op (`aten.mm.default`, `aten.convolution.default`, ...),
args being Tensors. Unlike torch it runs above autograd: `func(*args)` records the op's
gradient as usual. The OpOverloads are jtorch's own objects (equal by name, not identical to
`torch.ops.aten.X.default`). Tensor subclasses with `__torch_dispatch__` are not supported
(`is_traceable_wrapper_subclass` is always False).
"""
from __future__ import annotations

from .. import _dispatch
from .._ops import OpOverloadPacket

_MODES = _dispatch.DISPATCH_MODES  # the stack; `apply` checks it is empty (one global read)
_FUNCS: dict = {}
# jtorch registry ops whose torch (aten) name differs
_ATEN_NAMES = {"_conv": "convolution", "_conv_transpose": "convolution", "_cast": "_to_copy",
               "_broadcast": "expand", "_sdpa": "_scaled_dot_product_flash_attention_for_cpu",
               "_max_dim": "max", "_min_dim": "min", "_max_all": "max", "_min_all": "min",
               "_repeat": "repeat", "_zero": "zero"}


def _disabled_torch_dispatch_impl(func, types, args=(), kwargs=None):
    """Matches `torch._C._disabled_torch_dispatch_impl`: `Tensor.__torch_dispatch__` (plain
    Tensors have no dispatch override)."""
    return NotImplemented


def _func(op):
    f = _FUNCS.get(op)
    if f is None:
        name = _ATEN_NAMES.get(op.name, op.name)
        packet = OpOverloadPacket("aten", name, fn=lambda *a, **k: _dispatch.apply(op, a, k))
        f = _FUNCS[op] = packet.default
        f._jtorch_op = op
    return f


def _dispatch_to_mode(op, args, kwargs):
    """Called by `_dispatch.apply` while a mode is active: the innermost mode handles the op
    (off the stack while it runs, so its own calls reach the next mode or the op)."""
    mode = _MODES.pop()
    try:
        return mode.__torch_dispatch__(_func(op), (), tuple(args), dict(kwargs))
    finally:
        _MODES.append(mode)


class TorchDispatchMode:
    """Matches `torch.utils._python_dispatch.TorchDispatchMode` (see the module docstring)."""

    def __init__(self, _dispatch_key=None):
        pass

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        raise NotImplementedError

    def __enter__(self):
        _MODES.append(self)
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        if _MODES and _MODES[-1] is self:
            _MODES.pop()
        elif self in _MODES:
            _MODES.remove(self)

    @classmethod
    def push(cls, *args, **kwargs):
        return cls(*args, **kwargs)

    @classmethod
    def is_infra_mode(cls) -> bool:
        return False


def _get_current_dispatch_mode():
    """Matches `torch.utils._python_dispatch._get_current_dispatch_mode`."""
    return _MODES[-1] if _MODES else None


def _get_current_dispatch_mode_stack() -> list:
    return list(_MODES)


def _len_torch_dispatch_stack() -> int:
    return len(_MODES)


def _pop_mode(k=None):
    return _MODES.pop()


def _push_mode(mode, k=None):
    _MODES.append(mode)


class _pop_mode_temporarily:
    """Runs a block with the innermost dispatch mode off the stack (yields it)."""

    def __init__(self, k=None):
        pass

    def __enter__(self):
        self.mode = _MODES.pop()
        return self.mode

    def __exit__(self, *exc):
        _MODES.append(self.mode)
        return False


def is_traceable_wrapper_subclass(t) -> bool:
    """Matches `torch.utils._python_dispatch.is_traceable_wrapper_subclass`: always False
    (jtorch has no `__torch_dispatch__` wrapper subclasses)."""
    return False


def is_traceable_wrapper_subclass_type(t) -> bool:
    """Matches `is_traceable_wrapper_subclass_type`: always False (see above)."""
    return False


def is_in_torch_dispatch_mode(include_infra_modes: bool = True) -> bool:
    """Matches `torch.utils._python_dispatch.is_in_torch_dispatch_mode`."""
    return bool(_MODES)


def transform_subclass(t, callback, outer_size=None, outer_stride=None):
    """Matches `transform_subclass`; jtorch has no wrapper subclasses, so this raises."""
    raise TypeError("transform_subclass needs a traceable wrapper subclass; jtorch has none")
