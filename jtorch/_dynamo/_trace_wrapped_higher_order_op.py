"""torch._dynamo._trace_wrapped_higher_order_op: the getitem mode flex-attention score mods use."""
from __future__ import annotations

from ..overrides import TorchFunctionMode


class TransformGetItemToIndex(TorchFunctionMode):
    """Matches torch's mode: inside it, `x[i]` with 0-dim integer tensors (and ints) indexes as
    tensors, not by reading the index's value. jtorch's indexing never reads a 0-dim tensor index
    on the host (under a trace it stays traced), so the call goes through unchanged."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        return func(*args, **(kwargs or {}))
