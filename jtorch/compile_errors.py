"""The error raised when traced (compiled) code asks for a concrete value."""
from __future__ import annotations


class UntraceableError(RuntimeError):
    """A value-dependent operation (`.item()`, `bool(t)`, data-dependent shapes) met a traced tensor."""


def raise_untraceable(what: str):
    raise UntraceableError(
        f"{what} needs a concrete value, but this tensor is being traced for compilation. "
        "Move it out of the compiled function, or let jtorch.compile fall back to eager "
        "(fullgraph=False).")
