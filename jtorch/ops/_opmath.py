"""torch's "opmath" for half-precision inputs: fused CPU kernels (addcmul, addcdiv, lerp,
addmm/baddbmm/addmv/addbmm) compute in float32 and round to bfloat16/float16 once at the end.
Computing step by step in the low dtype rounds after every operation instead, which differs
from torch by several ulps (a wrong value, not a tolerance)."""
from __future__ import annotations

import jax.numpy as jnp

_LOW = (jnp.dtype(jnp.bfloat16), jnp.dtype(jnp.float16))


def low(dtype) -> bool:
    return jnp.dtype(dtype) in _LOW


def step(v, dt):
    """`v` (float32) rounded to the low dtype `dt` and back: where torch's composite formulas
    (autograd backward formulas, several-op kernels) round each intermediate tensor to
    bfloat16/float16. Placed in a linear tangent, the rounding lands at the same point of its
    transpose, so a backward pass rounds where torch's formula does."""
    return v.astype(dt).astype(jnp.float32) if low(dt) else v


def fused(fn, *xs, out_dtype=None):
    """`fn(*xs)` computed in float32 when the result dtype is bfloat16/float16, rounded once."""
    dt = out_dtype or jnp.result_type(*[x for x in xs if hasattr(x, "dtype")])
    if not low(dt):
        return fn(*xs)
    up = [x.astype(jnp.float32) if hasattr(x, "dtype") and low(x.dtype) else x for x in xs]
    return fn(*up).astype(dt)
