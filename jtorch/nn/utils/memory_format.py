"""Weight memory-format conversion. Matches `torch.nn.utils.memory_format`.

jtorch tensors have one (logical) layout; XLA chooses physical layouts, so these return the
module unchanged.
"""
from __future__ import annotations


def convert_conv2d_weight_memory_format(module, memory_format):
    """Matches `torch.nn.utils.convert_conv2d_weight_memory_format` (a no-op in jtorch)."""
    return module


def convert_conv3d_weight_memory_format(module, memory_format):
    """Matches `torch.nn.utils.convert_conv3d_weight_memory_format` (a no-op in jtorch)."""
    return module
