"""Global knobs: matmul precision, threads, determinism, default device."""
from __future__ import annotations

import os
import warnings

import jax

from ._device import device as _device, jax_device

# torch's float32 matmul precision names -> JAX's `jax_default_matmul_precision` values.
_PRECISION = {"highest": "float32", "high": "tensorfloat32", "medium": "bfloat16"}
_state = {"precision": "highest", "threads": None, "interop": None, "deterministic": False,
          "warn_only": False, "device": None}


def set_float32_matmul_precision(precision: str) -> None:
    """Matches `torch.set_float32_matmul_precision`: sets JAX's default matmul precision."""
    if precision not in _PRECISION:
        raise RuntimeError(f"Invalid precision '{precision}'; expected 'highest', 'high' or 'medium'")
    _state["precision"] = precision
    jax.config.update("jax_default_matmul_precision", _PRECISION[precision])


def get_float32_matmul_precision() -> str:
    """Matches `torch.get_float32_matmul_precision`."""
    return _state["precision"]


def set_num_threads(num: int) -> None:
    """Matches `torch.set_num_threads`, but only records the number.

    XLA sizes its CPU thread pool when the backend starts; set
    `XLA_FLAGS=--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=N` before starting.
    """
    if int(num) <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _state["threads"] = int(num)


def get_num_threads() -> int:
    """Matches `torch.get_num_threads`."""
    return _state["threads"] or os.cpu_count() or 1


def set_num_interop_threads(num: int) -> None:
    """Matches `torch.set_num_interop_threads` (recorded only)."""
    _state["interop"] = int(num)


def get_num_interop_threads() -> int:
    """Matches `torch.get_num_interop_threads`."""
    return _state["interop"] or os.cpu_count() or 1


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Matches `torch.use_deterministic_algorithms`.

    Recorded only: jtorch's ops are deterministic for a given seed on CPU; on GPU, XLA's
    scatter-add may not be (set `XLA_FLAGS=--xla_gpu_deterministic_ops=true` for that).
    """
    _state["deterministic"], _state["warn_only"] = bool(mode), bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    """Matches `torch.are_deterministic_algorithms_enabled`."""
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Matches `torch.is_deterministic_algorithms_warn_only_enabled`."""
    return _state["warn_only"]


def set_default_device(device) -> None:
    """Matches `torch.set_default_device`: new tensors go to that JAX device."""
    if device is None:
        _state["device"] = None
        jax.config.update("jax_default_device", None)
        return
    d = _device(device)
    if d.type == "cuda" and d.index is None:
        from . import cuda
        d = _device("cuda", cuda.current_device())
    # meta: factories make shape-only tensors (_creation._on_meta); JAX's own default stays.
    jax.config.update("jax_default_device", None if d.type == "meta" else jax_device(d))
    _state["device"] = d


def get_default_device():
    """Matches `torch.get_default_device`."""
    return _state["device"] or _device("cpu")


def set_warn_always(b: bool) -> None:
    """Matches `torch.set_warn_always`."""
    _state["warn_always"] = bool(b)
    warnings.simplefilter("always" if b else "default")


def is_warn_always_enabled() -> bool:
    """Matches `torch.is_warn_always_enabled`."""
    return _state.get("warn_always", False)


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode) -> None:
    """Matches `torch.set_deterministic_debug_mode` (0/"default", 1/"warn", 2/"error")."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, "
                               f"`error`, but got {debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    """Matches `torch.get_deterministic_debug_mode`."""
    if not _state["deterministic"]:
        return 0
    return 1 if _state["warn_only"] else 2


def set_flush_denormal(mode: bool) -> bool:
    """Matches `torch.set_flush_denormal`, but always returns False: jtorch cannot set XLA's
    denormal mode, so denormals are left as XLA handles them."""
    return False


def init_num_threads() -> None:
    """Matches `torch.init_num_threads` (a no-op: XLA sizes its own thread pool)."""
