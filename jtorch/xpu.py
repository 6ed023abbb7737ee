"""torch.xpu: jtorch has no Intel GPU backend."""


def is_available() -> bool:
    """Matches `torch.xpu.is_available`: always False."""
    return False


def device_count() -> int:
    """Matches `torch.xpu.device_count`: 0."""
    return 0
