"""torch._dynamo: the compile frontend's public corner, acting on jtorch.compile's state."""
from __future__ import annotations

from .. import _compile
from ..compiler import disable, is_compiling  # noqa: F401
from . import config, eval_frame, utils  # noqa: F401
from .eval_frame import OptimizedModule  # noqa: F401


def reset() -> None:
    """Matches `torch._dynamo.reset`: every compiled function forgets its programs and traces
    again on its next call."""
    _compile.reset_all()


def allow_in_graph(fn):
    """Matches `torch._dynamo.allow_in_graph` (jtorch traces every function: returns fn)."""
    return fn


def assume_constant_result(fn):
    """Matches `torch._dynamo.assume_constant_result` (returns fn; jtorch bakes Python results
    into the trace anyway)."""
    return fn


def mark_dynamic(t, index, *, min=None, max=None) -> None:
    """Matches `torch._dynamo.mark_dynamic` (accepted; jtorch makes the leading size symbolic by
    itself after it changes)."""


def mark_static(t, index=None) -> None:
    """Matches `torch._dynamo.mark_static` (accepted; sizes are static unless they change)."""


def maybe_mark_dynamic(t, index) -> None:
    """Matches `torch._dynamo.maybe_mark_dynamic` (accepted)."""


def optimize(backend="inductor", *, nopython=False, dynamic=None, **kwargs):
    """Matches `torch._dynamo.optimize`: a decorator compiling with jtorch.compile."""
    return lambda fn: _compile.compile(fn, fullgraph=nopython, dynamic=dynamic)


def explain(fn, *args, **kwargs):
    """jtorch: the recompile reasons of a compiled function (torch's ExplainOutput is not built)."""
    from ..compiler import recompile_reasons
    return recompile_reasons(fn)


def graph_break() -> None:
    """Matches `torch._dynamo.graph_break`: under jtorch.compile the function runs eagerly."""
    if _compile._TRACING[0]:
        from ..compile_errors import UntraceableError
        raise UntraceableError("torch._dynamo.graph_break() inside a compiled function")
