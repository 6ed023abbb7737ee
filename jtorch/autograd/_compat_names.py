"""Small `torch.autograd` names jtorch answers without machinery: the removed `variable()`, the
gradient-layout switch (jtorch gradients have no strides to enforce) and the profiler's enums."""
from __future__ import annotations

import enum
import functools


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Matches `torch.set_anomaly_enabled` (the switch under `detect_anomaly`)."""
    from .anomaly_mode import set_detect_anomaly
    set_detect_anomaly(enabled, check_nan)


def variable(*args, **kwargs):
    """Matches `torch.autograd.variable`: removed in torch; raises, pointing at torch.tensor."""
    raise RuntimeError("torch.autograd.variable(...) is deprecated, use torch.tensor(...) instead")


class enforce_grad_layout_policy:
    """Matches `torch.autograd.enforce_grad_layout_policy` (function, context manager or
    decorator). A no-op in jtorch: `.grad` arrays have no strides, so there is no layout
    contract to enforce or relax."""

    def __init__(self, enable: bool = True) -> None:
        self.enable = bool(enable)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with enforce_grad_layout_policy(self.enable):
                return fn(*args, **kwargs)
        return wrapped

    def clone(self):
        return enforce_grad_layout_policy(self.enable)


class _CEnum(enum.Enum):
    # torch's pybind enums: int() gives the value, but they do not compare equal to ints.
    def __int__(self):
        return self.value

    def __hash__(self):
        return self.value


DeviceType = _CEnum("DeviceType", [
    ("CPU", 0), ("CUDA", 1), ("MKLDNN", 2), ("OPENGL", 3), ("OPENCL", 4), ("IDEEP", 5), ("HIP", 6),
    ("FPGA", 7), ("MAIA", 8), ("XLA", 9), ("Vulkan", 10), ("Metal", 11), ("XPU", 12), ("MPS", 13),
    ("MTIA", 19), ("Meta", 14), ("HPU", 15), ("VE", 16), ("Lazy", 17), ("IPU", 18),
    ("PrivateUse1", 20)])
ProfilerActivity = _CEnum("ProfilerActivity", [
    ("CPU", 0), ("XPU", 1), ("MTIA", 4), ("CUDA", 2), ("HPU", 3), ("PrivateUse1", 5)])
ProfilerState = _CEnum("ProfilerState", [
    ("Disabled", 0), ("CPU", 1), ("CUDA", 2), ("NVTX", 3), ("ITT", 4), ("PRIVATEUSE1", 5),
    ("KINETO", 6), ("KINETO_GPU_FALLBACK", 7), ("KINETO_PRIVATEUSE1_FALLBACK", 8),
    ("KINETO_PRIVATEUSE1", 9)])
for _e in (DeviceType, ProfilerActivity, ProfilerState):
    _e.__doc__ = f"Matches `torch.autograd.{_e.__name__}` (names and values)."
