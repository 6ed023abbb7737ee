"""torch's gradient formulas where JAX's derivative differs at special points (issue 14 §2).

JAX differentiates the expression an op is written as, so at a kink, a tie, an infinity or a
NaN it can give another subgradient or a NaN from a branch `where` discarded. torch uses one
hand-written formula per op (`derivatives.yaml`). These helpers give an op torch's formula
while keeping its forward value; each is a `jax.custom_jvp`, so it holds under `jax.vjp`, jit
and `jtorch.compile` alike (compat/special_points.py pins them against torch).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp


def elementwise(f, df):
    """`f` with derivative `df(x, y)` (y = f(x)), as torch's elementwise backward computes it."""
    @jax.custom_jvp
    def g(x):
        return f(x)

    @g.defjvp
    def _jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        y = g(x)
        if x.dtype in (jnp.float16, jnp.bfloat16):  # torch computes in float, rounds once
            return y, (df(x.astype(jnp.float32), y.astype(jnp.float32)) * t).astype(y.dtype)
        return y, df(x, y) * t
    return g


def extremum(f, sign):
    """maximum (sign 1) / minimum (sign -1) with torch's gradient: halves at a tie, the whole
    gradient to the larger (smaller) argument, and to both where either is NaN (JAX: neither)."""
    @jax.custom_jvp
    def g(x, y):
        return f(x, y)

    @g.defjvp
    def _jvp(primals, tangents):
        (x, y), (tx, ty) = primals, tangents
        out = g(x, y)
        wins_x, wins_y = (x > y, x < y) if sign > 0 else (x < y, x > y)
        t = jnp.where(x == y, (tx + ty) / 2, jnp.where(wins_x, tx, jnp.where(wins_y, ty, tx + ty)))
        return out, jnp.broadcast_to(t, out.shape).astype(out.dtype)
    return g


def abs(x):
    """|x| with torch's gradient sign(x): 0 at 0 and at NaN (complex: JAX's own)."""
    return jnp.abs(x) if jnp.iscomplexobj(x) else _abs(x)


_abs = elementwise(jnp.abs, lambda x, y: (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype))


def evenly(f):
    """A full reduction that selects one value (max(), min(), median()): torch's
    evenly_distribute_backward spreads the gradient over every element equal to the result,
    or over the NaNs when the result is NaN."""
    @jax.custom_jvp
    def g(x):
        return f(x)

    @g.defjvp
    def _jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        y = g(x)
        mask = jnp.where(jnp.isnan(y), jnp.isnan(x), x == y)
        return y, (jnp.sum(jnp.where(mask, t, 0)) / jnp.sum(mask)).astype(y.dtype)
    return g


def var(x, axis, ddof, keepdims):
    """jnp.var with torch's gradient 2/(N - correction) * (x - mean): [1, inf, 2] gives
    [-inf, nan, -inf] (JAX's derivative through the mean makes every element NaN)."""
    if not jnp.issubdtype(x.dtype, jnp.floating):
        return jnp.var(x, axis=axis, ddof=ddof, keepdims=keepdims)
    return _var_fn(axis, ddof, keepdims)(x)


def _var_fn(axis, ddof, keepdims):
    def f(x):
        return jnp.var(x, axis=axis, ddof=ddof, keepdims=keepdims)

    def df_t(x, t):
        n = x.size if axis is None else _count(x.shape, axis)
        centred = x - jnp.mean(x, axis=axis, keepdims=True)
        return jnp.sum(centred * t, axis=axis, keepdims=keepdims) * (jnp.asarray(2, x.dtype) / (n - ddof))
    return _linear_tangent(f, df_t)


def _count(shape, axis):
    axes = axis if isinstance(axis, tuple) else (axis,)
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _linear_tangent(f, df_t):
    """`f` whose tangent is `df_t(x, t)` (linear in t)."""
    @jax.custom_jvp
    def g(x):
        return f(x)

    @g.defjvp
    def _jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return g(x), df_t(x, t)
    return g


def prod(x, axis, keepdims):
    """jnp.prod with torch's gradient: result / x while no element of the whole input is 0 (so a
    NaN or inf makes every gradient NaN/inf, as torch's), the exact product of the others when
    one is (JAX's own rule)."""
    if not jnp.issubdtype(x.dtype, jnp.floating):
        return jnp.prod(x, axis=axis, keepdims=keepdims)

    def f(v):
        return jnp.prod(v, axis=axis, keepdims=keepdims)

    def df_t(v, t):
        zero, q, e = _split_by_zeros(v)
        exact = jax.jvp(f, (e,), (t,))[1]
        quotient = jnp.sum(jnp.prod(q, axis=axis, keepdims=True) / q * t, axis=axis,
                           keepdims=keepdims)
        return jnp.where(zero, exact, quotient)
    return _linear_tangent(f, df_t)(x)


def _split_by_zeros(v):
    # Each formula gets ones where it is not used: the unused one's zero cotangent times a NaN
    # coefficient would still be NaN.
    zero = jnp.any(v == 0)
    one = jnp.ones_like(v)
    return zero, jnp.where(zero, one, v), jnp.where(zero, v, one)


def cumprod(x, axis):
    """jnp.cumprod with torch's gradient: reversed_cumsum(grad * output) / x while no element
    is 0 (NaN/inf reach every earlier gradient, as in torch), JAX's rule when one is."""
    if not jnp.issubdtype(x.dtype, jnp.floating):
        return jnp.cumprod(x, axis=axis)

    def f(v):
        return jnp.cumprod(v, axis=axis)

    def df_t(v, t):
        zero, q, e = _split_by_zeros(v)
        exact = jax.jvp(f, (e,), (t,))[1]
        quotient = f(q) * jnp.cumsum(t / q, axis=axis)
        return jnp.where(zero, exact, quotient)
    return _linear_tangent(f, df_t)(x)
