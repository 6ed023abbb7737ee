"""torch.onnx.symbolic_helper: the decorators symbolic functions are declared with.

Symbolic functions only run while exporting to ONNX, which jtorch does not do; declaring
them works, so libraries that register ONNX symbolics at import keep importing.
"""
from __future__ import annotations

import functools


def parse_args(*arg_descriptors):
    """Matches `torch.onnx.symbolic_helper.parse_args` (the function is returned wrapped)."""
    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(g, *args, **kwargs):
            return fn(g, *args, **kwargs)
        return wrapper
    return decorator


def quantized_args(*arg_q_descriptors, scale=None, zero_point=None, quantize_output=True):
    """Matches `torch.onnx.symbolic_helper.quantized_args` (see `parse_args`)."""
    return parse_args()


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    from ._opset import symbolic
    return symbolic(f"symbolic_helper.{name}")
