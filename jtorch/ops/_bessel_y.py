"""Bessel functions of the second kind Y0, Y1 in jax.

x <= 4: the power series around 0 (J_n's series times ln(x/2) plus a digamma-weighted series).
x > 4: Y_n = Im H_n(x) with the Hankel function H_n(x) = (2 / (pi i)) e^(-i n pi / 2) K_n(-i x)
and K_n(z) = sqrt(pi / 2z) e^-z / Gamma(n + 1/2) int_0^inf e^-t t^(n-1/2) (1 + t/2z)^(n-1/2) dt;
with t = u^2 the integrand is a Gaussian times a smooth factor, so the trapezoidal rule
converges geometrically.
"""
from __future__ import annotations

import math

import jax.numpy as jnp

_EULER = 0.5772156649015329
_TERMS = 40
_NODES = 64
_UMAX = 6.5  # exp(-UMAX^2) < 1e-18


def _series(n, x):
    q = (x / 2) ** 2
    term = jnp.ones_like(x)  # (-q)^k / (k! (k+n)!)
    j_sum, w_sum = jnp.zeros_like(x), jnp.zeros_like(x)
    for k in range(_TERMS):
        if k:
            term = -term * q / (k * (k + n))
        psi1 = -_EULER + sum(1.0 / j for j in range(1, k + 1))  # psi(k + 1)
        psi2 = psi1 + (1.0 / (k + 1) if n == 1 else 0.0)  # psi(k + n + 1)
        j_sum = j_sum + term
        w_sum = w_sum + term * (psi1 + psi2)
    lg = jnp.log(x / 2)
    if n == 0:  # Y0 = (2/pi) (ln(x/2) J0 - sum (-q)^k/(k!)^2 psi(k+1))
        return (2 / math.pi) * (lg * j_sum - w_sum / 2)
    # Y1 = -2/(pi x) + (2/pi) ln(x/2) J1 - (1/pi) (x/2) sum (-q)^k/(k!(k+1)!) (psi(k+1) + psi(k+2))
    return -2 / (math.pi * x) + (2 / math.pi) * lg * (x / 2) * j_sum - (x / (2 * math.pi)) * w_sum


def _hankel(n, x):
    h = _UMAX / _NODES
    u = (jnp.arange(_NODES + 1, dtype=jnp.float64) * h)[:, None]
    z = -1j * x.reshape(1, -1).astype(jnp.complex128)
    f = 2 * jnp.exp(-u * u) * u ** (2 * n) * (1 + u * u / (2 * z)) ** (n - 0.5)
    integral = h * (jnp.sum(f, axis=0) - 0.5 * f[0])
    gamma = math.sqrt(math.pi) * (0.5 if n else 1.0)
    k = jnp.sqrt(math.pi / (2 * z[0])) * jnp.exp(-z[0]) / gamma * integral
    hank = (2 / (math.pi * 1j)) * (-1j) ** n * k
    return jnp.imag(hank).reshape(x.shape)


def bessel_y(n, x):
    """Y_n(x) for n in (0, 1) and a floating array x; torch's edge values: -inf at 0, NaN
    below 0 and at +inf."""
    w = x.astype(jnp.float64) if x.dtype != jnp.float64 else x
    small = w <= 4
    s = _series(n, jnp.where(small & (w > 0), w, 1.0))
    big = _hankel(n, jnp.where(small | ~jnp.isfinite(w), 5.0, w))
    r = jnp.where(small, s, big)
    r = jnp.where(w == 0, -math.inf, jnp.where((w < 0) | jnp.isnan(w) | jnp.isinf(w), math.nan, r))
    return r.astype(x.dtype)
