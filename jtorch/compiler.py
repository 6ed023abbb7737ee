"""jtorch.compiler: helpers around jtorch.compile (recompilation reasons, reset)."""
from __future__ import annotations

from . import _compile


def reset() -> None:
    """Matches `torch.compiler.reset`: every compiled function traces again on its next call."""
    _compile.reset_all()


def recompile_reasons(compiled) -> list[str]:
    """jtorch-only: why a compiled function was retraced, oldest first."""
    return list(getattr(compiled, "recompiles", getattr(getattr(compiled, "_compiled", None),
                                                        "recompiles", [])))


def is_compiling() -> bool:
    """Matches `torch.compiler.is_compiling` (True while jtorch traces a compiled function)."""
    return _compile._TRACING[0] > 0 or _compile._FIRST_CALL[0] > 0


def disable(fn=None, recursive=True, *, reason=None):
    """Matches `torch.compiler.disable`: `fn` runs eagerly on every call. jtorch compiles a
    function whole, so a compiled function that calls it runs eagerly (one warning), and with
    `fullgraph=True` raises, as torch does at such a graph break."""
    if fn is None:
        return lambda f: disable(f, recursive, reason=reason)
    import functools

    @functools.wraps(fn)
    def eager_only(*args, **kwargs):
        if _compile._TRACING[0]:
            from .compile_errors import UntraceableError
            raise UntraceableError(f"{getattr(fn, '__qualname__', fn)} is marked "
                                   "torch.compiler.disable" + (f" ({reason})" if reason else ""))
        return fn(*args, **kwargs)
    eager_only._torchdynamo_disable = True
    return eager_only


def set_cache_size_limit(n: int) -> None:
    """jtorch-only: how many traces one compiled function may keep before warning."""
    _compile.cache_size_limit = n


def set_compiled_checks(enabled: bool) -> None:
    """jtorch-only: check index bounds and integer division inside compiled programs (on by
    default; also `JTORCH_COMPILED_CHECKS=0`). Off leaves XLA's clamping; takes effect at the
    next trace (`reset()` to retrace existing functions)."""
    from ._compiled import deferred
    deferred.ENABLED[0] = bool(enabled)
