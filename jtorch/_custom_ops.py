"""Matches `torch._custom_ops` (the older custom-op API; torchvision reaches `get_ctx` here)."""
from .library import custom_op, get_ctx, impl_abstract  # noqa: F401


def impl(qualname, *, device_types=("cpu", "cuda"), func=None):
    """Matches `torch._custom_ops.impl`: register `func` as the kernel for `device_types`."""
    from .library import impl as _impl
    return _impl(qualname, list(device_types), func)
