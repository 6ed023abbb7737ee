"""Matches `torch.utils.data._utils` (collate, fetch and worker helpers)."""
from . import collate, fetch, worker  # noqa: F401
