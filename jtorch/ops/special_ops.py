"""`torch.special` op bodies that have no torch-level twin (exported by `jtorch/special.py`)."""
from __future__ import annotations

import jax.numpy as jnp
import jax.scipy.special as jss
from jax import Array, lax

from ._airy import airy_ai
from ._bessel_k import bessel_k
from ._bessel_y import bessel_y
from . import _torch_grads
from ._opmath import fused as _fused
from ._registry import op
from .elementwise import _to_float

_P = dict(promote=None, public=False, method=False)


def _u(name, f, diff=True):
    def body(input: Array):  # half: in float32, rounded once (jax's ndtr refuses bfloat16)
        return _fused(lambda x: _to_float(f, x), input)
    body.__name__ = name
    body.__doc__ = f"Matches `torch.special.{name}`."
    op("special_" + name, diff=diff, **_P)(body)


def _jn(x, v):
    # jax's bessel_jn needs x >= 0 and returns NaN in float32: compute in float64, cast back
    return jss.bessel_jn(jnp.abs(x).astype(jnp.float64), v=v)[v].astype(x.dtype)


def _j0(x):
    return jnp.where(x == 0, jnp.ones_like(x), _jn(x, 0))  # bessel_jn gives NaN at 0


def _j1(x):
    return jnp.where(x == 0, jnp.zeros_like(x), jnp.sign(x) * _jn(x, 1))


def _sph_j0(x):
    return jnp.where(x == 0, jnp.ones_like(x), jnp.sin(x) / jnp.where(x == 0, 1, x))


for _n, _f in (("entr", jss.entr), ("erfcx", jss.erfcx), ("i0e", jss.i0e), ("i1", jss.i1),
               ("i1e", jss.i1e), ("log_ndtr", jss.log_ndtr), ("ndtr", jss.ndtr), ("ndtri", jss.ndtri),
               ("bessel_j0", _j0), ("bessel_j1", _j1), ("spherical_bessel_j0", _sph_j0),
               ("modified_bessel_i0", jss.i0), ("modified_bessel_i1", jss.i1)):
    _u(_n, _f)
for _n, _f in (("modified_bessel_k0", lambda x: bessel_k(0, x)), ("modified_bessel_k1", lambda x: bessel_k(1, x)),
               ("scaled_modified_bessel_k0", lambda x: bessel_k(0, x, scaled=True)),
               ("scaled_modified_bessel_k1", lambda x: bessel_k(1, x, scaled=True)),
               ("bessel_y0", lambda x: bessel_y(0, x)), ("bessel_y1", lambda x: bessel_y(1, x)),
               ("airy_ai", airy_ai)):
    _u(_n, _f, diff=False)  # torch has no derivative for these


@op("special_zeta", promote="float", public=False, method=False)
def zeta(input: Array, other: Array):
    """Matches `torch.special.zeta` (Hurwitz zeta)."""
    x, q = jnp.broadcast_arrays(input, other)
    z = jss.zeta(x, q)
    # torch's domain rules, in its order: x == 1 -> inf; x < 1 -> nan; q a non-positive integer
    # -> inf; q <= 0 with a non-integer x -> nan.
    inf, nan = jnp.asarray(jnp.inf, z.dtype), jnp.asarray(jnp.nan, z.dtype)
    qpole = (q <= 0) & (q == jnp.floor(q))
    z = jnp.where((q <= 0) & (x != jnp.floor(x)), nan, z)
    z = jnp.where(qpole, inf, z)
    z = jnp.where(x < 1, nan, z)
    return jnp.where(x == 1, inf, z)


@op("special_xlog1py", promote="float", public=False, method=False)
def xlog1py(input: Array, other: Array):
    """Matches `torch.special.xlog1py`."""
    return _torch_grads.xlog1py(input, other)


@op("special_gammainc", promote="float", public=False, method=False)
def gammainc(input: Array, other: Array):
    """Matches `torch.special.gammainc`."""
    return jss.gammainc(input, other)


@op("special_gammaincc", promote="float", public=False, method=False)
def gammaincc(input: Array, other: Array):
    """Matches `torch.special.gammaincc`."""
    return jss.gammaincc(input, other)


# ---- orthogonal polynomials: three-term recurrences up to the largest n ----------------------

def _recur(x, n, p1, step):
    """P_n(x) with P_0 = 1, P_1 = p1, P_{k+1} = step(k, x, P_k, P_{k-1}); 0 for n < 0."""
    x, n = jnp.broadcast_arrays(x, n.astype(x.dtype))
    p0 = jnp.ones_like(x)
    res = jnp.where(n == 0, p0, jnp.where(n == 1, p1, 0))
    top = jnp.max(n) if n.size else 0

    def cond(c):
        return c[0] < top

    def body(c):
        k, pk, pkm1, r = c
        nxt = step(k, x, pk, pkm1)
        return k + 1, nxt, pk, jnp.where(n == k + 1, nxt, r)
    return lax.while_loop(cond, body, (jnp.asarray(1, x.dtype), p1 * jnp.ones_like(x), p0, res))[3]


def _cheb_step(k, x, pk, pkm1):
    return 2 * x * pk - pkm1


_POLY = {
    "chebyshev_polynomial_t": (lambda x: x, _cheb_step),
    "chebyshev_polynomial_u": (lambda x: 2 * x, _cheb_step),
    "chebyshev_polynomial_v": (lambda x: 2 * x - 1, _cheb_step),
    "chebyshev_polynomial_w": (lambda x: 2 * x + 1, _cheb_step),
    "hermite_polynomial_h": (lambda x: 2 * x, lambda k, x, a, b: 2 * x * a - 2 * k * b),
    "hermite_polynomial_he": (lambda x: x, lambda k, x, a, b: x * a - k * b),
    "laguerre_polynomial_l": (lambda x: 1 - x, lambda k, x, a, b: ((2 * k + 1 - x) * a - k * b) / (k + 1)),
    "legendre_polynomial_p": (lambda x: x, lambda k, x, a, b: ((2 * k + 1) * x * a - k * b) / (k + 1)),
}


def _poly(name, shifted=False):
    p1, step = _POLY[name.replace("shifted_", "")]

    def body(input: Array, n: Array):
        from .._promote import promote_args
        x, nn = promote_args("float", input, n)
        if shifted:
            x = 2 * x - 1
        return _recur(x, jnp.trunc(nn), p1(x), step)
    body.__name__ = name
    body.__doc__ = f"Matches `torch.special.{name}`."
    op("special_" + name, diff=False, **_P)(body)


for _n in _POLY:
    _poly(_n)
for _n in ("chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
           "chebyshev_polynomial_w"):
    _poly("shifted_" + _n, shifted=True)
