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
    """Matches `torch.compiler.is_compiling`: True while jtorch traces a compiled function and
    in the eager runs that stand in for its program (the first call, fallbacks)."""
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
        outer, _compile._FIRST_CALL[0] = _compile._FIRST_CALL[0], 0  # is_compiling() is False
        try:
            return fn(*args, **kwargs)
        finally:
            _compile._FIRST_CALL[0] = outer
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


def set_eager_units(calls: int) -> None:
    """jtorch-only: run an eagerly called Module that does not record autograd (`no_grad`,
    `inference_mode`) as one program once a signature has run eagerly `calls` times (0: off, the
    default; also `JTORCH_EAGER_UNITS=N`, `python -m jtorch --compile-modules`). Results and
    semantics stay eager's; see `jtorch/_eager_units.py`."""
    from . import _eager_units
    _eager_units.set_calls(calls)


def allow_in_graph(fn):
    """Matches `torch.compiler.allow_in_graph` (jtorch traces every function: returns fn)."""
    return fn


def assume_constant_result(fn):
    """Matches `torch.compiler.assume_constant_result` (returns fn: a trace bakes Python results in)."""
    return fn


def substitute_in_graph(original_fn, *, can_constant_fold_through=False, skip_signature_check=False):
    """Matches `torch.compiler.substitute_in_graph` as a decorator (the original keeps running)."""
    return lambda fn: fn


def nested_compile_region(fn=None, options=None):
    """Matches `torch.compiler.nested_compile_region` (jtorch inlines the region)."""
    return fn if fn is not None else (lambda f: f)


def is_dynamo_compiling() -> bool:
    """Matches `torch.compiler.is_dynamo_compiling` (same as `is_compiling`)."""
    return is_compiling()


def is_exporting() -> bool:
    """Matches `torch.compiler.is_exporting` (True while torch.export traces a program)."""
    from .export import _trace
    return _trace.EXPORTING[0] > 0


def list_backends(exclude_tags=("debug", "experimental")) -> list[str]:
    """Matches `torch.compiler.list_backends` (every name maps to XLA)."""
    return ["cudagraphs", "inductor", "openxla", "tvm"]


def get_default_backend() -> str:
    """Matches `torch.compiler.get_default_backend`."""
    return "inductor"


def cudagraph_mark_step_begin() -> None:
    """Matches `torch.compiler.cudagraph_mark_step_begin` (no CUDA graphs: nothing to mark)."""


def set_stance(stance="default", *, skip_guard_eval_unsafe=False, force_backend=None):
    """Matches `torch.compiler.set_stance` for "default" and "force_eager" (the latter runs every
    compiled function eagerly); usable as a context manager."""
    import contextlib
    prev = _compile._STANCE[0]
    if stance not in ("default", "force_eager", "eager_on_recompile", "fail_on_recompile"):
        raise ValueError(f"invalid stance {stance!r}")
    _compile._STANCE[0] = stance

    @contextlib.contextmanager
    def restore():
        try:
            yield
        finally:
            _compile._STANCE[0] = prev
    return restore()
