"""Padding layers: constant/zero, reflection, replication, circular."""
from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
           "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d", "CircularPad2d",
           "CircularPad3d"]


def _pads(padding, nd):
    if isinstance(padding, (list, tuple)):
        return tuple(padding)
    return (padding,) * (2 * nd)


class _Pad(Module):
    _nd = 0
    _mode = ""

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _pads(padding, self._nd)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPad(Module):
    _nd = 0

    def __init__(self, padding, value: float) -> None:
        super().__init__()
        self.padding = _pads(padding, self._nd)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPad):
    """Matches `torch.nn.ConstantPad1d`."""
    _nd = 1


class ConstantPad2d(_ConstantPad):
    """Matches `torch.nn.ConstantPad2d`."""
    _nd = 2


class ConstantPad3d(_ConstantPad):
    """Matches `torch.nn.ConstantPad3d`."""
    _nd = 3


class ZeroPad1d(ConstantPad1d):
    """Matches `torch.nn.ZeroPad1d`."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Matches `torch.nn.ZeroPad2d`."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Matches `torch.nn.ZeroPad3d`."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_Pad):
    """Matches `torch.nn.ReflectionPad1d`."""
    _nd, _mode = 1, "reflect"


class ReflectionPad2d(_Pad):
    """Matches `torch.nn.ReflectionPad2d`."""
    _nd, _mode = 2, "reflect"


class ReflectionPad3d(_Pad):
    """Matches `torch.nn.ReflectionPad3d`."""
    _nd, _mode = 3, "reflect"


class ReplicationPad1d(_Pad):
    """Matches `torch.nn.ReplicationPad1d`."""
    _nd, _mode = 1, "replicate"


class ReplicationPad2d(_Pad):
    """Matches `torch.nn.ReplicationPad2d`."""
    _nd, _mode = 2, "replicate"


class ReplicationPad3d(_Pad):
    """Matches `torch.nn.ReplicationPad3d`."""
    _nd, _mode = 3, "replicate"


class CircularPad1d(_Pad):
    """Matches `torch.nn.CircularPad1d`."""
    _nd, _mode = 1, "circular"


class CircularPad2d(_Pad):
    """Matches `torch.nn.CircularPad2d`."""
    _nd, _mode = 2, "circular"


class CircularPad3d(_Pad):
    """Matches `torch.nn.CircularPad3d`."""
    _nd, _mode = 3, "circular"
