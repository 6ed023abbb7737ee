"""Elementwise ops: arithmetic, comparisons, logic and unary math."""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import Array, lax

from . import _gamma, _torch_grads
from ._opmath import fused as _fused, low as _opmath_low, step
from ._registry import op


def _is_int(x):
    return jnp.issubdtype(x.dtype, jnp.integer) or x.dtype == jnp.bool_


# ---- binary arithmetic -------------------------------------------------------------------

@op(inplace=True, grad_name="AddBackward0", saves="none")
def add(input: Array, other: Array, *, alpha: Array = 1):
    """Matches `torch.add`."""
    if _is_one(alpha):
        return input + other
    if _opmath_low(input.dtype):  # torch: alpha rounded to the half dtype, the rest in float32
        return _fused(lambda x, y: x + y * _alpha(alpha, input.dtype), input, other)
    return input + other * alpha


@op(inplace=True, saves="none")
def sub(input: Array, other: Array, *, alpha: Array = 1):
    """Matches `torch.sub`."""
    if input.dtype == jnp.bool_ and getattr(other, "dtype", None) == jnp.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if _is_one(alpha):
        return input - other
    if _opmath_low(input.dtype):
        return _fused(lambda x, y: x - y * _alpha(alpha, input.dtype), input, other)
    return input - other * alpha


def _alpha(alpha, dt):
    return jnp.asarray(alpha).astype(dt).astype(jnp.float32)


def _wide_scalar(v, dt):
    """A Python number or 0-dim tensor of another dtype than the half result `dt`: torch's
    kernels use its value in float32 (opmath), not rounded to the half dtype."""
    return jnp.ndim(v) == 0 and jnp.result_type(v) != dt


def _is_one(a):
    return isinstance(a, (int, float)) and a == 1


subtract = sub


@op(inplace=True, grad_name="RsubBackward1", saves="none")
def rsub(input: Array, other: Array, *, alpha: Array = 1):
    """Matches `torch.rsub` (other - alpha * input)."""
    return other - input * alpha if not _is_one(alpha) else other - input


@op(inplace=True, promote=None)
def mul(input: Array, other: Array):
    """Matches `torch.mul` (a half tensor times a number: the number's float32 value, one
    rounding, as torch's kernel)."""
    from .._promote import promote_args
    x, y = promote_args("default", input, other)
    if _opmath_low(x.dtype):
        if _wide_scalar(other, x.dtype):
            return (x.astype(jnp.float32) * jnp.asarray(other).astype(jnp.float32)).astype(x.dtype)
        if _wide_scalar(input, x.dtype):
            return (jnp.asarray(input).astype(jnp.float32) * y.astype(jnp.float32)).astype(x.dtype)
    return x * y


@op(inplace=True, promote=None,
    grad_name=lambda a, k: "DivBackward2" if k.get("rounding_mode") is not None else "DivBackward0")
def div(input: Array, other: Array, *, rounding_mode: str | None = None):
    """Matches `torch.div` (true division promotes integers to the default float)."""
    from .._promote import promote_args
    if rounding_mode is None:
        x, y = promote_args("float", input, other)
        if _opmath_low(x.dtype) and _wide_scalar(other, x.dtype):  # as mul: the divisor's float32
            return (x.astype(jnp.float32) / jnp.asarray(other).astype(jnp.float32)).astype(x.dtype)
        return x / y
    x, y = promote_args("default", input, other)
    if rounding_mode == "trunc":
        if _is_int(x):
            return _int_trunc_div(x, y)
        return jnp.trunc(x / y)
    if rounding_mode == "floor":
        if _is_int(x):
            return jnp.floor_divide(x, y)
        return _float_floor_div(x, y)
    raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                     f"'{rounding_mode}'")


def _int_trunc_div(x, y):
    # Truncation toward zero, as C and PyTorch do for integers.
    q = jnp.floor_divide(x, y)
    fix = (x % y != 0) & ((x < 0) != (y < 0))
    return jnp.where(fix, q + 1, q)


def _float_floor_div(x, y):
    # PyTorch's floor division: floor(x / y) computed via fmod to stay exact.
    mod = jnp.fmod(x, y)
    div_ = (x - mod) / y
    div_ = jnp.where((mod != 0) & ((y < 0) != (mod < 0)), div_ - 1, div_)
    fl = jnp.floor(div_)
    fl = jnp.where(div_ - fl > 0.5, fl + 1, fl)
    q = jnp.where(div_ != 0, fl, jnp.copysign(jnp.zeros_like(div_), x / y))
    return jnp.where(y == 0, x / y, q)  # fmod(x, 0) is NaN; torch gives x / 0 (inf, nan)


true_divide = div
divide = div
_remainder = _torch_grads.remainder_of(_float_floor_div)


@op(inplace=True, diff=False)
def floor_divide(input: Array, other: Array):
    """Matches `torch.floor_divide`."""
    if _is_int(input):
        return jnp.floor_divide(input, other)
    return _float_floor_div(input, other)


@op(inplace=True)
def remainder(input: Array, other: Array):
    """Matches `torch.remainder` (sign of the divisor)."""
    if _is_int(input) and _is_int(other):
        return jnp.remainder(input, other)
    return _remainder(input, other)


@op(inplace=True)
def fmod(input: Array, other: Array):
    """Matches `torch.fmod` (sign of the dividend)."""
    return jnp.fmod(input, other)


def _pow_name(args, kwargs):
    # PyTorch's overloads: Tensor ** number (0), Tensor ** Tensor (1), number ** Tensor (2).
    base = args[0] if args else kwargs.get("input", kwargs.get("self"))
    e = args[1] if len(args) > 1 else kwargs.get("exponent")
    if not hasattr(base, "_rg"):
        return "PowBackward2"
    return "PowBackward1" if hasattr(e, "_rg") else "PowBackward0"


@op(inplace=True, promote=None, grad_name=_pow_name)
def pow(input: Array, exponent: Array):
    """Matches `torch.pow` (Tensor ** 0.5 and ** -0.5 as torch's sqrt and rsqrt)."""
    from .._promote import is_wrapped_number, promote_args
    # torch's Tensor ** Scalar kernel specialises some exponents, Tensor ** Tensor does not
    scalar = is_wrapped_number(exponent) and not is_wrapped_number(input)
    input, exponent = promote_args("default", input, exponent)
    if _is_int(input) and _is_int(exponent):
        if isinstance(exponent, int):
            return lax.integer_pow(input, exponent)
        return _int_power(input, exponent)
    if scalar and jnp.issubdtype(input.dtype, jnp.floating):
        return _torch_grads.power_scalar(input, exponent)
    return _torch_grads.power(input, exponent)


def _int_power(x, e):
    # XLA's integer power returns junk for negative exponents; torch truncates 1 / x**-e
    # (0 except for bases 1 and -1, and 0 for base 0).
    p = jnp.power(x, jnp.maximum(e, 0).astype(e.dtype))
    neg = jnp.where(x == 1, 1, jnp.where(x == -1, jnp.where(e % 2 == 0, 1, -1), 0))
    return jnp.where(e < 0, neg.astype(p.dtype), p)


@op(inplace=True, promote=None, grad_name=_pow_name)
def float_power(input: Array, exponent: Array):
    """Matches `torch.float_power` (computes in float64/complex128)."""
    dt = jnp.complex128 if jnp.iscomplexobj(input) or jnp.iscomplexobj(exponent) else jnp.float64
    return _torch_grads.power(jnp.asarray(input).astype(dt), jnp.asarray(exponent).astype(dt))


@op(inplace=True)
def atan2(input: Array, other: Array):
    """Matches `torch.atan2`."""
    return _to_float(_torch_grads.atan2, input, other)


arctan2 = atan2


@op(inplace=True)
def maximum(input: Array, other: Array):
    """Matches `torch.maximum` (NaN propagates)."""
    return _torch_grads.extremum(jnp.maximum, 1)(input, other)


@op(inplace=True)
def minimum(input: Array, other: Array):
    """Matches `torch.minimum` (NaN propagates)."""
    return _torch_grads.extremum(jnp.minimum, -1)(input, other)


@op(inplace=True)
def fmax(input: Array, other: Array):
    """Matches `torch.fmax` (NaN ignored)."""
    return _torch_grads.fmax(input, other)


@op(inplace=True)
def fmin(input: Array, other: Array):
    """Matches `torch.fmin` (NaN ignored)."""
    return _torch_grads.fmin(input, other)


@op(inplace=True, promote="float")
def hypot(input: Array, other: Array):
    """Matches `torch.hypot`."""
    return _torch_grads.hypot(input, other)


@op(inplace=True, promote=None)
def lerp(input: Array, end: Array, weight: Array):
    """Matches `torch.lerp` (half precision computed in float32, as torch's opmath)."""
    dt = jnp.result_type(input, end)
    if hasattr(weight, "dtype") and weight.dtype != dt:  # a 0-dim weight is read as a scalar
        weight = weight.astype(jnp.float32 if _opmath_low(dt) else dt)  # (others: _dtype_rules)
    return _fused(lambda i, e, w: i + w * (e - i), input, end, weight, out_dtype=dt)


@op(inplace=True, promote=None)
def addcmul(input: Array, tensor1: Array, tensor2: Array, *, value: Array = 1):
    """Matches `torch.addcmul` (half precision computed in float32, as torch's opmath)."""
    return _fused(lambda i, a, b: i + value * a * b, input, tensor1, tensor2)


@op(inplace=True, promote=None)
def addcdiv(input: Array, tensor1: Array, tensor2: Array, *, value: Array = 1):
    """Matches `torch.addcdiv` (half precision computed in float32, as torch's opmath)."""
    return _fused(lambda i, a, b: i + value * a / b, input, tensor1, tensor2)


def _clamp_name(args, kwargs):
    # PyTorch's overloads: tensor bounds (ClampBackward0), number bounds (ClampBackward1).
    bounds = list(args[1:]) + [kwargs.get("min"), kwargs.get("max")]
    return "ClampBackward0" if any(hasattr(b, "_rg") for b in bounds) else "ClampBackward1"


@op(inplace=True, promote=None, grad_name=_clamp_name)
def clamp(input: Array, min: Array = None, max: Array = None):
    """Matches `torch.clamp`."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    from .._promote import promote_args
    x = input
    lo, hi = min, max
    vals = [v for v in (x, lo, hi) if v is not None]
    cast = promote_args("default", *vals)
    x = cast[0]
    it = iter(cast[1:])
    lo = next(it) if lo is not None else None
    hi = next(it) if hi is not None else None
    return _torch_grads.clamp(x, lo, hi)


clip = clamp


@op(inplace=True, promote=None)
def clamp_min(input: Array, min: Array):
    """Matches `torch.clamp_min`."""
    return jnp.where(input < min, jnp.asarray(min, input.dtype), input)


@op(inplace=True, promote=None)
def clamp_max(input: Array, max: Array):
    """Matches `torch.clamp_max`."""
    return jnp.where(input > max, jnp.asarray(max, input.dtype), input)


# ---- comparisons and logic ---------------------------------------------------------------

def _cmp(name, f):
    def body(input: Array, other: Array):
        return f(input, other)
    body.__name__ = name
    body.__doc__ = f"Matches `torch.{name}`."
    op(name, inplace=True, promote="compare", diff=False)(body)
    return body


eq = _cmp("eq", jnp.equal)
ne = _cmp("ne", jnp.not_equal)
lt = _cmp("lt", jnp.less)
le = _cmp("le", jnp.less_equal)
gt = _cmp("gt", jnp.greater)
ge = _cmp("ge", jnp.greater_equal)


@op(inplace=True, promote=None, diff=False)
def logical_and(input: Array, other: Array):
    """Matches `torch.logical_and`."""
    return jnp.logical_and(input != 0, other != 0)


@op(inplace=True, promote=None, diff=False)
def logical_or(input: Array, other: Array):
    """Matches `torch.logical_or`."""
    return jnp.logical_or(input != 0, other != 0)


@op(inplace=True, promote=None, diff=False)
def logical_xor(input: Array, other: Array):
    """Matches `torch.logical_xor`."""
    return jnp.logical_xor(input != 0, other != 0)


@op(inplace=True, promote=None, diff=False)
def logical_not(input: Array):
    """Matches `torch.logical_not`."""
    return input == 0


def _bitwise(name, f):
    def body(input: Array, other: Array):
        if jnp.issubdtype(input.dtype, jnp.floating) or jnp.issubdtype(input.dtype, jnp.complexfloating):
            raise RuntimeError(f"\"{name}_cpu\" not implemented for '{input.dtype}': bitwise ops need "
                               "integer or bool tensors")
        return f(input, other)
    body.__name__ = name
    body.__doc__ = f"Matches `torch.{name}`."
    op(name, inplace=True, diff=False)(body)
    return body


bitwise_and = _bitwise("bitwise_and", jnp.bitwise_and)
bitwise_or = _bitwise("bitwise_or", jnp.bitwise_or)
bitwise_xor = _bitwise("bitwise_xor", jnp.bitwise_xor)
bitwise_left_shift = _bitwise("bitwise_left_shift", jnp.left_shift)
bitwise_right_shift = _bitwise("bitwise_right_shift", jnp.right_shift)


@op(inplace=True, promote=None, diff=False)
def bitwise_not(input: Array):
    """Matches `torch.bitwise_not`."""
    if input.dtype == jnp.bool_:
        return ~input
    return jnp.bitwise_not(input)


@op(promote=None, grad_name="WhereBackward0", method=False)
def where(condition: Array, input: Array, other: Array):
    """Matches `torch.where(condition, input, other)`."""
    from .._promote import promote_args
    x, y = promote_args("default", input, other)
    return jnp.where(condition, x, y)


@op(promote=None, diff=False)
def isnan(input: Array):
    """Matches `torch.isnan`."""
    return jnp.isnan(input)


@op(promote=None, diff=False)
def isinf(input: Array):
    """Matches `torch.isinf`."""
    return jnp.isinf(input)


@op(promote=None, diff=False)
def isfinite(input: Array):
    """Matches `torch.isfinite`."""
    return jnp.isfinite(input)


@op(promote=None, diff=False)
def isposinf(input: Array):
    """Matches `torch.isposinf`."""
    return jnp.isposinf(input)


@op(promote=None, diff=False)
def isneginf(input: Array):
    """Matches `torch.isneginf`."""
    return jnp.isneginf(input)


@op(promote=None, diff=False)
def signbit(input: Array):
    """Matches `torch.signbit`."""
    return jnp.signbit(input)


@op(promote="compare", diff=False)
def isclose(input: Array, other: Array, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """Matches `torch.isclose`."""
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if tol < 0:
            raise RuntimeError(f"{name} must be greater than or equal to zero, but got {tol}")
    return jnp.isclose(input, other, rtol=rtol, atol=atol, equal_nan=equal_nan)


# ---- unary math --------------------------------------------------------------------------

def _to_float(f, *xs):
    from .. import _dtype as D
    if any(_is_int(x) for x in xs):
        xs = [x.astype(D.get_default_dtype().np) for x in xs]
    return f(*xs)


def _unary(name, f, float_only=True, grad_name=None, saves="inputs", method=True, half_grad=None):
    # bfloat16/float16: computed in float32 and rounded once, as torch's CPU kernels (XLA's
    # half exp2 was 0.5 off at 2**7; sinc, tanh several ulps). `half_grad(t, x, y, r)`: the
    # tangent as torch's backward formula computes it in the half dtype, `r` rounding each step
    # (its transpose is that formula), from float32 t, input x and the rounded output y
    def body(input: Array):
        if half_grad is not None and _opmath_low(input.dtype):
            dt, f32 = input.dtype, jnp.float32
            value = lambda v: _fused(f, v)  # noqa: E731
            return _torch_grads.linear_tangent(value, lambda v, t: half_grad(
                t.astype(f32), v.astype(f32), value(v).astype(f32),
                lambda u: step(u, dt)).astype(dt))(input)
        return _fused(lambda x: _to_float(f, x), input) if float_only else f(input)
    body.__name__ = name
    body.__doc__ = f"Matches `torch.{name}`."
    op(name, inplace=True, promote=None, grad_name=grad_name, saves=saves, method=method)(body)
    return body


exp = _unary("exp", jnp.exp, saves="output")
exp2 = _unary("exp2", jnp.exp2)
# torch's backward formulas (derivatives.yaml), each step rounded in the half dtype
expm1 = _unary("expm1", jnp.expm1, saves="output", half_grad=lambda t, x, y, r: t * r(y + 1))
log = _unary("log", jnp.log)
log2 = _unary("log2", jnp.log2)
log10 = _unary("log10", jnp.log10)
log1p = _unary("log1p", jnp.log1p)
sqrt = _unary("sqrt", jnp.sqrt, saves="output")
# torch's -0.5 * y**3: rsqrt(-0.0) = -inf has gradient +inf (JAX's: -inf)
rsqrt = _unary("rsqrt", _torch_grads.elementwise(lax.rsqrt, lambda x, y: -0.5 * y * y * y),
               saves="output")
sin = _unary("sin", jnp.sin)
cos = _unary("cos", jnp.cos)
tan = _unary("tan", jnp.tan, saves="output")
asin = _unary("asin", jnp.arcsin)
acos = _unary("acos", jnp.arccos)
atan = _unary("atan", jnp.arctan)
sinh = _unary("sinh", jnp.sinh)
cosh = _unary("cosh", jnp.cosh)
tanh = _unary("tanh", jnp.tanh, saves="output")
asinh = _unary("asinh", jnp.arcsinh)
acosh = _unary("acosh", jnp.arccosh)
atanh = _unary("atanh", jnp.arctanh, half_grad=lambda t, x, y, r: t / r(1 - r(x * x)))
sigmoid = _unary("sigmoid", jax.nn.sigmoid, saves="output")
erf = _unary("erf", jax.scipy.special.erf)
erfc = _unary("erfc", jax.scipy.special.erfc)
erfinv = _unary("erfinv", jax.scipy.special.erfinv, half_grad=lambda t, x, y, r: t * r(
    0.5 * math.sqrt(math.pi) * r(jnp.exp(r(y * y)))))
# torch's digamma: -inf at 0.0, +inf at -0.0 (JAX's: NaN)
lgamma = _unary("lgamma", _torch_grads.elementwise(jax.scipy.special.gammaln,
                                                   lambda x, y: _gamma.digamma(x)))
digamma = _unary("digamma", _gamma.digamma)  # torch's values at 0 and gradient for x < 0
reciprocal = _unary("reciprocal", lambda x: 1 / x, saves="output")
def _negative(x):
    if x.dtype == jnp.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you "
                           "are trying to invert a mask, use the `~` or `logical_not()` operator "
                           "instead.")
    return jnp.negative(x)


neg = _unary("neg", _negative, float_only=False, saves="none")
negative = neg
@jax.custom_jvp
def _abs(x):
    return jnp.abs(x)


@_abs.defjvp
def _abs_jvp(primals, tangents):
    # torch's gradient of |x| is sign(x): 0 at 0 (JAX's is 1 there)
    (x,), (t,) = primals, tangents
    # torch's sgn: 0 at NaN too
    return jnp.abs(x), ((x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)) * t


abs = _unary("abs", lambda x: jnp.abs(x) if jnp.iscomplexobj(x) else _abs(x), float_only=False)
absolute = abs


def _sign(x):
    if jnp.iscomplexobj(x):  # x / |x| (0 at 0), differentiable: jnp.sign's derivative is 0
        a = jnp.abs(x)
        nz = a != 0
        return jnp.where(nz, x / jnp.where(nz, a, 1).astype(x.dtype), jnp.zeros_like(x))
    if x.dtype == jnp.bool_:  # jnp.sign rejects bool; torch keeps it
        return x
    if jnp.issubdtype(x.dtype, jnp.floating):  # torch: sign(NaN) is 0 and sign(-0.0) is +0.0
        return _torch_grads.sign(x)
    return jnp.sign(x)


sign = _unary("sign", _sign, float_only=False)
sgn = _unary("sgn", _sign, float_only=False)
# torch squares a bool tensor as int64 (jnp.square would give int32)
square = _unary("square", lambda x: jnp.square(x.astype(jnp.int64) if x.dtype == jnp.bool_ else x),
                float_only=False, grad_name="PowBackward0")
# PyTorch's relu passes the gradient through NaN inputs (jax.nn.relu's rule gives 0 there).
relu = _unary("relu", lambda x: jnp.where(x <= 0, jnp.zeros_like(x), x), float_only=False,
              saves="output")
floor = _unary("floor", jnp.floor, float_only=False)
ceil = _unary("ceil", jnp.ceil, float_only=False)
trunc = _unary("trunc", jnp.trunc, float_only=False)
fix = trunc
frac = _unary("frac", lambda x: x - jnp.trunc(x), float_only=False)
angle = _unary("angle", jnp.angle)
conj_physical = _unary("conj_physical", jnp.conj, float_only=False)


@op(inplace=True, promote=None)
def round(input: Array, *, decimals: int = 0):
    """Matches `torch.round` (half to even)."""
    if decimals == 0:
        return jnp.round(input)
    return jnp.round(input, decimals)


@op(inplace=True, promote=None)
def nan_to_num(input: Array, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None):
    """Matches `torch.nan_to_num`."""
    return jnp.nan_to_num(input, nan=nan, posinf=posinf, neginf=neginf)


@op(inplace=True, promote=None)
def logit(input: Array, eps: float | None = None):
    """Matches `torch.logit`."""
    x = _to_float(lambda v: v, input)
    return _logit(x, eps)


def _logit_f(x, eps):
    if eps is not None:
        x = jnp.clip(x, eps, 1 - eps)
    return jnp.log(x / (1 - x))


def _logit_jvp(eps, primals, tangents):
    # torch's logit_backward: 1 / (x (1 - x)) inside the domain (inf at 0 and 1), NaN outside
    # it, or 0 outside [eps, 1 - eps] (JAX's: NaN at 0 and 1, finite outside the domain)
    (x,), (t,) = primals, tangents
    lo, hi = (0.0, 1.0) if eps is None else (eps, 1 - eps)
    out = jnp.nan if eps is None else 0.0
    d = jnp.where((x < lo) | (x > hi), out, 1 / (x * (1 - x)))
    return _logit_f(x, eps), d * t


_logit = jax.custom_jvp(_logit_f, nondiff_argnums=(1,))
_logit.defjvp(_logit_jvp)


@op(inplace=True, promote=None, grad_name="XlogyBackward0")
def xlogy(input: Array, other: Array):
    """Matches `torch.xlogy`."""
    from .._promote import promote_args
    x, y = promote_args("float", input, other)
    return _torch_grads.xlogy(x, y)


@op(promote=None, inplace=True)
def copysign(input: Array, other: Array):
    """Matches `torch.copysign`."""
    from .._promote import promote_args
    x, y = promote_args("float", input, other)
    return _torch_grads.copysign(x, y)
