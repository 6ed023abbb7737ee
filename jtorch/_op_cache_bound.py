"""A bound on the executables eager ops keep (issue 14 §7).

Every eager op compiles once per new shape and keeps the executable in its `jax.jit` cache, so a
program whose shapes keep changing grows without bound (1000 shapes: gigabytes). JAX reports
each backend compile (`jax.monitoring`); after `JTORCH_MAX_EXECUTABLES` (default 4096) of them
since the last bound, every op's jitted functions are rebuilt empty and the autograd helpers'
caches cleared, so the old executables are freed. Ops still in use compile again on their next
call (from the disk cache when it is on). Not LRU: a full reset, which is rare by construction.
"""
from __future__ import annotations

import os

from jax import monitoring

LIMIT = [int(os.environ.get("JTORCH_MAX_EXECUTABLES", "4096"))]
_COUNT = [0]
RESETS = [0]
_EVENT = "/jax/core/compile/backend_compile_duration"


def _listener(name, duration, **kwargs):
    if name != _EVENT:
        return
    _COUNT[0] += 1
    if LIMIT[0] > 0 and _COUNT[0] >= LIMIT[0]:
        _COUNT[0] = 0
        reset()


def reset():
    """Rebuild every built op's jitted functions empty (their executables are freed)."""
    from . import _dispatch
    from .autograd import engine
    from .ops._registry import REGISTRY
    RESETS[0] += 1
    for op in REGISTRY.values():
        if op.jit_plain is not None:
            _dispatch._build(op)  # new jit objects; the old ones and their caches are dropped
    for f in (engine._pb_call, engine._pb_call_multi, engine._acc_add):
        f.clear_cache()


def install():
    monitoring.register_event_duration_secs_listener(_listener)
