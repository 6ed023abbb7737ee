"""A bound on the executables eager ops keep (issue 14 §7).

Every eager op compiles once per new shape and keeps the executable in its `jax.jit` cache, so a
program whose shapes keep changing grows without bound (about 13 MiB per new shape of a small
forward and backward; a ResNet-50 training step needs about 210 programs, so the default leaves
room for steady states over twice that). JAX reports each backend compile, also one served from
the disk cache (`jax.monitoring`); after `JTORCH_MAX_EXECUTABLES` (default 512) of them since the
last bound, every op gets fresh, empty jitted functions, JAX's own caches are cleared
(`jax.clear_caches`: the autograd helpers' executables, lowering and tracing caches; deferred to
a later compile while a compiled function traces) and freed memory is handed back to the system
(`malloc_trim`; without it the process keeps the freed pages). Ops still in use compile again on
their next call (from the disk cache when it is on). Not LRU: a full reset, which is rare by
construction. `jtorch.compile`'s programs are compiled ahead of time and kept.
"""
from __future__ import annotations

import ctypes
import gc
import os
import warnings

import jax
from jax import monitoring

LIMIT = [int(os.environ.get("JTORCH_MAX_EXECUTABLES", "512"))]
_COUNT = [0]
RESETS = [0]
PENDING = [False]  # JAX's caches still to be cleared (retried at the next compile)
_EVENT = "/jax/core/compile/backend_compile_duration"


def _listener(name, duration, **kwargs):
    if name != _EVENT:
        return
    _COUNT[0] += 1
    if LIMIT[0] > 0 and _COUNT[0] >= LIMIT[0]:
        _COUNT[0] = 0
        reset()
    elif PENDING[0]:
        release()


def reset():
    """Give every built op fresh, empty jitted functions (never None: another thread may be
    between building an op and calling it), then free JAX's caches."""
    from . import _dispatch
    from .ops._registry import REGISTRY
    RESETS[0] += 1
    if RESETS[0] == 1 and LIMIT[0] > 0:
        warnings.warn(
            f"jtorch compiled {LIMIT[0]} eager op programs (one per op and input shape) and drops "
            "them all to bound memory; ops in use compile again (from the disk cache when on). If "
            "shapes keep changing this is expected; if your model's steady state needs more programs "
            "(each step then recompiles), raise JTORCH_MAX_EXECUTABLES.", stacklevel=2)
    for op in REGISTRY.values():
        if op.jit_plain is not None:
            _dispatch._build(op)  # new jit objects; the old ones and their executables are dropped
    PENDING[0] = True
    release()


def release():
    """Clear JAX's caches (the autograd helpers' executables, lowering and tracing caches) and
    return freed memory to the system. Runs from the compile counter, which a backend compile
    calls after tracing; while a compiled function traces (in this thread or another) it waits
    for a later compile (clearing caches a trace in progress fills is not safe)."""
    from ._compile import _TRACE_LOCK, _TRACING
    if not PENDING[0] or _TRACING[0] > 0 or not _TRACE_LOCK.acquire(blocking=False):
        return
    try:
        PENDING[0] = False
        jax.clear_caches()
        gc.collect()
        _trim()
    finally:
        _TRACE_LOCK.release()


def _trim():
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: freed memory stays with the allocator
        pass


def install():
    monitoring.register_event_duration_secs_listener(_listener)
