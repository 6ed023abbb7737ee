"""torch.nn.attention: choosing scaled-dot-product-attention backends.

jtorch runs one attention (XLA's); the backend flags are kept and read back as in torch
(`torch.backends.cuda.*_sdp_enabled`), so code that selects a backend runs unchanged.
"""
from __future__ import annotations

import contextlib
import enum

from ...backends import cuda as _cuda

WARN_FOR_UNFUSED_KERNELS = False


class SDPBackend(enum.IntEnum):
    """Matches `torch.nn.attention.SDPBackend`."""
    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


_overrideable = [True]
_FLAGS = {
    SDPBackend.MATH: (_cuda.math_sdp_enabled, _cuda.enable_math_sdp),
    SDPBackend.FLASH_ATTENTION: (_cuda.flash_sdp_enabled, _cuda.enable_flash_sdp),
    SDPBackend.EFFICIENT_ATTENTION: (_cuda.mem_efficient_sdp_enabled, _cuda.enable_mem_efficient_sdp),
    SDPBackend.CUDNN_ATTENTION: (_cuda.cudnn_sdp_enabled, _cuda.enable_cudnn_sdp),
    SDPBackend.OVERRIDEABLE: (lambda: _overrideable[0], lambda v: _overrideable.__setitem__(0, v)),
}


def _cur_sdpa_kernel_backends(with_priority: bool = False) -> list[SDPBackend]:
    """The backends enabled now."""
    return [b for b, (get, _) in _FLAGS.items() if get()]


def _sdpa_kernel(backends) -> None:
    for b, (_, set_) in _FLAGS.items():
        set_(b in backends)


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority: bool = False):
    """Matches `torch.nn.attention.sdpa_kernel`: enables only `backends` inside the block."""
    if isinstance(backends, SDPBackend):
        backends = [backends]
    if not isinstance(backends, (list, tuple, set)) or not all(
            isinstance(b, SDPBackend) for b in backends):
        raise AssertionError("Backend must be an instance of SDPBackend or a list of SDPBackend "
                             f"instances, got {type(backends).__name__}")
    before = _cur_sdpa_kernel_backends()
    _sdpa_kernel(set(backends))
    try:
        yield {}
    finally:
        _sdpa_kernel(set(before))
