"""torch.cpu: the host device, always available."""
from __future__ import annotations

import contextlib

from . import amp  # noqa: F401


def is_available() -> bool:
    """Matches `torch.cpu.is_available`."""
    return True


def is_initialized() -> bool:
    return True


def device_count() -> int:
    """Matches `torch.cpu.device_count`."""
    return 1


def current_device() -> str:
    """Matches `torch.cpu.current_device`."""
    return "cpu"


def set_device(device) -> None:
    """Matches `torch.cpu.set_device` (there is one CPU device)."""


def synchronize(device=None) -> None:
    """Matches `torch.cpu.synchronize`: waits for pending XLA:CPU work."""
    import jax
    jax.effects_barrier()


class Stream:
    """Matches `torch.cpu.Stream`."""

    def __init__(self, priority=-1):
        pass

    def wait_stream(self, stream):
        pass

    def synchronize(self):
        pass

    def query(self) -> bool:
        return True


def current_stream(device=None) -> Stream:
    return Stream()


@contextlib.contextmanager
def stream(s):
    yield s
