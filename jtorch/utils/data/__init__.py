"""Matches `torch.utils.data`."""
