"""More elementwise math: aliases, angle conversions, integer math, special-function ops."""
from __future__ import annotations

import collections

import jax
import jax.numpy as jnp
import jax.scipy.special as jss
from jax import Array

from .._checks import expand_to, type_name, wrap_dim
from . import _gamma, _torch_grads
from ._opmath import fused as _fused, low
from ._registry import REGISTRY, op
from .elementwise import _is_int, _to_float, _unary


def _promoted(kind, *xs):
    from .._promote import promote_args
    return promote_args(kind, *xs)


# ---- aliases: the same Op object under torch's other names ---------------------------------

ALIASES = {
    "absolute": "abs", "arccos": "acos", "arcsin": "asin", "arctan": "atan", "arccosh": "acosh",
    "arcsinh": "asinh", "arctanh": "atanh", "arctan2": "atan2", "negative": "neg",
    "subtract": "sub", "multiply": "mul", "divide": "div", "true_divide": "div", "fix": "trunc",
    "clip": "clamp", "greater": "gt", "greater_equal": "ge", "less": "lt", "less_equal": "le",
    "not_equal": "ne", "concat": "cat", "concatenate": "cat",
}


def register_aliases(table):
    """Point each alias at its target op (one declaration, several torch names)."""
    for alias, target in table.items():
        if alias not in REGISTRY and target in REGISTRY:
            REGISTRY[alias] = REGISTRY[target]


register_aliases(ALIASES)


# ---- unary ---------------------------------------------------------------------------------

deg2rad = _unary("deg2rad", jnp.deg2rad)
rad2deg = _unary("rad2deg", jnp.rad2deg)
@jax.custom_jvp
def _i0(x):
    return jss.i0(x)


# jax differentiates i0 through |x| (wrong at 0); the derivative of I0 is I1.
_i0.defjvp(lambda p, t: (jss.i0(p[0]), jss.i1(p[0]) * t[0]))
i0 = _unary("i0", _i0)
sinc = _unary("sinc", jnp.sinc)


@op(promote=None, saves="none")
def positive(input: Array):
    """Matches `torch.positive`."""
    if input.dtype == jnp.bool_:
        raise TypeError("The `+` operator, on a bool tensor is not supported.")
    return input


@op(promote=None, saves="none", grad_name="ConjBackward0")
def conj(input: Array):
    """Matches `torch.conj` (a copy rather than a lazy conjugate view)."""
    return jnp.conj(input) if jnp.iscomplexobj(input) else input


@op(promote=None, saves="none", grad_name="AliasBackward0")
def resolve_conj(input: Array):
    """Matches `torch.resolve_conj` (jtorch never has lazy conjugates)."""
    return input


@op(promote=None, saves="none", grad_name="AliasBackward0")
def resolve_neg(input: Array):
    """Matches `torch.resolve_neg` (jtorch never has lazy negation)."""
    return input


@op(promote=None, diff=False)
def isreal(input: Array):
    """Matches `torch.isreal`."""
    return jnp.imag(input) == 0 if jnp.iscomplexobj(input) else jnp.ones(input.shape, jnp.bool_)


@op(promote=None)
def frexp(input: Array):
    """Matches `torch.frexp` (returns mantissa, exponent)."""
    if not jnp.issubdtype(input.dtype, jnp.floating):
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    m, e = jnp.frexp(input)
    return _FREXP(m, e.astype(jnp.int32))



_FREXP = collections.namedtuple("frexp", ["mantissa", "exponent"])
_FREXP.__module__ = "torch.return_types"


@op(promote=None, public=False, method=False, grad_name="PolygammaBackward0")
def _polygamma(input: Array, n: int):
    # torch's order is polygamma(n, input); the Tensor-level wrappers live in _datadep.
    # half: in float32, rounded once (torch's kernel; the half series was up to 728 off near poles)
    return _fused(lambda v: _gamma.polygamma(n, v), _to_float(lambda v: v, input))


@op(inplace=True, promote=None)
def mvlgamma(input: Array, p: int):
    """Matches `torch.mvlgamma`."""
    x = _to_float(lambda v: v, input)
    return jss.multigammaln(x, p)


# ---- binary --------------------------------------------------------------------------------

def _logaddexp_complex(x, y):
    # torch's complex kernel: max + log1p(exp(min - max)) ordered by real part (the first
    # argument on a tie), so the imaginary part is max's plus a small angle, not wrapped to
    # (-pi, pi] as JAX's logaddexp wraps it; NaN anywhere in either is NaN; equal infinite
    # real parts: -inf gives min, +inf log(exp(min) + exp(max)); C++'s exp(-inf + i*inf) is 0
    x, y = jnp.broadcast_arrays(x, y)
    first = jnp.real(y) <= jnp.real(x)
    mx, mn = jnp.where(first, x, y), jnp.where(first, y, x)
    d = mn - mx
    out = jnp.where(jnp.real(d) == -jnp.inf, mx, jnp.log1p(jnp.exp(d)) + mx)  # exp(-inf+i*inf) = 0
    inf = ~jnp.isfinite(jnp.real(mn)) & (jnp.real(mn) == jnp.real(mx))
    out = jnp.where(inf, jnp.where(jnp.real(mn) < 0, mn, jnp.log(jnp.exp(mn) + jnp.exp(mx))), out)
    nan = jnp.isnan(x) | jnp.isnan(y)
    return jnp.where(nan, jnp.full_like(out, complex(jnp.nan, jnp.nan)), out)


_LOGADDEXP = _torch_grads.logaddexp_of(jnp.logaddexp, jnp.exp)
_LOGADDEXP2 = _torch_grads.logaddexp_of(jnp.logaddexp2, jnp.exp2)


@op(inplace=True, promote="float")
def logaddexp(input: Array, other: Array):
    """Matches `torch.logaddexp`."""
    if jnp.iscomplexobj(input) or jnp.iscomplexobj(other):
        return _logaddexp_complex(input, other)
    return _fused(_LOGADDEXP, input, other)


@op(inplace=True, promote="float")
def logaddexp2(input: Array, other: Array):
    """Matches `torch.logaddexp2`."""
    return _fused(_LOGADDEXP2, input, other)


@op(inplace=True, promote="default", diff=False)
def gcd(input: Array, other: Array):
    """Matches `torch.gcd`."""
    return jnp.gcd(input, other)


@op(inplace=True, promote="default", diff=False)
def lcm(input: Array, other: Array):
    """Matches `torch.lcm`."""
    return jnp.lcm(input, other)


@op(inplace=True, promote="default", diff=False)
def heaviside(input: Array, values: Array):
    """Matches `torch.heaviside`."""
    return jnp.where(input == 0, values, (input > 0).astype(input.dtype)).astype(input.dtype)


@jax.custom_jvp
def _nextafter(x, y):
    return jnp.nextafter(x, y)


# torch differentiates nextafter as the identity in input (and zero in other)
_nextafter.defjvp(lambda p, t: (_nextafter(*p), jnp.broadcast_to(t[0], jnp.broadcast_shapes(
    jnp.shape(p[0]), jnp.shape(p[1]))).astype(jnp.result_type(*p))))


@op(inplace=True, promote="default")
def nextafter(input: Array, other: Array):
    """Matches `torch.nextafter`."""
    return _nextafter(input, other)


@op(inplace=True, promote="float")
def ldexp(input: Array, other: Array):
    """Matches `torch.ldexp` (input * 2**other)."""
    return input * jnp.exp2(other)


@op(inplace=True, promote="float")
def igamma(input: Array, other: Array):
    """Matches `torch.igamma` (regularized lower incomplete gamma)."""
    return jss.gammainc(input, other)


@op(inplace=True, promote="float")
def igammac(input: Array, other: Array):
    """Matches `torch.igammac` (regularized upper incomplete gamma)."""
    return jss.gammaincc(input, other)


@op(inplace=True, promote="float", grad_name="Xlog1pyBackward0", public=False, method=False)
def xlog1py(input: Array, other: Array):
    """Matches `torch.special.xlog1py`."""
    return _torch_grads.xlog1py(input, other)


@op(promote="default")
def dist(input: Array, other: Array, p: float = 2):
    """Matches `torch.dist`."""
    from .linalg_ext import _vector_norm
    d = (input - other).reshape(-1)  # torch's gradient is the norm's (0 at a zero distance)
    # half precision: the norm accumulates in float32 and rounds once, as linalg.vector_norm
    return _fused(lambda v: _torch_grads.vector_norm(
        lambda a: _vector_norm(a, p, None, False), v, p, None, False), d)


@op(promote="default")
def inner(input: Array, other: Array):
    """Matches `torch.inner`."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got "
                           f"shapes {list(input.shape)} and {list(other.shape)}")
    return jnp.inner(input, other)


@op(inplace=True, promote=None)
def addr(input: Array, vec1: Array, vec2: Array, *, beta: Array = 1, alpha: Array = 1):
    """Matches `torch.addr`."""
    from .._promote import promote_args
    input, vec1, vec2 = promote_args("default", input, vec1, vec2)
    o = jnp.outer(vec1, vec2)
    expand_to(input, o.shape)
    if o.dtype == jnp.bool_:
        return (input & (beta != 0)) | (o & (alpha != 0))
    return beta * input + alpha * o if not (isinstance(beta, int) and beta == 0) else alpha * o


@op(inplace=True, promote="default")
def addbmm(input: Array, batch1: Array, batch2: Array, *, beta=1, alpha=1):
    """Matches `torch.addbmm`."""
    if batch1.ndim == 3 and batch2.ndim == 3 and (batch1.shape[0] != batch2.shape[0] or
                                                  batch1.shape[2] != batch2.shape[1]):
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({batch1.shape[1]}x{batch1.shape[2]} "
                           f"and {batch2.shape[1]}x{batch2.shape[2]})")
    from .linalg import coef
    if batch1.ndim == 3 and batch2.ndim == 3:
        expand_to(input, (batch1.shape[1], batch2.shape[2]))
    p = jnp.matmul(batch1, batch2)
    s = jnp.sum(p, axis=0, dtype=p.dtype)  # int8 stays int8 (wraps), as torch's
    return coef(beta, s) * input + coef(alpha, s) * s if not (isinstance(beta, int) and beta == 0) \
        else coef(alpha, s) * s


@op(promote="default")
def ger(input: Array, vec2: Array):
    """Matches `torch.ger` (= outer)."""
    return jnp.outer(input, vec2)


@op(promote=None)
def trace(input: Array):
    """Matches `torch.trace`."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    dt = jnp.int64 if _is_int(input) else input.dtype
    return jnp.trace(input).astype(dt)


@op(inplace=True, promote=None)
def renorm(input: Array, p: float, dim: int, maxnorm: float):
    """Matches `torch.renorm`."""
    if input.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions")
    axes = tuple(a for a in range(input.ndim) if a != wrap_dim(dim, input.ndim))
    from .linalg_ext import _vector_norm

    def norm(v):
        return _torch_grads.vector_norm(lambda a: _vector_norm(a, p, axes, True), v, p, axes, True)
    # rows within maxnorm (or with a NaN norm) pass unscaled with gradient 1: their norm is
    # taken of zeros, so no NaN from its derivative reaches them
    # half precision: the norm and the factor in float32, the factor rounded to the input's
    # dtype before the product (torch's kernel writes it into a tensor of that dtype)
    x = input.astype(jnp.float32) if low(input.dtype) else input
    over = jax.lax.stop_gradient(norm(x)) > maxnorm
    n = norm(jnp.where(over, x, 0))
    scale = jnp.where(over, maxnorm / (jnp.where(over, n, 1.0) + 1e-7), 1.0)
    return (input * scale.astype(input.dtype)).astype(input.dtype)


@op(promote=None, grad_name="SqueezeBackward0")  # torch's cov ends in squeeze()
def cov(input: Array, *, correction: int = 1, fweights: Array = None, aweights: Array = None):
    """Matches `torch.cov`."""
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input "
                           f"with {input.ndim} dimensions")
    for name, w in (("fweights", fweights), ("aweights", aweights)):
        if w is not None and w.ndim > 1:
            raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                               f"{name} with {w.ndim} dimensions")
    if fweights is not None and not jnp.issubdtype(fweights.dtype, jnp.integer):
        raise RuntimeError("cov(): expected fweights to have integral dtype but got fweights with "
                           f"{type_name(fweights.dtype)} dtype")
    if aweights is not None and not jnp.issubdtype(aweights.dtype, jnp.floating):
        raise RuntimeError("cov(): expected aweights to have floating point dtype but got aweights "
                           f"with {type_name(aweights.dtype)} dtype")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    if _is_int(x):
        x = x.astype(jnp.float32)
    # torch's steps and dtypes: the weights' sums and the normalising factor stay in the
    # weights' dtype (float32 aweights with float64 input normalise in float32)
    for name, v in (("fweights", fweights), ("aweights", aweights)):
        if v is not None and v.size != x.shape[1]:
            raise RuntimeError(f"cov(): expected {name} to have the same numel as there are observations "
                               f"in the input but got {v.size} != {x.shape[1]}")
    if fweights is not None:  # integer weights take the other operand's dtype, as in torch
        fweights = fweights.astype(aweights.dtype if aweights is not None else x.dtype)
    w = fweights if aweights is None else aweights if fweights is None else fweights * aweights
    if w is None:
        avg, norm = jnp.mean(x, axis=1), x.shape[1] - correction
    else:
        w_sum = jnp.sum(w)
        avg = jnp.sum(x * w, axis=1) / w_sum.astype(jnp.result_type(x, w))
        norm = w_sum - (correction * jnp.sum(w * aweights) / w_sum if aweights is not None and correction
                        else w_sum.dtype.type(correction))
    x = x - avg[:, None]
    c = x @ jnp.conj(x * w if w is not None else x).T
    norm = jnp.asarray(jnp.where(norm > 0, norm, 0)).astype(c.real.dtype)
    if jnp.iscomplexobj(c):  # a real divisor divides each part (x/0 is inf, not nan, as in torch)
        return jnp.squeeze(jax.lax.complex(c.real / norm, c.imag / norm))
    return jnp.squeeze(c / norm)


@op(promote=None)
def corrcoef(input: Array):
    """Matches `torch.corrcoef`."""
    x = input.astype(jnp.float32) if _is_int(input) else input
    return jnp.corrcoef(x).astype(x.dtype)
