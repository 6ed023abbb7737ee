"""jtorch.nn.utils. Matches `torch.nn.utils`."""
from __future__ import annotations

from . import rnn  # noqa: F401
