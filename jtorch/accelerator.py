"""torch.accelerator over JAX: the accelerator is the GPU when JAX sees one (else none)."""
from __future__ import annotations

from . import cuda as _cuda
from ._device import _jax_devices, device as _device


def _kind():
    if _cuda.is_available():
        return "cuda"
    if _jax_devices("tpu"):
        return "xla"
    return None


def is_available() -> bool:
    """Matches `torch.accelerator.is_available`."""
    return _kind() is not None


def current_accelerator(check_available: bool = False):
    """Matches `torch.accelerator.current_accelerator`: `device('cuda')`, `device('xla')` or None."""
    k = _kind()
    return None if k is None else _device(k)


def device_count() -> int:
    """Matches `torch.accelerator.device_count`."""
    k = _kind()
    if k == "cuda":
        return _cuda.device_count()
    return len(_jax_devices("tpu")) if k else 0


def current_device_index() -> int:
    """Matches `torch.accelerator.current_device_index`."""
    return _cuda.current_device() if _kind() == "cuda" else 0


current_device_idx = current_device_index


def set_device_index(device) -> None:
    """Matches `torch.accelerator.set_device_index`."""
    if _kind() == "cuda":
        _cuda.set_device(device)


set_device_idx = set_device_index


def synchronize(device=None) -> None:
    """Matches `torch.accelerator.synchronize`."""
    if _kind() == "cuda":
        _cuda.synchronize(device)
