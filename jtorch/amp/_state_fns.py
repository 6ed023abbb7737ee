"""torch's top-level autocast state functions (`torch.set_autocast_enabled`, the deprecated
per-device `torch.get_autocast_cpu_dtype`, ..., the autocast cache and nesting counters), over
the state of `autocast_mode`."""
from __future__ import annotations

import warnings

from . import autocast_mode as _am

_nesting = [0]
_cache = [True]


def set_autocast_enabled(device_type, enabled=None) -> None:
    """Matches `torch.set_autocast_enabled` (`(device_type, enabled)`, or the legacy `(enabled)`
    for 'cuda'). Inside an autocast region of that device type it changes the region until exit."""
    if enabled is None:
        device_type, enabled = "cuda", device_type
    _am._enabled[device_type] = bool(enabled)
    if _am._stack and _am._stack[-1][0] == device_type:
        _am._stack[-1] = (device_type, _am._dtypes[device_type], bool(enabled))
    _am._refresh()


def is_autocast_cache_enabled() -> bool:
    """Matches `torch.is_autocast_cache_enabled` (jtorch keeps no cast cache; the flag is recorded)."""
    return _cache[0]


def set_autocast_cache_enabled(enabled: bool) -> None:
    """Matches `torch.set_autocast_cache_enabled` (recorded only)."""
    _cache[0] = bool(enabled)


def clear_autocast_cache() -> None:
    """Matches `torch.clear_autocast_cache` (a no-op: casts are recomputed per op)."""


def autocast_increment_nesting() -> int:
    """Matches `torch.autocast_increment_nesting`: returns the new nesting depth."""
    _nesting[0] += 1
    return _nesting[0]


def autocast_decrement_nesting() -> int:
    """Matches `torch.autocast_decrement_nesting`: returns the new nesting depth."""
    _nesting[0] -= 1
    return _nesting[0]


def _deprecated(old: str, new: str):
    warnings.warn(f"torch.{old} is deprecated. Please use torch.{new} instead.", DeprecationWarning,
                  stacklevel=3)


def _getters(dev: str, tag: str):
    def get_dtype():
        _deprecated(f"get_autocast_{tag}_dtype()", f"get_autocast_dtype('{dev}')")
        return _am.get_autocast_dtype(dev)

    def is_enabled():
        _deprecated(f"is_autocast_{tag}_enabled()", f"is_autocast_enabled('{dev}')")
        return _am.is_autocast_enabled(dev)

    def set_dtype(dtype):
        _deprecated(f"set_autocast_{tag}_dtype(dtype)", f"set_autocast_dtype('{dev}', dtype)")
        _am.set_autocast_dtype(dev, dtype)

    def set_enabled(enabled):
        _deprecated(f"set_autocast_{tag}_enabled(enabled)", f"set_autocast_enabled('{dev}', enabled)")
        set_autocast_enabled(dev, enabled)

    out = {}
    for fn, name in ((get_dtype, f"get_autocast_{tag}_dtype"), (is_enabled, f"is_autocast_{tag}_enabled"),
                     (set_dtype, f"set_autocast_{tag}_dtype"), (set_enabled, f"set_autocast_{tag}_enabled")):
        fn.__name__ = fn.__qualname__ = name
        fn.__doc__ = f"Matches `torch.{name}` (deprecated in torch; warns as torch does)."
        out[name] = fn
    return out


# torch has no `is_autocast_gpu_enabled`/`set_autocast_gpu_enabled` (the cuda ones are the plain names).
DEPRECATED = {k: v for dev, tag in (("cpu", "cpu"), ("cuda", "gpu"), ("ipu", "ipu"), ("xla", "xla"))
              for k, v in _getters(dev, tag).items()
              if k not in ("is_autocast_gpu_enabled", "set_autocast_gpu_enabled")}
