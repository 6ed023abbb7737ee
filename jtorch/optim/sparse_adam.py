"""SparseAdam: not available (jtorch has no sparse gradients)."""
from __future__ import annotations

from .optimizer import Optimizer

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """Matches `torch.optim.SparseAdam`'s signature; constructing it raises NotImplementedError."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        raise NotImplementedError(
            "jtorch.optim.SparseAdam is not available: jtorch has no sparse gradients. Use "
            "jtorch.optim.Adam (dense gradients give the same result for dense parameters).")
