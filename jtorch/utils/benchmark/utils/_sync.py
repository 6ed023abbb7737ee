"""Waiting for JAX's asynchronous work, so that a timed block includes the work it queued."""
from __future__ import annotations

import jax
import jax.numpy as jnp

_tick = jax.jit(lambda x: x + 1)
_zero = None


def barrier() -> None:
    """Wait until the work already queued on the default device has run.

    XLA runs the programs queued on one device in order (a CUDA stream on GPU, one queue on
    CPU), so a tiny program queued now finishes only after everything before it.
    """
    global _zero
    if _zero is None:
        _zero = jnp.zeros((), jnp.int32)
    _tick(_zero).block_until_ready()


def _arrays(value, out: list, depth: int = 0) -> None:
    from jtorch import Tensor
    if isinstance(value, Tensor):
        a = value._data
        if isinstance(a, jax.Array):
            out.append(a)
    elif isinstance(value, jax.Array):
        out.append(value)
    elif depth < 2 and isinstance(value, (list, tuple)):
        for v in value:
            _arrays(v, out, depth + 1)
    elif depth < 2 and isinstance(value, dict):
        for v in value.values():
            _arrays(v, out, depth + 1)


def block(value):
    """Wait for the arrays behind `value` (a Tensor, a jax array, or a list/tuple/dict of them)."""
    out: list = []
    _arrays(value, out)
    if out:
        jax.block_until_ready(out)
    return value
