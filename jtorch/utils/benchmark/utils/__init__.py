"""Matches `torch.utils.benchmark.utils`."""
