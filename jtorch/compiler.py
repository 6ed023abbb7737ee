"""jtorch.compiler: helpers around jtorch.compile (recompilation reasons, reset)."""
from __future__ import annotations

from . import _compile


def reset() -> None:
    """Matches `torch.compiler.reset` (compiled functions keep their own caches; nothing global)."""


def recompile_reasons(compiled) -> list[str]:
    """jtorch-only: why a compiled function was retraced, oldest first."""
    return list(getattr(compiled, "recompiles", getattr(getattr(compiled, "_compiled", None),
                                                        "recompiles", [])))


def is_compiling() -> bool:
    """Matches `torch.compiler.is_compiling` (True while jtorch traces a compiled function)."""
    return _compile._TRACING[0] > 0


def disable(fn=None, recursive=True):
    """Matches `torch.compiler.disable` (returns fn unchanged)."""
    return fn if fn is not None else (lambda f: f)


def set_cache_size_limit(n: int) -> None:
    """jtorch-only: how many traces one compiled function may keep before warning."""
    _compile.cache_size_limit = n
