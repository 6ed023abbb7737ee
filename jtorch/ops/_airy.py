"""The Airy function Ai in jax (float64 inside).

x > 2: Ai(x) = sqrt(x/3) K_{1/3}(zeta) / pi with zeta = 2/3 x^(3/2), K by the trapezoidal rule
on int_0^inf exp(-zeta cosh t) cosh(t/3) dt. -8 <= x <= 2: the Maclaurin series
Ai = Ai(0) f(x) + Ai'(0) g(x). x < -8: the oscillatory asymptotic expansion (DLMF 9.7.9)
with coefficients u_k = Gamma(3k + 1/2) / (54^k k! Gamma(k + 1/2)).
"""
from __future__ import annotations

import math

import jax.numpy as jnp

_AI0 = 0.3550280538878172  # Ai(0) = 3^(-2/3) / Gamma(2/3)
_AIP0 = -0.2588194037928068  # Ai'(0) = -3^(-1/3) / Gamma(1/3)
_SERIES = 60
_NODES = 96
_U = [math.exp(math.lgamma(3 * k + 0.5) - k * math.log(54) - math.lgamma(k + 1) - math.lgamma(k + 0.5))
      for k in range(12)]


def _series(x):
    x3 = x ** 3
    f_term, g_term = jnp.ones_like(x), x
    f, g = f_term, g_term
    for k in range(1, _SERIES):
        f_term = f_term * x3 / ((3 * k - 1) * (3 * k))
        g_term = g_term * x3 / ((3 * k) * (3 * k + 1))
        f, g = f + f_term, g + g_term
    return _AI0 * f + _AIP0 * g


def _positive(x):
    zeta = 2 / 3 * x ** 1.5
    top = jnp.arccosh(1 + 60 / zeta)
    h = top / _NODES
    t = jnp.arange(_NODES + 1, dtype=x.dtype)[:, None] * h.reshape(1, -1)
    f = jnp.exp(-zeta.reshape(1, -1) * (jnp.cosh(t) - 1)) * jnp.cosh(t / 3)
    k_scaled = (h.reshape(-1) * (jnp.sum(f, axis=0) - 0.5 * f[0])).reshape(x.shape)
    return jnp.sqrt(x / 3) / math.pi * k_scaled * jnp.exp(-zeta)


def _negative(x):
    z = -x
    zeta = 2 / 3 * z ** 1.5
    p = sum((-1) ** k * _U[2 * k] * zeta ** (-2 * k) for k in range(6))
    q = sum((-1) ** k * _U[2 * k + 1] * zeta ** (-2 * k - 1) for k in range(6))
    ph = zeta - math.pi / 4
    return (jnp.cos(ph) * p + jnp.sin(ph) * q) / (math.sqrt(math.pi) * z ** 0.25)


def airy_ai(x):
    w = x.astype(jnp.float64) if x.dtype != jnp.float64 else x
    pos, neg = w > 2, w < -8
    r = jnp.where(pos, _positive(jnp.where(pos & jnp.isfinite(w), w, 3.0)),
                  jnp.where(neg, _negative(jnp.where(neg & jnp.isfinite(w), w, -9.0)),
                            _series(jnp.where(pos | neg, 0.0, w))))
    return jnp.where(jnp.isnan(w) | jnp.isinf(w), jnp.nan, r).astype(x.dtype)  # torch: NaN at +-inf
