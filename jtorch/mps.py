"""torch.mps: jtorch has no Metal backend; cache and seed calls do nothing."""


def is_available() -> bool:
    return False


def device_count() -> int:
    """Matches `torch.mps.device_count`: 0."""
    return 0


def empty_cache() -> None:
    """Matches `torch.mps.empty_cache`."""


def manual_seed(seed) -> None:
    """Matches `torch.mps.manual_seed`."""


def synchronize() -> None:
    """Matches `torch.mps.synchronize`."""
