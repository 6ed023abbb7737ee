"""Modified Bessel functions of the second kind K0, K1 (and exp(x) K0, exp(x) K1) in jax.

x <= 2: the power series around 0, K_n = (-1)^(n+1) ln(x/2) I_n(x) + a series in (x/2)^2
(digamma weights). x > 2: K_n(x) e^x = int_0^inf exp(-x (cosh t - 1)) cosh(n t) dt by the
trapezoidal rule, which converges geometrically for this smooth, doubly-exponentially decaying
integrand (the step shrinks with the integrand's width, about 1/sqrt(x)).
"""
from __future__ import annotations

import math

import jax.numpy as jnp

_EULER = 0.5772156649015329
_TERMS = 30  # (x/2)^(2k) / (k!)^2 at x = 2 is below 1e-64 by k = 30
_NODES = 96


def _series(n, x):
    """K_n(x) for 0 < x <= 2 (n = 0 or 1)."""
    q = (x / 2) ** 2
    lg = jnp.log(x / 2)
    term = jnp.ones_like(x)  # q^k / (k! (k+n)!)
    i_sum, w_sum = jnp.zeros_like(x), jnp.zeros_like(x)
    for k in range(_TERMS):
        if k:
            term = term * q / (k * (k + n))
        psi1 = -_EULER + sum(1.0 / j for j in range(1, k + 1))  # psi(k + 1)
        psi2 = psi1 + (1.0 / (k + 1) if n == 1 else 0.0)  # psi(k + n + 1)
        i_sum = i_sum + term
        w_sum = w_sum + term * (psi1 + psi2)
    if n == 0:  # K0 = -ln(x/2) I0 + sum q^k/(k!)^2 psi(k+1)  (w_sum counted psi twice)
        return -lg * i_sum + w_sum / 2
    # K1 = 1/x + ln(x/2) I1 - (x/4) sum q^k/(k!(k+1)!) (psi(k+1) + psi(k+2))
    return 1 / x + lg * (x / 2) * i_sum - (x / 4) * w_sum


def _integral_scaled(n, x):
    """exp(x) K_n(x) for x > 2."""
    top = jnp.arccosh(1 + 60 / x)  # beyond it the integrand is below exp(-60)
    h = top / _NODES
    t = jnp.arange(_NODES + 1, dtype=x.dtype)[:, None] * h.reshape(1, -1)
    f = jnp.exp(-x.reshape(1, -1) * (jnp.cosh(t) - 1)) * (jnp.cosh(t) if n else 1.0)
    total = h.reshape(-1) * (jnp.sum(f, axis=0) - 0.5 * f[0])
    return total.reshape(x.shape)


def bessel_k(n, x, scaled=False):
    """K_n(x) (scaled: exp(x) K_n(x)) for n in (0, 1) and a floating array x; torch's edge
    values: +inf at 0, NaN below 0."""
    wide = x.astype(jnp.float64) if x.dtype != jnp.float64 else x
    small = wide <= 2
    xs = jnp.where(small & (wide > 0), wide, 1.0)
    xl = jnp.where(small, 3.0, wide)
    s = _series(n, xs)
    s = s * jnp.exp(xs) if scaled else s
    big = _integral_scaled(n, jnp.where(jnp.isinf(xl), 3.0, xl))
    big = big if scaled else big * jnp.exp(-xl)
    r = jnp.where(small, s, big)
    r = jnp.where(jnp.isinf(wide), 0.0, r)
    r = jnp.where(wide == 0, math.inf, jnp.where(wide < 0, math.nan, r))
    return r.astype(x.dtype)
