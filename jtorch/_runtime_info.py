"""Questions about the runtime: build facts (`torch.compiled_with_cxx11_abi`, ...), per-tensor
device facts (`torch.get_device`, `torch.is_distributed`) and `torch.get_device_module`."""
from __future__ import annotations

import importlib
import os


def compiled_with_cxx11_abi() -> bool:
    """Matches `torch.compiled_with_cxx11_abi`, answered for jtorch: False, it has no C++ ABI
    (C++ extensions built against torch cannot load into jtorch)."""
    return False


def is_vulkan_available() -> bool:
    """Matches `torch.is_vulkan_available` (False: XLA has no Vulkan backend)."""
    return False


def get_file_path(*path_components: str) -> str:
    """Matches `torch.get_file_path`: a path inside the jtorch package."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), *path_components)


def get_device(input) -> int:
    """Matches `torch.get_device` (-1 for CPU tensors)."""
    return input.get_device()


def is_distributed(input) -> bool:
    """Matches `torch.is_distributed` (always False)."""
    return False


_MODULES = {"cpu": "jtorch.cpu", "cuda": "jtorch.cuda", "mps": "jtorch.mps", "xpu": "jtorch.xpu"}


def get_device_module(device=None):
    """Matches `torch.get_device_module`: `jtorch.cpu`, `jtorch.cuda`, ... for a device (type)."""
    from ._device import device as _device
    if device is None:
        from ._config_fns import get_default_device
        kind = get_default_device().type
    elif isinstance(device, (str, _device)):
        kind = _device(device).type
    else:
        raise RuntimeError(f"Invalid value of device '{device}', expect torch.device, str, or None")
    if kind not in _MODULES:
        from ._unsupported import unsupported
        unsupported(f"torch.get_device_module({kind!r})")
    return importlib.import_module(_MODULES[kind])
