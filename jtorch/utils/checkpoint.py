"""torch.utils.checkpoint: activation checkpointing.

jtorch's eager autograd keeps the residuals of each op, so `checkpoint` runs the function
normally: the gradients are the same, the memory saving is not made. Under `torch.compile`,
XLA's rematerialization decides what to keep.
"""
from __future__ import annotations


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default",
               debug=False, preserve_rng_state=True, **kwargs):
    """Matches `torch.utils.checkpoint.checkpoint` (no recomputation; see the module docstring)."""
    return function(*args, **kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Matches `torch.utils.checkpoint.checkpoint_sequential` (no recomputation)."""
    mods = list(functions.children()) if hasattr(functions, "children") else list(functions)
    for f in mods:
        input = f(input)
    return input
