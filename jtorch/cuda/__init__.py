"""torch.cuda over JAX's GPU devices: every answer comes from `jax.devices("gpu")`.

Without a GPU, queries answer as a CPU-only torch build does (`is_available()` is False,
`device_count()` is 0) and calls that need a device raise torch's "not compiled with CUDA"
error; seeding and cache calls are accepted and do nothing, as in torch.
"""
from __future__ import annotations

import contextlib
import time

import jax

from .._device import _gpus, device as _device
from . import amp  # noqa: F401

_current = 0


def _need(device=None):
    g = _gpus()
    if not g:
        raise AssertionError("Torch not compiled with CUDA enabled (jtorch: JAX sees no GPU; "
                             "check torch.cuda.is_available() first)")
    i = _index(device)
    if not 0 <= i < len(g):
        raise RuntimeError(f"CUDA error: invalid device ordinal {i} (JAX sees {len(g)} GPU(s))")
    return g[i]


def _index(device=None) -> int:
    if device is None:
        return _current
    if isinstance(device, int):
        return device
    d = _device(device)
    return _current if d.index is None else d.index


def is_available() -> bool:
    """Matches `torch.cuda.is_available`: True when JAX sees a GPU."""
    return bool(_gpus())


def is_initialized() -> bool:
    """Matches `torch.cuda.is_initialized`."""
    return bool(_gpus())


def init() -> None:
    """Matches `torch.cuda.init`."""
    _need()


def device_count() -> int:
    """Matches `torch.cuda.device_count`."""
    return len(_gpus())


def current_device() -> int:
    """Matches `torch.cuda.current_device`."""
    _need()
    return _current


def set_device(device) -> None:
    """Matches `torch.cuda.set_device`: only changes what `current_device()` reports."""
    global _current
    i = _index(device)
    _need(i)
    _current = i


class device:
    """Matches `torch.cuda.device` (a context manager selecting the current device)."""

    def __init__(self, device):
        self.idx = _index(device) if device is not None else -1
        self.prev = None

    def __enter__(self):
        global _current
        self.prev = _current
        if self.idx >= 0:
            set_device(self.idx)

    def __exit__(self, *exc):
        global _current
        _current = self.prev
        return False


def synchronize(device=None) -> None:
    """Matches `torch.cuda.synchronize`: waits until work queued on the GPU has finished."""
    d = _need(device)
    jax.device_put(0.0, d).block_until_ready()
    jax.effects_barrier()


def get_device_name(device=None) -> str:
    """Matches `torch.cuda.get_device_name` (JAX's `device_kind`)."""
    return _need(device).device_kind


def get_device_capability(device=None) -> tuple[int, int]:
    """Matches `torch.cuda.get_device_capability`."""
    cc = getattr(_need(device), "compute_capability", "0.0")
    major, _, minor = str(cc).partition(".")
    return int(major), int(minor or 0)


class _Properties:
    def __init__(self, d):
        self.name = d.device_kind
        self.major, self.minor = get_device_capability(d.id)
        stats = _stats(d)
        self.total_memory = stats.get("bytes_limit", 0)
        self.multi_processor_count = getattr(d, "core_count", 0)
        self.is_integrated = False
        self.is_multi_gpu_board = False

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // 2**20}MB, "
                f"multi_processor_count={self.multi_processor_count})")


def get_device_properties(device=None):
    """Matches `torch.cuda.get_device_properties`."""
    return _Properties(_need(device))


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """Matches `torch.cuda.is_bf16_supported`."""
    return is_available()


def manual_seed(seed) -> None:
    """Matches `torch.cuda.manual_seed`: jtorch has one generator; seed it with `torch.manual_seed`."""


def manual_seed_all(seed) -> None:
    """Matches `torch.cuda.manual_seed_all` (see `manual_seed`)."""


def seed() -> None:
    """Matches `torch.cuda.seed`."""


def seed_all() -> None:
    """Matches `torch.cuda.seed_all`."""


def empty_cache() -> None:
    """Matches `torch.cuda.empty_cache`: XLA manages device memory itself, so it does nothing."""


def _stats(d) -> dict:
    try:
        return d.memory_stats() or {}
    except Exception:  # some backends have no memory statistics
        return {}


def memory_allocated(device=None) -> int:
    """Matches `torch.cuda.memory_allocated` (XLA's `bytes_in_use`)."""
    return _stats(_need(device)).get("bytes_in_use", 0)


def max_memory_allocated(device=None) -> int:
    """Matches `torch.cuda.max_memory_allocated` (XLA's `peak_bytes_in_use`)."""
    return _stats(_need(device)).get("peak_bytes_in_use", 0)


def memory_reserved(device=None) -> int:
    """Matches `torch.cuda.memory_reserved` (XLA's `bytes_reserved`, else `bytes_in_use`)."""
    s = _stats(_need(device))
    return s.get("bytes_reserved", s.get("bytes_in_use", 0))


max_memory_reserved = max_memory_allocated


def reset_peak_memory_stats(device=None) -> None:
    """Matches `torch.cuda.reset_peak_memory_stats`: XLA cannot reset its peak, so it does nothing."""


def mem_get_info(device=None) -> tuple[int, int]:
    """Matches `torch.cuda.mem_get_info`: (free, total) bytes."""
    s = _stats(_need(device))
    total = s.get("bytes_limit", 0)
    return total - s.get("bytes_in_use", 0), total


class Stream:
    """Matches `torch.cuda.Stream`: XLA orders work itself, so streams only synchronize."""

    def __init__(self, device=None, priority=0, **kwargs):
        self.device = device

    def synchronize(self):
        synchronize()

    def wait_stream(self, stream):
        pass

    def wait_event(self, event):
        pass

    def query(self) -> bool:
        return True


def current_stream(device=None) -> Stream:
    """Matches `torch.cuda.current_stream`."""
    return Stream(device)


default_stream = current_stream


@contextlib.contextmanager
def stream(s):
    """Matches `torch.cuda.stream`."""
    yield s


class Event:
    """Matches `torch.cuda.Event`: timing uses the host clock after a device synchronize."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        self.t = None

    def record(self, stream=None):
        if is_available():
            synchronize()
        self.t = time.perf_counter()

    def synchronize(self):
        pass

    def query(self) -> bool:
        return True

    def wait(self, stream=None):
        pass

    def elapsed_time(self, end) -> float:
        return (end.t - self.t) * 1000.0


class StreamContext:
    """Matches `torch.cuda.StreamContext`: selects a stream (streams only synchronize here)."""

    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        return self.stream

    def __exit__(self, *exc):
        return None


def get_rng_state(device="cuda"):
    """Matches `torch.cuda.get_rng_state`: jtorch's one generator's state."""
    from ..random import get_rng_state as _get
    _need(device)
    return _get()


def set_rng_state(new_state, device="cuda") -> None:
    """Matches `torch.cuda.set_rng_state` (jtorch's one generator)."""
    from ..random import set_rng_state as _set
    _need(device)
    _set(new_state)


def get_rng_state_all() -> list:
    """Matches `torch.cuda.get_rng_state_all`: one state per visible GPU."""
    return [get_rng_state(i) for i in range(device_count())]


def set_rng_state_all(new_states) -> None:
    """Matches `torch.cuda.set_rng_state_all`."""
    for i, s in enumerate(new_states):
        set_rng_state(s, i)


def __getattr__(name):
    if name == "default_generators":
        # One jtorch generator backs every device (see manual_seed).
        from ..random import default_generator
        return tuple(default_generator for _ in range(device_count()))
    raise AttributeError(f"module 'jtorch.cuda' has no attribute '{name}'")


def memory_stats(device=None) -> dict:
    """Matches `torch.cuda.memory_stats`: XLA's counters under torch's key names; empty without a GPU."""
    import collections
    if not is_available():
        return collections.OrderedDict()
    s = _stats(_need(device))
    return collections.OrderedDict(sorted({
        "allocated_bytes.all.current": s.get("bytes_in_use", 0),
        "allocated_bytes.all.peak": s.get("peak_bytes_in_use", 0),
        "reserved_bytes.all.current": s.get("bytes_reserved", s.get("bytes_in_use", 0)),
        "num_alloc_retries": 0, "num_ooms": 0}.items()))


from .graphs import (CUDAGraph, graph, graph_pool_handle, is_current_stream_capturing,  # noqa: E402,F401
                     make_graphed_callables)
