"""Matches `torch.utils` (the parts jtorch has: `data`)."""
from . import data, hooks  # noqa: F401
from . import _pytree  # noqa: F401
