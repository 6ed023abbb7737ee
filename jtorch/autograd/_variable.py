"""`torch.autograd.Variable`: the pre-0.4 wrapper, now a constructor of Tensors."""
from __future__ import annotations

import warnings


class _VariableMeta(type):
    def __instancecheck__(cls, other) -> bool:
        from .._tensor import Tensor
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """Matches `torch.autograd.Variable`: `Variable(t, requires_grad=False)` is a detached alias
    of `t` (same dtype and memory) that requires grad when asked; `isinstance(t, Variable)` holds
    for every Tensor."""

    def __new__(cls, data=None, requires_grad: bool = False, volatile: bool = False):
        from .. import _creation
        from .._tensor import Tensor
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` "
                          "instead.", UserWarning, stacklevel=2)
        if data is None:
            data = _creation.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = data.detach()
        if requires_grad:
            out.requires_grad_(True)
        return out
