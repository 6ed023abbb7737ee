"""`jtorch.linalg`: matches `torch.linalg`. Op bodies live in `ops/linalg_ext.py`."""
from __future__ import annotations

import math

import jax

from . import _dispatch
from ._functions import public as _public
from ._tensor import Tensor as _Tensor
from .ops import ldl as _ldl_ops  # noqa: F401 - registers linalg_ldl_*
from .ops._registry import REGISTRY as _R


class _LinAlgError(RuntimeError):
    """Matches `torch.linalg.LinAlgError` (a RuntimeError raised on singular/non-PD input)."""


LinAlgError = _LinAlgError  # torch's class carries the underscored name too


def _fn(name):
    return _public(_R["linalg_" + name])


def _check(info, what):
    # info is concrete only outside a trace; traced code cannot raise on values.
    a = info._data
    if isinstance(a, jax.core.Tracer):
        return
    import numpy as np
    bad = np.asarray(a)
    if bad.any():
        i = int(bad.reshape(-1)[np.flatnonzero(bad.reshape(-1))[0]])
        raise LinAlgError(what.format(i=i))


_SINGULAR = "linalg.{name}: The diagonal element {{i}} is zero, the inversion could not be completed " \
            "because the input matrix is singular."


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """Matches `torch.linalg.cholesky_ex`."""
    r = _fn("cholesky_ex")(A, upper=upper)
    if check_errors:
        _check(r.info, "linalg.cholesky: The factorization could not be completed because the input "
                       "is not positive-definite (the leading minor of order {i} is not positive-definite).")
    return r


def cholesky(A, *, upper=False, out=None):
    """Matches `torch.linalg.cholesky`."""
    return cholesky_ex(A, upper=upper, check_errors=True).L


def inv_ex(A, *, check_errors=False, out=None):
    """Matches `torch.linalg.inv_ex`."""
    r = _fn("inv_ex")(A)
    if check_errors:
        _check(r.info, _SINGULAR.format(name="inv"))
    return r


def inv(A, *, out=None):
    """Matches `torch.linalg.inv`."""
    return inv_ex(A, check_errors=True).inverse


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """Matches `torch.linalg.solve_ex`."""
    r = _fn("solve_ex")(A, B, left=left)
    if check_errors:
        _check(r.info, "torch.linalg.solve: The solver failed because the input matrix is singular.")
    return r


def solve(A, B, *, left=True, out=None):
    """Matches `torch.linalg.solve`."""
    return solve_ex(A, B, left=left, check_errors=True).result


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    """Matches `torch.linalg.lu_factor_ex`."""
    r = _fn("lu_factor_ex")(A, pivot=pivot)
    if check_errors:
        _check_lu(r.info, "lu_factor_ex")
    return r


def _check_lu(info, name):
    # torch raises a plain RuntimeError here, not LinAlgError
    try:
        _check(info, f"torch.linalg.{name}: U[{{i}},{{i}}] is zero and using it on lu_solve would "
                     "result in a division by zero. If you still want to perform the factorization, "
                     "consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")
    except LinAlgError as e:
        raise RuntimeError(str(e)) from None


def lu_factor(A, *, pivot=True, out=None):
    """Matches `torch.linalg.lu_factor` (a singular input raises, eagerly; not under jit)."""
    from .ops.linalg_ext import RT
    r = lu_factor_ex(A, pivot=pivot)
    _check_lu(r.info, "lu_factor")
    return RT["linalg_lu_factor"](r.LU, r.pivots)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """Matches `torch.linalg.diagonal` (a view)."""
    return A.diagonal(offset, dim1, dim2)


def matmul(input, other, *, out=None):
    """Matches `torch.linalg.matmul`."""
    return _dispatch.apply(_R["matmul"], (input, other), {} if out is None else {"out": out})


def multi_dot(tensors, *, out=None):
    """Matches `torch.linalg.multi_dot`."""
    return _fn("multi_dot")(list(tensors))


def ldl_factor_ex(A, *, hermitian=False, check_errors=False, out=None):
    """Matches `torch.linalg.ldl_factor_ex` (Bunch-Kaufman as LAPACK's ?sytrf, `ops/ldl.py`)."""
    r = _fn("ldl_factor_ex")(A, hermitian=hermitian)
    if check_errors:
        _check(r.info, "torch.linalg.ldl_factor_ex: The factorization could not be completed "
                       "because the input is singular: D[{i},{i}] is zero.")
    return r


def ldl_factor(A, *, hermitian=False, out=None):
    """Matches `torch.linalg.ldl_factor` (a singular input raises RuntimeError, eagerly)."""
    from .ops.ldl import RT
    r = ldl_factor_ex(A, hermitian=hermitian)
    try:
        _check(r.info, "torch.linalg.ldl_factor: The factorization could not be completed because "
                       "the input is singular: D[{i},{i}] is zero.")
    except LinAlgError as e:  # torch raises a plain RuntimeError here
        raise RuntimeError(str(e)) from None
    return RT["linalg_ldl_factor"](r.LD, r.pivots)


def ldl_solve(LD, pivots, B, *, hermitian=False, out=None):
    """Matches `torch.linalg.ldl_solve` (LAPACK's ?sytrs/?hetrs, `ops/ldl.py`)."""
    return _fn("ldl_solve")(LD, pivots, B, hermitian=hermitian)

for _n in ("eigh", "eigvalsh", "eig", "eigvals", "qr", "svd", "svdvals", "lu", "lu_solve",
           "householder_product", "solve_triangular", "pinv", "lstsq", "matrix_exp", "matrix_power",
           "det", "slogdet", "vector_norm", "matrix_norm", "norm", "cond", "matrix_rank", "vecdot",
           "cross", "vander", "tensorinv", "tensorsolve"):
    globals()[_n] = _fn(_n)
del _n
_lstsq = lstsq


def lstsq(A, B, rcond=None, *, driver=None, out=None):  # noqa: F811
    """Matches `torch.linalg.lstsq` (see `ops/linalg_ext.lstsq`)."""
    r = _lstsq(A, B, rcond, driver=driver, **({} if out is None else {"out": out}))
    # torch's singular values do not require grad (the op's other float outputs do)
    return type(r)(r.solution, r.residuals, r.rank, r.singular_values.detach())


_matrix_power, _tensorinv = matrix_power, tensorinv


def _check_invertible(A, what):
    """torch's error for a singular matrix, checked eagerly (skipped under jit)."""
    from .autograd.grad_mode import no_grad
    with no_grad():
        _check(_fn("inv_ex")(A).info, what)


def matrix_power(A, n, *, out=None):  # noqa: F811
    """Matches `torch.linalg.matrix_power` (a negative power of a singular matrix raises)."""
    if n < 0:
        _check_invertible(A, _SINGULAR.format(name="inv"))
    return _matrix_power(A, n, **({} if out is None else {"out": out}))


def tensorinv(A, ind=2, *, out=None):  # noqa: F811
    """Matches `torch.linalg.tensorinv` (a singular input raises)."""
    if 0 < ind < A.dim():
        rows = math.prod(A.shape[:ind])
        if rows * rows == A.numel():
            _check_invertible(A.reshape(rows, rows), _SINGULAR.format(name="inv")[len("linalg."):])
    return _tensorinv(A, ind, **({} if out is None else {"out": out}))


# ---- torch-level names (`torch.det`, `Tensor.inverse`, ...) ------------------------------------

def _inverse(input, *, out=None):
    return inv(input)


def _cholesky(input, upper=False, *, out=None):
    return cholesky(input, upper=upper)


def _pinverse(input, rcond=1e-15):
    return pinv(input, rtol=rcond)


def _lu_solve(b, LU_data, LU_pivots, *, out=None):
    return lu_solve(LU_data, LU_pivots, b)


def _lu(A, pivot=True, get_infos=False, out=None):
    r = lu_factor_ex(A, pivot=pivot)
    return (r.LU, r.pivots, r.info) if get_infos else (r.LU, r.pivots)


TORCH_LEVEL = {
    "det": det, "slogdet": slogdet, "inverse": _inverse, "cholesky": _cholesky,
    "matrix_exp": matrix_exp, "matrix_power": matrix_power, "pinverse": _pinverse,
    "lu_solve": _lu_solve, "orgqr": householder_product, "lu": _lu,
}


def _bind_torch_level(namespace):
    for name, fn in TORCH_LEVEL.items():
        namespace.setdefault(name, fn)
        if name not in _Tensor.__dict__:
            setattr(_Tensor, name, fn)


def __getattr__(name):
    from ._unsupported import module_getattr
    return module_getattr("jtorch.linalg", name)
