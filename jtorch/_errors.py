"""torch's top-level error types."""
from __future__ import annotations


class OutOfMemoryError(RuntimeError):
    """Matches `torch.OutOfMemoryError`. jtorch does not raise it itself: XLA reports running out
    of memory as its own `XlaRuntimeError` (RESOURCE_EXHAUSTED)."""


class AcceleratorError(RuntimeError):
    """Matches `torch.AcceleratorError` (a RuntimeError; XLA reports device errors itself)."""


OutOfMemoryError.__module__ = AcceleratorError.__module__ = "jtorch"
