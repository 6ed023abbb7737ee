"""Checks made while an op body is traced, so they cost nothing per call:

* Python argument types of static parameters: torch's TypeError for a bool, float, string or
  None where an `int` goes (`dim=True`, `histc(bins="4")`), which a JAX body would accept
  (True is 1) or fail on deep inside. Static arguments are part of `jax.jit`'s cache key,
  compared by type as well as value (`dim=True` does not hit the entry of `dim=1`).
* int lists (`dim`/`dims`/`shifts` of reductions, flips, rolls, ffts; `s`; `normalized_shape`):
  torch's parser rules (`_checks.int_list`: a float, string or None element, a bare bool or a
  leading bool is its TypeError), and an explicit `dim=None` where torch's overload has none
  (`median(x, dim=None)`, `logsumexp`, `prod`).
* float parameters: a string, None or complex is torch's TypeError, a Python int beyond 64 bits
  its OverflowError ("int too big to convert").
* None or a string given for a tensor argument: torch's TypeError, not the AttributeError
  the body raises on it.
* static sequences keyed by element type (`TypedKey`): `jax.jit` compares a static tuple by
  value, so `sum(dim=(0, 1.0))` after `sum(dim=(0, 1))` would reuse the int program and skip
  these checks. The dispatch point passes a static sequence holding a value equal to an int of
  another type (a float, a bool, a numpy float/bool: `INT_LIKE`; one `isdisjoint` of the element
  types per tuple argument) as a `TypedKey`, which compares and hashes the element types too,
  so it traces and is checked; the body gets a plain tuple.
* result sizes: an output larger than memory (`one_hot(x, 10**12)`, `tile` by 10**6 per dim)
  raises torch's RuntimeError here; XLA would abort the process when allocating it.

`install()` wraps the body of every op.
"""
from __future__ import annotations

import functools

import jax
import numpy as np

from ._checks import check_alloc, int_arg, int_list, is_number
from .ops._registry import REGISTRY

_MISSING = object()


# Unannotated static parameters torch parses as `int[]` / `int[1]?` (one int, a list, or None).
_LIST_NAMES = ("dim", "dims", "shifts", "s", "normalized_shape")
_LIST_EXCLUDED = {"tensordot"}  # its dims is an int or a pair of lists
# Ops whose torch overloads have no `dim=None` (the jtorch body reads None as "all elements").
_NO_NONE_DIM = {"median", "nanmedian", "logsumexp", "prod", "mode", "kthvalue", "softmax",
                "log_softmax"}

# Element types whose values equal ints (1.0 == True == 1): a static tuple holding one is keyed
# by type (nested sequences are not looked into: tensordot's dims lists, rare).
INT_LIKE = frozenset((float, bool, np.float64, np.float32, np.float16, np.bool_))


class TypedKey(tuple):
    """A static tuple compared by element types as well as values: `(0, 1.0)`, `(True, 0)` and
    `(0, 1)` are three `jax.jit` cache entries, not one. Only a cache key: `_guard` hands the
    body a plain tuple."""
    __slots__ = ()

    def _key(self):
        return tuple((type(e), e._key() if type(e) is TypedKey else e) for e in self)

    def __eq__(self, other):
        return type(other) is TypedKey and self._key() == other._key()

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self._key())


def _typed(v):
    if isinstance(v, (list, tuple)):
        return TypedKey(_typed(e) for e in v)
    return v


def _plain(v):
    if type(v) is TypedKey:
        return tuple(_plain(e) for e in v)
    return v


def static_key(op, key, v):
    """`v` (a tuple or list given for parameter `key`, a position or a name, holding an
    `INT_LIKE` element) as the `jax.jit` static argument to pass: a `TypedKey` where `key` is a
    static parameter of `op`, else `v` unchanged."""
    params = list(op.sig.parameters.values())
    if type(key) is int:
        if key >= len(params) or params[key].kind is params[key].VAR_POSITIONAL:
            return v
        key = params[key].name
    return _typed(v) if key in op.static_names else v


_UNBIASED_FIRST = {"var", "std", "var_mean", "std_mean"}  # a positional bool is `unbiased`

# Tensor parameters torch's parser takes only as Tensors: a Python value (number, string, None
# unless the parameter is optional) is its TypeError, where the JAX body would broadcast it or
# fail later with another error (each checked against torch 2.13: `cosine_similarity(x, 2.5)`,
# `logical_and(x, None)`, `where(2.5, x, y)`, `linalg.det(2.5)`, `mm(x, 2.5)`). Checked per call
# in `Op.check` on the raw arguments (at trace time the op's promotion has already made a Python
# number a 0-dim array); one type test per listed parameter.
_TENSOR_ONLY = {
    "logical_and": ("other",), "logical_or": ("other",), "logical_xor": ("other",),
    "cosine_similarity": ("x1", "x2"), "pairwise_distance": ("x1", "x2"), "kl_div": ("target",),
    "linear": ("weight", "bias"), "hinge_embedding_loss": ("target",), "lerp": ("end",),
    "addcmul": ("tensor1", "tensor2"), "addcdiv": ("tensor1", "tensor2"), "where": ("condition",),
    "linalg_det": ("A",), "linalg_eigh": ("A",), "linalg_inv_ex": ("A",), "linalg_qr": ("A",),
    "linalg_matrix_norm": ("A",), "linalg_matrix_power": ("A",), "linalg_pinv": ("A",),
    "linalg_svd": ("A",), "linalg_solve_ex": ("A", "B"), "linalg_cross": ("other",),
    "addmm": ("mat1", "mat2"), "bmm": ("input", "mat2"), "mm": ("input", "mat2"),
    "mv": ("input", "vec"), "outer": ("vec2",), "matmul": ("other",), "dot": ("other",),
    "kron": ("other",), "addr": ("vec1", "vec2"), "cdist": ("x1", "x2"),
    "baddbmm": ("batch1", "batch2"), "addbmm": ("batch1", "batch2"), "addmv": ("mat", "vec"),
    "masked_fill": ("mask",), "scatter_add": ("src",), "cross": ("other",),
    "take": ("index",), "gather": ("index",), "index_select": ("index",),
    "cross_entropy": ("input", "weight"), "nll_loss": ("input", "weight"),
    "_batch_norm_eval": ("running_mean", "running_var"), "searchsorted": ("sorted_sequence",),
    "bucketize": ("boundaries",), "einsum": ("operands",), "gcd": ("other",), "lcm": ("other",),
    "index_add": ("source",), "index_copy": ("source",),
}
# Parameters that take a Tensor or a number, never a string or None (TypeError in torch's parser;
# the dtype rules would report the other operand first).
_NUMBER_OR_TENSOR = {"bitwise_and": ("other",), "bitwise_or": ("other",),
                     "bitwise_xor": ("other",)}
_INT_DIM = {"prod"}  # `dim` is one int (no list overload): prod(x, dim=(0,)) is TypeError
_PY = (bool, int, float, complex, str, bytes)
# Scalar parameters written into a tensor of the input's dtype: a complex number into a real
# tensor is torch's RuntimeError (`x.fill_(1+2j)`, `clamp(x, min=1j)`), not a dropped imaginary part.
_INTO_INPUT = {"fill": ("value",), "_setitem": ("value",), "clamp": ("min", "max"),
               "clip": ("min", "max"), "addcmul": ("value",), "addcdiv": ("value",),
               "index_fill": ("value",), "lerp": ("weight",)}


def _int_params(op):
    """(position, name, kind, optional) of the static parameters checked at trace time: kind
    "int" (annotated int), "list" (an int list, see _LIST_NAMES), "float" (annotated float)."""
    out = []
    for i, p in enumerate(op.sig.parameters.values()):
        if p.name not in op.static_names:
            continue
        pos = i if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) else None
        if p.annotation in ("int", "int | None"):
            kind = "int"
        elif p.annotation in ("float", "float | None"):
            kind = "float"
        elif p.name == "dim" and op.name in _INT_DIM:
            kind = "int"
        elif p.annotation is p.empty and p.name in _LIST_NAMES and op.name not in _LIST_EXCLUDED:
            kind = "list"
        else:
            continue
        optional = p.annotation not in ("int", "float") or p.default is None
        if p.name == "dim" and op.name in _NO_NONE_DIM:
            optional = False
        out.append((pos, p.name, kind, optional))
    return tuple(out)


def _check_param(name, pname, kind, v):
    """torch's parser errors for one static argument (see the module docstring)."""
    if kind == "int":
        int_arg(name, pname, v)
    elif kind == "list":
        if isinstance(v, bool) or v is None:
            raise TypeError(f"{name}(): argument '{pname}' must be tuple of ints, not "
                            f"{type(v).__name__}")
        int_list(name, pname, v)
    elif type(v) is int:
        if not -(1 << 63) <= v < 1 << 64:
            raise OverflowError("int too big to convert")
    elif v is None or isinstance(v, (str, bytes, complex)):
        raise TypeError(f"{name}(): argument '{pname}' must be float, not {type(v).__name__}")


def _guard(op, params):
    fn, name = op.fn, op.name.lstrip("_")
    leaves = jax.tree_util.tree_leaves
    names, values = tuple(op.sig.parameters), frozenset(op.value_names)

    into = tuple((names.index(p), p) for p in _INTO_INPUT.get(op.name, ()))

    @functools.wraps(fn)
    def checked(*args, **kwargs):
        if TypedKey in map(type, args) or TypedKey in map(type, kwargs.values()):
            args = tuple(map(_plain, args))
            kwargs = {k: _plain(v) for k, v in kwargs.items()}
        for pos, pname in into:
            v = args[pos] if pos < len(args) else kwargs.get(pname, _MISSING)
            x = args[0] if args else kwargs.get(names[0])
            if v is not None and v is not _MISSING and is_number(v) and _kind(v) == "c" and \
                    _kind(x) not in ("c", None):
                raise RuntimeError(f"value cannot be converted to type {_CXX.get(_kind(x), 'float')} "
                                   f"without overflow")
        for pos, pname, kind, optional in params:
            v = args[pos] if pos is not None and pos < len(args) else kwargs.get(pname, _MISSING)
            if v is _MISSING or (v is None and optional):
                continue
            if v is True or v is False:  # var(x, True): torch's (input, unbiased) overload
                if pname == "dim" and name in _UNBIASED_FIRST and pos is not None and pos < len(args):
                    continue
            _check_param(name, pname, kind, v)
            if kind == "list" and isinstance(v, tuple) and bool in map(type, v):
                # later bools read as 0/1, as torch's parser does: the body sees ints
                args, kwargs = _replace(args, kwargs, pos, pname, int_list(name, pname, v))
        try:
            out = fn(*args, **kwargs)
        except AttributeError:  # None or a string where a tensor goes: torch's TypeError
            for i, pname in enumerate(names):
                v = args[i] if i < len(args) else kwargs.get(pname, _MISSING)
                if pname in values and (v is None or isinstance(v, str)):
                    raise TypeError(f"{name}(): argument '{pname}' (position {i + 1}) must be "
                                    f"Tensor, not {type(v).__name__}") from None
            raise
        for leaf in leaves(out):
            if hasattr(leaf, "shape") and hasattr(leaf, "dtype"):
                check_alloc(leaf.shape, leaf.dtype)
        return out
    return checked


def _replace(args, kwargs, pos, pname, v):
    if pos is not None and pos < len(args):
        return args[:pos] + (v,) + args[pos + 1:], kwargs
    return args, {**kwargs, pname: v}


_CXX = {"f": "float", "i": "int64_t", "u": "uint8_t", "b": "bool"}


def _kind(v):
    d = getattr(v, "dtype", None)
    return None if d is None else np.dtype(d).kind


def _tensor_only(op, params, refused=_PY):
    """`Op.check` part: torch's TypeError for a Python value (of the `refused` types, and None)
    in a Tensor-only parameter."""
    name, names = op.name.lstrip("_"), tuple(op.sig.parameters)
    spec = tuple((names.index(p), p, op.sig.parameters[p].default is None) for p in params)

    def check(args, kwargs):
        for pos, pname, optional in spec:
            v = args[pos] if pos < len(args) else kwargs.get(pname, _MISSING)
            if v is None and not optional:
                bad = v
            elif type(v) is list or type(v) is tuple:  # einsum's operands
                bad = next((e for e in v if e is None or isinstance(e, _PY)), _MISSING)
                if bad is not _MISSING:
                    k = next(i for i, e in enumerate(v) if e is bad)
                    raise TypeError(f"expected Tensor as element {k} in argument {pos}, but got "
                                    f"{type(bad).__name__}")
                continue
            elif isinstance(v, refused):
                bad = v
            else:
                continue
            raise TypeError(f"{name}(): argument '{pname}' (position {pos + 1}) must be Tensor, "
                            f"not {type(bad).__name__}")
    return check


def install():
    """Wrap the op bodies (before any of them is compiled); add the Tensor-only checks to
    `Op.check` (after `_value_checks.install` and the dtype rules)."""
    from ._value_checks import chain
    for table, refused in ((_TENSOR_ONLY, _PY), (_NUMBER_OR_TENSOR, (str, bytes))):
        for name, params in table.items():
            op = REGISTRY[name]
            check = _tensor_only(op, params, refused)
            op.check = chain(check, op.check) if op.check else check
    for op in REGISTRY.values():
        op.fn = _guard(op, _int_params(op))
        op.jit_plain = op.jit_nograd = op.jit_vjp = op.jit_donate = None
