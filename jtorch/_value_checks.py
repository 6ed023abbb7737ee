"""Value-dependent argument checks: indices out of range, integer division by zero, integer
powers with negative exponents. torch raises for these; a traced JAX body would clamp, fill
with NaN or drop silently.

`install()` sets `Op.check` on the ops below; `_dispatch.apply` (and the in-place donation
path) call it with the unwrapped arguments before the compiled body runs. Each check costs
one host read of a reduction (`_checks.extrema`: numpy on the CPU backend, one jitted
min/max on accelerators), eagerly only: under `jax.jit` / `jtorch.compile` the arguments are
tracers and the checks are skipped (indices are then clamped or dropped as JAX does).

A check that meets arguments the body will refuse anyway (bad dim, float indices, wrong
ranks) returns without raising, so the body's own error wins: checks report by raising
`Refused`, and any other exception inside one is swallowed.
"""
from __future__ import annotations

import numpy as np

from ._checks import _is_tracer, any_zero, extrema, nan_present, out_of_range, probability_stats, \
    wrap_dim
from .ops._registry import REGISTRY


class Refused(Exception):
    """Carries a check's error out of `run`; any other exception inside a check means it
    could not read the arguments, and the compiled body is left to report them."""

    def __init__(self, error):
        self.error = error


def _int(a) -> bool:
    return hasattr(a, "dtype") and np.dtype(a.dtype).kind in "iu"


def _size(x, dim):
    """x's size along `dim` (a 0-dim x counts as one element), or None for a bad dim."""
    shape = tuple(x.shape) or (1,)
    if not isinstance(dim, (int, np.integer)) or not -len(shape) <= dim < len(shape):
        return None
    return int(dim) % len(shape), shape[dim]


def _bounds(index, dim_size, err, negative=False):
    """Raise `err(value)` when `index` leaves [0, n) ([-n, n) with `negative`)."""
    if not _int(index) or dim_size is None:
        return
    n = dim_size
    bad = out_of_range(index, -n if negative else 0, n)
    if bad is not None:
        raise Refused(err(bad))


def _dim_check(exc, fmt, negative=False, index="index", input="input"):
    """Checks of ops indexing `input` along `dim` with `index`."""
    def check(a):
        x, ix = a.get(input), a.get(index)
        s = _size(x, a.get("dim")) if x is not None else None
        if s is None:
            return
        d, n = s
        _bounds(ix, n, lambda v: exc(fmt.format(v=v, d=d, n=n)), negative)
    return check


_GATHER = "index {v} is out of bounds for dimension {d} with size {n}"
_SELF = "index out of range in self"


def _take(a, index="index"):
    x = a["input"]
    n = int(np.prod(x.shape))
    _bounds(a.get(index), n, lambda v: IndexError(
        f"out of range: tried to access index {v} on a tensor of {n} elements."), True)


def _take_along_dim(a):
    x, ix, dim = a["input"], a.get("indices"), a.get("dim")
    if dim is None:  # torch checks the flattened lookup like gather
        n = int(np.prod(x.shape))
        _bounds(ix, n, lambda v: RuntimeError(_GATHER.format(v=v, d=0, n=n)))
        return
    s = _size(x, dim)
    if s is not None:  # torch reads out of bounds here; negative indices wrap
        _bounds(ix, s[1], lambda v: RuntimeError(_GATHER.format(v=v, d=s[0], n=s[1])), True)


def _item(a):
    """Advanced indexing: each index tensor against its dimension; torch numbers the
    dimension among the index tensors."""
    x, arrays, structure = a["input"], a["key"], a["structure"]
    checked, dims = [], []
    d = 0
    for s in structure:
        if s[0] == "t":
            arr = arrays[s[1]]
            if _int(arr) and d < x.ndim:
                checked.append(arr)
                dims.append((s[1], x.shape[d]))
        elif s[0] == "i" and d < x.ndim and not -x.shape[d] <= s[1] < x.shape[d]:
            raise Refused(IndexError(f"index {s[1]} is out of bounds for dimension {d} with "
                                     f"size {x.shape[d]}"))
        if s[0] != "n" and s[0] != "b":
            d += 1
    ex = extrema(checked) if checked else None
    for e, (k, n) in zip(ex or (), dims):
        if e is not None and (e[1] >= n or e[0] < -n):
            v = e[1] if e[1] >= n else e[0]
            raise Refused(IndexError(f"index {v} is out of bounds for dimension {k} with size "
                                     f"{n}"))


def _embedding(a):
    _bounds(a["input"], a["weight"].shape[0], lambda v: IndexError(_SELF))


def _embedding_bag(a):
    n = a["weight"].shape[0]
    ix = a["input"]
    _bounds(ix, n, lambda v: RuntimeError(
        f"Index {_position(ix, v)} of input takes value {v} which is not in the valid range "
        f"[0, {n})"))


def _position(arr, v) -> int:
    """The flat position of the first `v` in `arr` (for an error message only)."""
    return int(np.argmax(np.asarray(arr).reshape(-1) == v))


def _max_unpool(a):
    size = tuple(a["output_size"])
    shown = "x".join(str(n) for n in (size if len(size) > 1 else size + (1,)))
    _bounds(a["indices"], int(np.prod(size)), lambda v: RuntimeError(
        f"Found an invalid max index: {v} (output volumes are of size {shown})"))


def _searchsorted(a):
    sorter, s = a.get("sorter"), a["sorted_sequence"]
    if sorter is not None and s.ndim:
        _bounds(sorter, s.shape[-1], lambda v: RuntimeError(
            "torch.searchsorted(): sorter index out of range"))


def _classes(input):
    return input.shape[1] if input.ndim >= 2 else (input.shape or (1,))[0]


def _nll(a):
    t = a["target"]
    if not _int(t):
        return
    bad = out_of_range(t, 0, _classes(a["input"]), a.get("ignore_index", -100))
    if bad is not None:
        raise Refused(IndexError(f"Target {bad} is out of bounds."))


def _multi_margin(a):
    _bounds(a["target"], _classes(a["input"]), lambda v: RuntimeError("target out of range"))


def _multilabel_margin(a):
    t = a["target"]
    if _int(t) and out_of_range(t, -1, _classes(a["input"])) is not None:
        raise Refused(RuntimeError("argument #2 'target' is out of range"))


def _one_hot(a):
    t, c = a["tensor"], a.get("num_classes", -1)
    e = extrema((t,)) if _int(t) else None
    if not e or e[0] is None:
        return
    if e[0][0] < 0:
        raise Refused(RuntimeError("Class values must be non-negative."))
    if c >= 0 and e[0][1] >= c:
        raise Refused(RuntimeError("Class values must be smaller than num_classes."))


def _integral(v) -> bool:
    if isinstance(v, (bool, int, np.integer)):
        return True
    return hasattr(v, "dtype") and np.dtype(v.dtype).kind in "iub"


def _zero_division(a):
    """Integer floor/trunc division and remainder by zero (torch raises; XLA returns junk)."""
    x, y = a["input"], a["other"]
    if _integral(x) and _integral(y) and any_zero(y):
        raise Refused(RuntimeError("ZeroDivisionError"))


def _div(a):
    if a.get("rounding_mode") is not None:  # true division is float: no error
        _zero_division(a)


def _pow(a):
    x, e = a["input"], a["exponent"]
    if hasattr(x, "dtype") and np.dtype(x.dtype).kind in "iub" and isinstance(e, (int, np.integer)) and not isinstance(e, bool) and e < 0:
        raise Refused(RuntimeError("Integers to negative integer powers are not allowed."))


def _cov(a):
    """Negative cov weights (torch raises; the weighted sums would be silently wrong)."""
    for name in ("fweights", "aweights"):
        w = a.get(name)
        if w is not None and not _is_tracer(w) and w.size and np.min(np.asarray(w)) < 0:
            raise Refused(RuntimeError(f"cov(): {name} cannot be negative"))


def _floats(v) -> bool:
    return hasattr(v, "dtype") and (np.dtype(v.dtype).kind == "f" or v.dtype.name == "bfloat16")


def _bce(a):
    """binary_cross_entropy's input and target must lie in [0, 1] (NaN does not)."""
    if getattr(a.get("input"), "shape", None) != getattr(a.get("target"), "shape", None):
        return  # the body's size ValueError comes first in torch
    for name in ("input", "target"):
        v = a.get(name)
        st = probability_stats(v) if _floats(v) else None
        if st is not None and not (st[0] >= 0 and st[1] <= 1):
            raise Refused(RuntimeError(f"all elements of {name} should be between 0 and 1"))


def _quantile(a):
    """quantile/nanquantile: a non-empty input, q in [0, 1], a dim the input has."""
    x, q, dim = a.get("input"), a.get("q"), a.get("dim")
    if x is None or not hasattr(x, "shape"):
        return
    if not x.size:
        raise Refused(RuntimeError("quantile() input tensor must be non-empty"))
    if dim is not None and x.ndim == 0:
        try:
            wrap_dim(dim, 0)
        except IndexError as e:
            raise Refused(e) from None
    if isinstance(q, (int, float)) and not isinstance(q, bool):
        if not 0 <= q <= 1:
            raise Refused(RuntimeError(f"quantile() q must be in the range [0, 1] but got {q}"))
    elif _floats(q):
        st = probability_stats(q)
        if st is not None and not (st[0] >= 0 and st[1] <= 1):
            raise Refused(RuntimeError("quantile() q values must be in the range [0, 1]"))


def _histc(a):
    """histc with no range given takes the data's: it must be finite."""
    x = a.get("input")
    if a.get("min", 0) == a.get("max", 0) and _floats(x):
        st = probability_stats(x)
        if st is not None and not st[2]:
            raise Refused(RuntimeError(f"torch.histc: range of [{st[0]}, {st[1]}] is not finite"))


def _positive(name, arg, text, strict):
    """A loss's scalar parameter that must be positive (non-negative); NaN is refused too."""
    def check(a):
        v = a.get(arg, 1.0)
        if isinstance(v, float) and not (v > 0 if strict else v >= 0):
            raise Refused(RuntimeError(text))
    return check


_SVD_NAN = ("linalg.svd: The algorithm failed to converge because the input matrix contained "
            "non-finite values.")
_EIGH_NAN = ("linalg.eigh: The algorithm failed to converge because the input matrix is "
             "ill-conditioned or has too many repeated eigenvalues (error code: 1).")


def _lapack_nan(arg="A", uses_svd=lambda a: True, eigh=False):
    """A NaN in a matrix LAPACK decomposes: torch's LinAlgError (LAPACK reports no
    convergence; JAX returns NaN). An infinity alone may converge in LAPACK or not (an all-inf
    matrix fails, one inf gives NaN): not checked. Hermitian variants read one triangle."""
    def check(a):
        x = a.get(arg)
        if not uses_svd(a):
            return
        herm = eigh or a.get("hermitian", False)
        if nan_present(x, a.get("UPLO", "L") if herm else None):
            from .linalg import LinAlgError
            raise Refused(LinAlgError(_EIGH_NAN if herm else _SVD_NAN))
    return check


def _eig_finite(a):
    if nan_present(a.get("A"), "inf"):
        raise Refused(RuntimeError("torch.linalg.eig: input tensor should not contain infs or NaNs."))


def _svd_ord(a):  # matrix norms computed from singular values
    o = a.get("ord", a.get("p"))
    x = a.get("A")
    return o in (2, -2, "nuc") and getattr(x, "ndim", 0) >= 2 and (
        "dim" not in a or a.get("dim") is None or len(tuple(a["dim"])) == 2)


_INDEX_ADD_1D, _INDEX_ADD = _dim_check(IndexError, _SELF), _dim_check(RuntimeError, _GATHER)


def _index_add(a):  # torch's vector kernel and its general one word the error differently
    x = a.get("input")
    (_INDEX_ADD_1D if getattr(x, "ndim", 0) <= 1 else _INDEX_ADD)(a)


CHECKS = {
    "gather": _dim_check(RuntimeError, _GATHER),
    "scatter": _dim_check(RuntimeError, _GATHER),
    "scatter_add": _dim_check(RuntimeError, _GATHER),
    "scatter_reduce": _dim_check(RuntimeError, _GATHER),
    "index_select": _dim_check(IndexError, _SELF),
    "index_add": _index_add,
    "index_reduce": _dim_check(IndexError, _SELF),
    "index_copy": _dim_check(IndexError, "index_copy_(): " + _GATHER),
    "index_fill": _dim_check(IndexError, _GATHER, negative=True),
    "take": _take,
    "put": _take,
    "take_along_dim": _take_along_dim,
    "_getitem": _item,
    "_setitem": _item,
    "embedding": _embedding,
    "_embedding_bag": _embedding_bag,
    "nll_loss": _nll,
    "cross_entropy": _nll,
    "multi_margin_loss": _multi_margin,
    "multilabel_margin_loss": _multilabel_margin,
    "one_hot": _one_hot,
    "_max_unpool": _max_unpool,
    "searchsorted": _searchsorted,
    "floor_divide": _zero_division,
    "remainder": _zero_division,
    "fmod": _zero_division,
    "div": _div,
    "pow": _pow,
    "cov": _cov,
    "binary_cross_entropy": _bce,
    "quantile": _quantile,
    "nanquantile": _quantile,
    "histc": _histc,
    "linalg_svd": _lapack_nan(), "linalg_svdvals": _lapack_nan(), "svd": _lapack_nan("input"),
    "linalg_pinv": _lapack_nan(), "linalg_matrix_rank": _lapack_nan(),
    "linalg_eigh": _lapack_nan(eigh=True), "linalg_eigvalsh": _lapack_nan(eigh=True),
    "linalg_cond": _lapack_nan(uses_svd=lambda a: a.get("p") in (None, 2, -2, "nuc")),
    "linalg_matrix_norm": _lapack_nan(uses_svd=_svd_ord),
    "linalg_norm": _lapack_nan(uses_svd=_svd_ord),
    "linalg_eig": _eig_finite, "linalg_eigvals": _eig_finite,
    "huber_loss": _positive("huber_loss", "delta", "huber_loss does not support non-positive "
                            "values for delta.", True),
    "smooth_l1_loss": _positive("smooth_l1_loss", "beta", "smooth_l1_loss does not support "
                                "negative values for beta.", False),
}


def _bind(op, check):
    names = tuple(op.sig.parameters)

    def run(args, kwargs):
        # zip, not Signature.bind (several times slower on hot ops like div); a call that does
        # not bind is refused by the compiled body with its own error.
        bound = dict(zip(names, args))
        if kwargs:
            bound.update(kwargs)
        try:
            check(bound)
        except Refused as r:
            raise r.error from None
        except Exception:  # noqa: BLE001 (arguments the body refuses with its own error)
            return
    return run


def chain(first, second):
    """One `Op.check` running `first` (may be None) and then `second`."""
    if first is None:
        return second

    def both(args, kwargs):
        first(args, kwargs)
        second(args, kwargs)
    return both


def install():
    """Attach the checks to their ops (after every ops module is imported), then the dtype
    rules (`_dtype_rules.py`) and the int-argument checks (`_arg_types.py`)."""
    for name, check in CHECKS.items():
        op = REGISTRY[name]
        op.check = _bind(op, check)
    from . import _arg_types, _dtype_rules
    _dtype_rules.install()
    _arg_types.install()
