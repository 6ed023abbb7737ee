"""torch.backends.cudnn: XLA picks GPU kernels itself; these flags are stored and read back.

`deterministic` is recorded; jtorch's results do not depend on it (XLA's GPU reductions are
deterministic unless XLA flags say otherwise).
"""
from __future__ import annotations

import contextlib

from .. import cuda as _cuda

enabled = True
benchmark = False
benchmark_limit = 10
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """Matches `torch.backends.cudnn.is_available`: True when JAX sees a GPU."""
    return _cuda.is_available()


def version():
    """Matches `torch.backends.cudnn.version`: None (jtorch does not call cuDNN directly)."""
    return None


def is_acceptable(tensor) -> bool:
    """Matches `torch.backends.cudnn.is_acceptable`."""
    return is_available()


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True):
    """Matches `torch.backends.cudnn.flags`."""
    g = globals()
    names = ("enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32")
    old = {n: g[n] for n in names}
    g.update(zip(names, (enabled, benchmark, benchmark_limit, deterministic, allow_tf32)))
    try:
        yield
    finally:
        g.update(old)
