"""torch.backends.openmp."""


def is_available() -> bool:
    """Matches `torch.backends.openmp.is_available`: False (XLA:CPU has its own thread pool)."""
    return False
