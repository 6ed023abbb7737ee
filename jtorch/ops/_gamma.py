"""digamma and polygamma with torch's values at poles and for negative inputs.

jax's polygamma goes wrong for negative non-integer x below about -5 (its Hurwitz zeta starts
its asymptotic tail from a negative point), and its digamma is NaN at 0 where torch gives
-inf (+inf at -0.0). Here x is moved up by the recurrence
psi_n(x) = psi_n(x + K) - (-1)^n n! sum_{k<K} (x + k)^-(n+1) until x + K is large, where the
asymptotic series is accurate. Trigamma (n = 1) uses the reflection formula below 0.5, as
torch does, so its values at negative integers agree too (a huge finite number, not inf).
"""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import jax.scipy.special as jss
from jax import lax

# B_2k / (2k)! for k = 1..10 (Bernoulli numbers: 1/6, -1/30, 1/42, -1/30, 5/66, -691/2730, 7/6,
# -3617/510, 43867/798, -174611/330)
_B = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798,
      -174611 / 330)
_B_OVER_FACT = tuple(b / math.factorial(2 * k + 2) for k, b in enumerate(_B))
_MAX_SHIFT = 100_000  # inputs below -_MAX_SHIFT are moved up only this far (less accurate)


def _asymptotic(n, y):
    """psi_n(y) for large y > 0 (n >= 1): the Bernoulli series of the Hurwitz zeta."""
    s = n + 1  # psi_n(y) = (-1)^(n+1) n! zeta(s, y)
    total = y ** (1 - s) / (s - 1) + 0.5 * y ** -s
    rising, yp = float(s), y ** (-s - 1)  # s (s+1) ... (s+2k-2), y^-(s+2k-1)
    for k, c in enumerate(_B_OVER_FACT):
        total = total + c * rising * yp
        rising *= (s + 2 * k + 1) * (s + 2 * k + 2)
        yp = yp / (y * y)
    return (-1) ** (n + 1) * math.factorial(n) * total


def _shifted(n, x):
    """psi_n(x) for n >= 1 by upward recurrence to y >= 10 + n, then the asymptotic series."""
    lo = 10.0 + n
    steps = jnp.where(jnp.isfinite(x), jnp.clip(jnp.ceil(lo - x), 0, _MAX_SHIFT), 0)
    top = jnp.max(steps) if x.size else jnp.zeros((), x.dtype)

    def body(c):
        k, acc = c
        return k + 1, acc + jnp.where(k < steps, (x + k) ** -(n + 1), 0)
    _, acc = lax.while_loop(lambda c: c[0] < top, body, (jnp.zeros((), x.dtype), jnp.zeros_like(x)))
    return _asymptotic(n, x + steps) - (-1) ** n * math.factorial(n) * acc


def _wide(f, n, x):
    # The recurrence sums terms that cancel: float32 inputs are summed in float64.
    return f(n, x.astype(jnp.float64)).astype(x.dtype) if x.dtype != jnp.float64 else f(n, x)


def _trigamma(x):
    # Reflection below 0.5: psi_1(x) = pi^2 / sin^2(pi x) - psi_1(1 - x); the sine is taken in
    # x's own dtype, as torch does, so the (huge, finite) values at negative integers agree.
    small = x < 0.5
    r = _wide(_shifted, 1, jnp.where(small, 1 - x, x))
    return jnp.where(small, (math.pi ** 2) / jnp.sin(math.pi * x) ** 2 - r, r)


@functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
def polygamma(n, x):
    """torch.polygamma(n, x) for a floating array x."""
    if n == 0:
        return jnp.where(x == 0, jnp.copysign(jnp.asarray(jnp.inf, x.dtype), -x), jss.digamma(x))
    if n == 1:
        return _trigamma(x)
    r = _wide(_shifted, n, x)
    return jnp.where(jnp.isinf(x), jnp.where(x > 0, jnp.nan, (-1) ** (n + 1) * jnp.inf), r).astype(x.dtype)


@polygamma.defjvp
def _polygamma_jvp(n, primals, tangents):
    (x,), (t,) = primals, tangents
    return polygamma(n, x), polygamma(n + 1, x) * t


def digamma(x):
    return polygamma(0, x)
