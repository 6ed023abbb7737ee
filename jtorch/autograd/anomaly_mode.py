"""detect_anomaly / set_detect_anomaly and the multithreading switches (flags only)."""
from __future__ import annotations

_state = {"anomaly": False, "check_nan": True, "multithreading": True}


def is_anomaly_enabled() -> bool:
    """Matches `torch.is_anomaly_enabled`."""
    return _state["anomaly"]


def is_anomaly_check_nan_enabled() -> bool:
    """Matches `torch.is_anomaly_check_nan_enabled`."""
    return _state["check_nan"]


class set_detect_anomaly:
    """Matches `torch.autograd.set_detect_anomaly` (records the flag; jtorch adds no checks)."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.prev = (_state["anomaly"], _state["check_nan"])
        _state["anomaly"], _state["check_nan"] = bool(mode), bool(check_nan)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _state["anomaly"], _state["check_nan"] = self.prev
        return False


class detect_anomaly(set_detect_anomaly):
    """Matches `torch.autograd.detect_anomaly` (context manager and decorator; flag only)."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        self.prev = None

    def __enter__(self):
        self.prev = (_state["anomaly"], _state["check_nan"])
        _state["anomaly"], _state["check_nan"] = True, self.check_nan

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


class set_multithreading_enabled:
    """Matches `torch.autograd.set_multithreading_enabled` (jtorch's backward is one thread)."""

    def __init__(self, mode: bool):
        self.prev = _state["multithreading"]
        _state["multithreading"] = bool(mode)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _state["multithreading"] = self.prev
        return False


def is_multithreading_enabled() -> bool:
    """Matches `torch.autograd.is_multithreading_enabled`."""
    return _state["multithreading"]


def is_view_replay_enabled() -> bool:
    """Matches `torch.autograd.is_view_replay_enabled` (jtorch always replays views exactly)."""
    return False


def kineto_available() -> bool:
    """Matches `torch.autograd.kineto_available` (no profiler backend in jtorch)."""
    return False
