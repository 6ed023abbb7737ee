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

from ._opmath import low, step


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


def sign(x):
    """torch's sign of a real tensor: 0 at 0 (+0.0 at -0.0) and at NaN."""
    return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)


_abs = elementwise(jnp.abs, lambda x, y: sign(x))


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
    return linear_tangent(f, df_t)


def std(x, axis, ddof, keepdims):
    """sqrt(var) with torch's std_backward: var_backward(grad / (2 * result)), 0 where the result
    is 0 (a constant input). bfloat16/float16: the value is computed in float32 and rounded once
    (torch's kernel); the gradient rounds grad / (2 * result), (2 / dof) * that and the centred
    input to the input's dtype, as torch's formula does step by step. Complex inputs: JAX's
    derivative of the (real) result."""
    dt = x.dtype
    up = jnp.float32 if low(dt) else dt

    def f(v):
        var = jnp.var(v.astype(up), axis=axis, ddof=ddof, keepdims=keepdims)
        zero = var == 0
        out = jnp.where(zero, 0.0, jnp.sqrt(jnp.where(zero, 1.0, var)))
        return out if jnp.iscomplexobj(v) else out.astype(dt)
    if not jnp.issubdtype(dt, jnp.floating):
        return f(x)

    def df_t(v, t):
        n = v.size if axis is None else _count(v.shape, axis)
        r = f(v).astype(up)
        mean = step(jnp.mean(v.astype(up), axis=axis, keepdims=True), dt)
        centred = step(v.astype(up) - mean, dt)
        # the transpose of these steps, read backwards, is torch's formula
        u = step(jnp.sum(t.astype(up) * centred, axis=axis, keepdims=keepdims), dt)
        u = step(u * (jnp.asarray(2.0, up) / (n - ddof)), dt)  # inf at n == correction, as var's
        zero = r == 0
        return jnp.where(zero, 0.0, u / (2 * jnp.where(zero, 1.0, r))).astype(dt)
    return linear_tangent(f, df_t)(x)


def softmax(x, axis):
    """softmax; bfloat16/float16 as torch's CPU kernels: the value in float32, rounded once, and
    the gradient (grad - sum(grad * out)) * out in float32 from the rounded output, rounded once
    (JAX's derivative used the unrounded output: a gradient 1e-8 where torch's is 1e-5)."""
    if not low(x.dtype):
        return jax.nn.softmax(x, axis=axis)
    dt = x.dtype

    def f(v):
        u = v.astype(jnp.float32)
        if axis % v.ndim == v.ndim - 1:
            return jax.nn.softmax(u, axis=axis).astype(dt)
        # another dim: torch's kernel stores exp(x - max) in the half output, then divides it
        # by the float32 sum of the unrounded exponentials
        e = jnp.exp(u - jax.lax.stop_gradient(jnp.max(u, axis=axis, keepdims=True)))
        return (step(e, dt) / jnp.sum(e, axis=axis, keepdims=True)).astype(dt)

    def df_t(v, t):
        o = f(v).astype(jnp.float32)
        w = o * t.astype(jnp.float32)
        # transposed: (grad - sum(grad * o)) * o, torch's order
        return (w - o * jnp.sum(w, axis=axis, keepdims=True)).astype(dt)
    return linear_tangent(f, df_t)(x)


def _count(shape, axis):
    axes = axis if isinstance(axis, tuple) else (axis,)
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def linear_tangent(f, df_t):
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
    return linear_tangent(f, df_t)(x)


def _split_by_zeros(v):
    # Each formula gets ones where it is not used: the unused one's zero cotangent times a NaN
    # coefficient would still be NaN.
    zero = jnp.any(v == 0)
    one = jnp.ones_like(v)
    return zero, jnp.where(zero, one, v), jnp.where(zero, v, one)


def cumprod(x, axis):
    """jnp.cumprod with torch's gradient: reversed_cumsum(grad * output) / x while no element
    is 0 (NaN/inf reach every earlier gradient, as in torch), JAX's rule when one is.
    bfloat16/float16: the product accumulates in float32, each output rounded once (torch's
    kernel), and the gradient rounds grad * output and the reversed cumsum to the input's dtype
    before the division, as torch's backward formula does."""
    if not jnp.issubdtype(x.dtype, jnp.floating):
        return jnp.cumprod(x, axis=axis)
    dt, up = x.dtype, (jnp.float32 if low(x.dtype) else x.dtype)

    def f(v):
        return jnp.cumprod(v.astype(up), axis=axis).astype(dt)

    def df_t(v, t):
        if v.shape[axis] == 1:  # torch returns the gradient itself
            return t
        zero, q, e = _split_by_zeros(v)
        exact = jax.jvp(f, (e,), (t,))[1]
        # the transpose of this tangent is torch's formula; each step() rounds where it does
        a = step(t.astype(up) / q.astype(up), dt)
        quotient = (f(q).astype(up) * step(jnp.cumsum(a, axis=axis), dt)).astype(dt)
        return jnp.where(zero, exact, quotient)
    return linear_tangent(f, df_t)(x)


def partials(f, *ds):
    """`f(*args)` with torch's partial derivatives `ds[i](*args, out)` (each broadcast to the
    output; a symbolic-zero tangent skips its term, so an infinite partial never meets a zero
    tangent). Complex inputs keep JAX's derivative."""
    g = jax.custom_jvp(lambda *args: f(*args))
    g.defjvps(*[(lambda d: lambda t, out, *args: _times(d(*args, out), t, out))(d) for d in ds])

    def call(*args):
        if any(jnp.iscomplexobj(a) for a in args):
            return f(*args)
        return g(*args)
    return call


def _times(d, t, out):
    """A partial times its tangent, broadcast to the output; an integer argument's tangent
    (float0) contributes nothing."""
    if t.dtype == jax.dtypes.float0:
        return jnp.zeros_like(out)
    return jnp.broadcast_to(d * t, out.shape).astype(out.dtype)


def _masked_recip(d):
    return jnp.where(d == 0, jnp.zeros_like(d), 1 / d)


atan2 = partials(jnp.arctan2,
                 lambda x, y, o: y * _masked_recip(x * x + y * y),
                 lambda x, y, o: -x * _masked_recip(x * x + y * y))
hypot = partials(jnp.hypot, lambda x, y, o: x / o, lambda x, y, o: y / o)
# copysign: result / self, 0 where self == 0 (NaN at +-inf and NaN, as torch's ratio)
copysign = partials(jnp.copysign,
                    lambda x, y, o: jnp.where(x == 0, jnp.zeros_like(o), o / x),
                    lambda x, y, o: jnp.zeros_like(o))


def _pick(take):
    return lambda x, y, o: take(x, y).astype(o.dtype)


# fmax/fmin: the whole gradient to `input` where it wins or ties (or `other` is NaN)
fmax = partials(jnp.fmax, _pick(lambda x, y: (x >= y) | jnp.isnan(y)),
                _pick(lambda x, y: ~((x >= y) | jnp.isnan(y))))
fmin = partials(jnp.fmin, _pick(lambda x, y: (x <= y) | jnp.isnan(y)),
                _pick(lambda x, y: ~((x <= y) | jnp.isnan(y))))


def _pow_dx(x, e, o):
    """e * x ** (e - 1), 0 where the exponent is 0 (also for a NaN or zero base)."""
    return jnp.where(e == 0, jnp.zeros_like(o), e * jnp.power(jnp.where(e == 0, 1, x), e - 1))


def _pow_de(x, e, o):
    """x ** e * log(x), 0 where the base is 0 and the exponent non-negative."""
    return jnp.where((x == 0) & (e >= 0), jnp.zeros_like(o), o * jnp.log(x))


power = partials(jnp.power, _pow_dx, _pow_de)


def _pow_scalar_value(x, e):
    """Tensor ** number as torch's kernel: 0.5 is sqrt and -0.5 rsqrt (sqrt(-0) is -0 and
    sqrt(-inf) NaN, where pow gives 0 and inf)."""
    s, r = e == 0.5, e == -0.5
    one = jnp.ones_like(x)  # each branch sees 1 where it is not taken: no NaN in higher derivatives
    return jnp.where(s, jnp.sqrt(jnp.where(s, x, one)), jnp.where(
        r, jax.lax.rsqrt(jnp.where(r, x, one)), jnp.power(jnp.where(s | r, one, x), e)))


power_scalar = partials(_pow_scalar_value,
                        lambda x, e, o: jnp.where(e == 0, jnp.zeros_like(o), e * _pow_scalar_value(x, e - 1)),
                        lambda x, e, o: jnp.zeros_like(o))


# xlogy / xlog1py: log(y) (log1p(y)) to `input`, 0 only where input == 0 and y is outside the
# log's domain (torch's mask); input / y (input / (1 + y)) to `other`
xlogy = partials(jax.scipy.special.xlogy,
                 lambda x, y, o: jnp.where((x == 0) & (y <= 0), jnp.zeros_like(o), jnp.log(y)),
                 lambda x, y, o: x / y)
xlog1py = partials(jax.scipy.special.xlog1py,
                   lambda x, y, o: jnp.where((x == 0) & (y <= -1), jnp.zeros_like(o), jnp.log1p(y)),
                   lambda x, y, o: x / (y + 1))


def logaddexp_of(f, base_exp):
    """logaddexp(2) with torch's gradient 1 / (1 + base ** (other - self)): 0 to a finite
    argument beside +inf, NaN where both are +inf."""
    return partials(f, lambda x, y, o: 1 / (1 + base_exp(y - x)), lambda x, y, o: 1 / (1 + base_exp(x - y)))


def remainder_of(floor_div):
    """remainder with torch's gradient -floor(self / other) to `other` (NaN at an infinite
    `self`, where torch's floor division is NaN)."""
    return partials(jnp.remainder, lambda x, y, o: jnp.ones_like(o), lambda x, y, o: -floor_div(x, y))


def _mask(m, o):
    return m.astype(o.dtype)


def _clamp_value(x, lo, hi):
    # where() keeps NaN inputs NaN; a NaN bound makes the result NaN, as in torch
    if lo is not None:
        x = jnp.where((x < lo) | (lo != lo), lo, x)
    if hi is not None:
        x = jnp.where((x > hi) | (hi != hi), hi, x)
    return x


_clamp_min = partials(lambda x, lo: _clamp_value(x, lo, None),
                      lambda x, lo, o: _mask(x >= lo, o), lambda x, lo, o: _mask(x < lo, o))
_clamp_max = partials(lambda x, hi: _clamp_value(x, None, hi),
                      lambda x, hi, o: _mask(x <= hi, o), lambda x, hi, o: _mask(x > hi, o))
_clamp_min_max = partials(_clamp_value,
                          lambda x, lo, hi, o: _mask((x >= lo) & (x <= hi), o),
                          lambda x, lo, hi, o: _mask((x < lo) & (lo < hi), o),
                          lambda x, lo, hi, o: _mask((x > hi) | (hi < lo), o))


def clamp(x, lo, hi):
    """clamp with torch's gradient: to `input` where lo <= x <= hi, to `min` where x < min (and
    min < max), to `max` where x > max (or max < min); nothing where a NaN makes every
    comparison false."""
    if jnp.iscomplexobj(x):
        return _clamp_value(x, lo, hi)
    if lo is None:
        return _clamp_max(x, hi)
    if hi is None:
        return _clamp_min(x, lo)
    return _clamp_min_max(x, lo, hi)


def vector_norm(value, x, ord, ax, keepdim):
    """`value(|x|)`, a vector norm, with torch's norm_backward: sgn(x) for ord 1 (0 at 0),
    x / norm for ord 2 and x * |x| ** (ord - 2) / norm ** (ord - 1) otherwise, 0 where the norm
    is 0; the +-inf norms spread the gradient over the elements equal to the norm (0 when
    none is, e.g. at NaN); ord 0 has none. Complex inputs keep JAX's derivative."""
    if jnp.iscomplexobj(x) or not jnp.issubdtype(x.dtype, jnp.floating):
        return value(jnp.abs(x))

    @jax.custom_jvp
    def g(x):
        return value(jnp.abs(x))

    @g.defjvp
    def _jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        n = g(x)
        nk = n if keepdim or ax is None and n.ndim == x.ndim else jnp.expand_dims(
            n, tuple(range(x.ndim)) if ax is None else ax)
        zero = jnp.zeros_like(x)
        if ord == 0:
            d = zero
        elif ord == 1:
            d = sign(x)
        elif ord in (float("inf"), float("-inf")):
            mask = (jnp.abs(x) == nk).astype(x.dtype)
            count = jnp.sum(mask, axis=ax, keepdims=True)
            d = jnp.where(count == 0, zero, sign(x) * mask / jnp.where(count == 0, 1, count))
        else:
            if ord == 2:
                scaled = x
            elif ord < 1:
                scaled = jnp.where(x == 0, zero, sign(x) * jnp.abs(x) ** (ord - 1))
            elif ord < 2:
                scaled = sign(x) * jnp.abs(x) ** (ord - 1)
            else:
                scaled = x * jnp.abs(x) ** (ord - 2)
            scale = jnp.where(nk == 0, jnp.zeros_like(nk), 1 / jnp.where(nk == 0, 1, nk) ** (ord - 1))
            d = scaled * scale
        return n, jnp.sum(d * t, axis=ax, keepdims=keepdim).astype(n.dtype)
    return g(x)
