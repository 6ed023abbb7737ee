"""Dtypes an op refuses, as torch does: `abs` of a bool tensor, `gelu` of an integer one,
comparisons of complex tensors. JAX computes something for all of these.

The table lists, per op, the dtype kinds torch 2.13's CPU kernels refuse (`b` bool, `i` signed
and `u` unsigned integers, `c` complex), the error type and, when torch's text is not the
generic `"<op>" not implemented for '<Type>'`, its message. The kind checked is that of the
promoted inputs (the highest of the tensor arguments: bool < integer < float < complex), as
torch checks the dtype its kernel runs in.

`install()` adds the check to `Op.check`, which `_dispatch.apply` runs before the compiled
body; it reads only dtypes, so it also holds on tracers (inside `jtorch.compile`).
"""
from __future__ import annotations

from ._value_checks import chain
from .ops._registry import REGISTRY

NIE, RE = NotImplementedError, RuntimeError
_FLOAT_ONLY = "std and var only support floating point and complex dtypes"

RULES = {
    # elementwise
    "abs": ("b", NIE, None), "ceil": ("b", NIE, None), "floor": ("b", NIE, None),
    "trunc": ("b", NIE, None), "fix": ("b", NIE, None), "frac": ("iu", NIE, None),
    "round": ("c", NIE, None), "sign": ("c", NIE, "Unlike NumPy, torch.sign is not intended to "
                                        "support complex numbers. Please use torch.sgn instead."),
    "deg2rad": ("c", RE, "deg2rad is not supported for complex tensors."),
    "rad2deg": ("c", RE, "rad2deg is not supported for complex tensors."),
    "logit": ("c", NIE, None), "pow": ("b", NIE, None),
    "addcmul": ("b", NIE, None),
    "addcdiv": ("biu", RE, "Integer division with addcdiv is no longer supported, and in a "
                           "future release addcdiv will perform a true division of tensor1 and "
                           "tensor2. The current addcdiv behavior can be replicated using "
                           "floor_divide for integral inputs (self + value * tensor1 // tensor2) "
                           "and division for float inputs (self + value * tensor1 / tensor2). "
                           "The new addcdiv behavior can be implemented with true_divide "
                           "(self + value * torch.true_divide(tensor1, tensor2)."),
    "atan2": ("c", NIE, None), "gcd": ("fVc", NIE, None), "lcm": ("fVc", NIE, None), "hypot": ("biu", NIE, None), "nextafter": ("biu", NIE, None),
    "logaddexp": ("biu", NIE, None), "logaddexp2": ("biuc", NIE, None),
    "igamma": ("biu", NIE, None), "igammac": ("biu", NIE, None), "xlogy": ("c", NIE, None),
    "lerp": ("iu", NIE, None),
    "heaviside": ("c", RE, "heaviside is not yet implemented for complex tensors."),
    "maximum": ("c", RE, "maximum not implemented for complex tensors."),
    "minimum": ("c", RE, "minimum not implemented for complex tensors."),
    "fmax": ("c", RE, "fmax not implemented for complex tensors."),
    "fmin": ("c", RE, "fmin not implemented for complex tensors."),
    "clamp": ("c", NIE, "clamp is not supported for complex types"),
    "clamp_min": ("c", NIE, None), "clamp_max": ("c", NIE, None),
    "lt": ("c", NIE, None), "le": ("c", NIE, None), "gt": ("c", NIE, None), "ge": ("c", NIE, None),
    "polar": ("biu", RE, "Expected both inputs to be Half, Float or Double tensors but got {T} "
                         "and {T}"),
    "isin": ("bc", RE, "Unsupported input type encountered for isin(): {T}"),
    # reductions, scans, sorting
    "amax": ("c", NIE, None), "amin": ("c", NIE, None), "aminmax": ("c", NIE, None),
    "argmax": ("b", RE, "argmax(): does not support bool input"),
    "argmin": ("b", RE, "argmin(): does not support bool input"),
    "median": ("bc", NIE, None), "nanmedian": ("bc", NIE, None),
    "std": ("biu", RE, _FLOAT_ONLY), "var": ("biu", RE, _FLOAT_ONLY),
    "std_mean": ("biu", RE, "std_mean only support floating point and complex dtypes"),
    "var_mean": ("biu", RE, "var_mean only support floating point and complex dtypes"),
    "nansum": ("c", RE, "nansum on CPU does not support complex inputs"),
    "nanmean": ("c", RE, "nansum on CPU does not support complex inputs"),
    "cummax": ("c", NIE, None), "cummin": ("c", NIE, None),
    "logcumsumexp": ("biu", NIE, None),
    "sort": ("c", RE, "Sort does not support complex dtypes on CPU"),
    "argsort": ("c", RE, "Sort does not support complex dtypes on CPU"),
    "msort": ("c", RE, "Sort does not support complex dtypes on CPU"),
    "topk": ("b", RE, "topk does not support bool dtypes on CPU"),
    "histc": ("iuc", NIE, None), "searchsorted": ("bc", NIE, None), "bucketize": ("bc", NIE, None),
    "softmax": ("c", NIE, None), "log_softmax": ("c", NIE, None),
    "cov": ("b", RE, "cov(): bool dtype is not supported for input"),
    "corrcoef": ("b", RE, "cov(): bool dtype is not supported for input"),
    "trapezoid": ("b", RE, "trapezoid: received a bool input for `y`, but bool is not supported"),
    "cumulative_trapezoid": ("b", RE, "cumulative_trapezoid: received a bool input for `y`, but "
                                      "bool is not supported"),
    # linear algebra
    "dot": ("b", NIE, None), "vdot": ("b", NIE, None), "inner": ("b", NIE, None),
    "matmul": ("b", NIE, None),
    "dist": ("iu", RE, "norm(): input dtype should be either floating point or complex. Got {T} "
                       "instead."),
    # activations
    "relu": ("bc", RE, "Boolean inputs not supported for relu"),
    "hardtanh": ("bc", RE, "Bool inputs not supported for hardtanh"),
    "gelu": ("biuc", NIE, None), "silu": ("biuc", NIE, None), "mish": ("biuc", NIE, None),
    "elu": ("biuc", NIE, None), "celu": ("biuc", NIE, None), "selu": ("biuc", NIE, None),
    "leaky_relu": ("biuc", NIE, None), "softplus": ("biuc", NIE, None),
    "hardswish": ("biuc", NIE, None), "hardsigmoid": ("biuc", NIE, None),
    "logsigmoid": ("iuc", NIE, None), "softsign": ("b", NIE, None),
    "softshrink": ("biuc", NIE, None), "hardshrink": ("biuc", NIE, None),
    "tanhshrink": ("b", RE, "Subtraction, the `-` operator, with a bool tensor is not "
                            "supported. If you are trying to invert a mask, use the `~` or "
                            "`logical_not()` operator instead."),
    "glu": ("c", NIE, None),
}
# For the two rules whose message depends on the dtype class (complex), torch's own wording.
_COMPLEX_TEXT = {"relu": "clamp is not supported for complex types",
                 "hardtanh": "clamp is not supported for complex types"}

_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "V": 2, "c": 3}  # V: bfloat16 (a numpy void kind)
_TYPE = {"b": "Bool", "c": "ComplexFloat"}


def _type_name(dtype) -> str:
    from ._checks import type_name
    return type_name(dtype)


def _kind(values):
    """The promoted dtype of the array arguments (None when there are none)."""
    best, rank = None, -1
    for v in values:
        d = getattr(v, "dtype", None)
        if d is not None:
            r = _RANK.get(d.kind, 2)
            if r > rank:
                best, rank = d, r
    return best


def _rule(name, kinds, exc, text):
    def check(args, kwargs):
        d = _kind(args if not kwargs else (*args, *kwargs.values()))
        if d is None or d.kind not in kinds:
            return
        t = _type_name(d)
        if d.kind == "c" and name in _COMPLEX_TEXT:
            raise NotImplementedError(_COMPLEX_TEXT[name])
        raise exc(text.format(T=t) if text else f'"{name}" not implemented for \'{t}\'')
    return check


def _where(args, kwargs):
    cond = args[0] if args else kwargs.get("condition")
    d = getattr(cond, "dtype", None)
    if d is not None and d.kind != "b" and d.name != "uint8":
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {_type_name(d)}")


def install():
    """Add the dtype checks to their ops' `check` (after `_value_checks.install`)."""
    for name, (kinds, exc, text) in RULES.items():
        op = REGISTRY[name]
        op.check = chain(op.check, _rule(name, kinds, exc, text))
    REGISTRY["where"].check = chain(REGISTRY["where"].check, _where)
