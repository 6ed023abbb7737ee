"""torch.backends.mps: jtorch has no Metal backend."""


def is_available() -> bool:
    """Matches `torch.backends.mps.is_available`: always False."""
    return False


def is_built() -> bool:
    """Matches `torch.backends.mps.is_built`: always False."""
    return False
