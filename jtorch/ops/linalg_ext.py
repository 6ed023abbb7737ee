"""`torch.linalg` op bodies (exported by `jtorch/linalg.py`) and torch-level linalg ops.

Ops that can fail on singular input return an `info` array next to their result; the
Tensor-level wrappers in `jtorch/linalg.py` turn a nonzero info into `LinAlgError`.
"""
from __future__ import annotations

import collections
import math
import functools

import jax
import jax.numpy as jnp
from jax import Array, lax

from .._checks import broadcast_shapes, wrap_dim, wrap_dims
from . import _torch_grads
from ._opmath import fused as _fused
from ._registry import op


def _rt(name, fields):
    cls = collections.namedtuple(name, fields)
    cls.__module__ = "torch.return_types"
    return cls


RT = {n: _rt(n, f) for n, f in {
    "linalg_eigh": ["eigenvalues", "eigenvectors"], "linalg_eig": ["eigenvalues", "eigenvectors"],
    "linalg_qr": ["Q", "R"], "linalg_svd": ["U", "S", "Vh"], "linalg_slogdet": ["sign", "logabsdet"],
    "linalg_inv_ex": ["inverse", "info"], "linalg_cholesky_ex": ["L", "info"],
    "linalg_lstsq": ["solution", "residuals", "rank", "singular_values"],
    "linalg_lu_factor": ["LU", "pivots"], "linalg_lu_factor_ex": ["LU", "pivots", "info"],
    "linalg_lu": ["P", "L", "U"], "linalg_solve_ex": ["result", "info"],
    "svd": ["U", "S", "V"], "qr": ["Q", "R"], "slogdet": ["sign", "logabsdet"],
    "triangular_solve": ["solution", "cloned_coefficient"], "geqrf": ["a", "tau"],
    "lu_unpack": ["P", "L", "U"],
}.items()}

_P = dict(promote=None, public=False, method=False)


def _float(x):
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        raise RuntimeError(f"linalg: Expected a floating point or complex tensor as input. Got {x.dtype}")
    return x


def _square(name, x):
    _float(x)
    if x.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions.")
    if x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are "
                           f"{x.shape[-2]} by {x.shape[-1]} matrices")
    return x


def _mT(x):
    return jnp.swapaxes(x, -1, -2)


@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def _herm(A, UPLO="L"):
    # torch reads only one triangle of a Hermitian input; rebuild the matrix from it
    T = jnp.tril(A, -1) if UPLO.upper() == "L" else jnp.triu(A, 1)
    d = jnp.real(jnp.diagonal(A, axis1=-2, axis2=-1)).astype(A.dtype)
    return T + jnp.conj(_mT(T)) + d[..., None] * jnp.eye(A.shape[-1], dtype=A.dtype)


# torch's eigh gradient is the Hermitian part of the full-matrix gradient, spread over both
# triangles (not folded onto the triangle that was read).
_herm.defvjp(lambda A, UPLO: (_herm(A, UPLO), None), lambda UPLO, _, g: ((g + jnp.conj(_mT(g))) / 2,))


def _lu_info(x):
    if x.shape[-1] == 0:  # an empty matrix is invertible
        return jnp.zeros(x.shape[:-2], jnp.int32)
    lu, _, _ = lax.linalg.lu(x)
    d = jnp.diagonal(lu, axis1=-2, axis2=-1)
    zero = (d == 0) | ~jnp.isfinite(d)
    first = jnp.argmax(zero, axis=-1) + 1
    return jnp.where(zero.any(axis=-1), first, 0).astype(jnp.int32)


# ---- decompositions -------------------------------------------------------------------------

@op("linalg_cholesky_ex", **_P)
def cholesky_ex(A: Array, *, upper: bool = False, check_errors: bool = False):
    """Matches `torch.linalg.cholesky_ex`."""
    _square("cholesky", A)
    if A.shape[-1] == 0:
        return RT["linalg_cholesky_ex"](A, jnp.zeros(A.shape[:-2], jnp.int32))
    L = jnp.linalg.cholesky(A)
    d = jnp.diagonal(L, axis1=-2, axis2=-1)
    bad = ~jnp.isfinite(d) | (jnp.real(d) <= 0)
    info = jnp.where(bad.any(axis=-1), _first_bad_minor(lax.stop_gradient(A)), 0).astype(jnp.int32)
    L = jnp.where(jnp.isfinite(L), L, 0)
    return RT["linalg_cholesky_ex"](jnp.conj(_mT(L)) if upper else L, info)


def _first_bad_minor(A):
    # JAX's cholesky fills a failed factor with NaN everywhere; torch's info is the order of the
    # first leading minor that is not positive-definite: the first non-positive pivot of
    # Gaussian elimination without pivoting on the lower triangle (as a Hermitian matrix).
    n = A.shape[-1]
    M = jnp.tril(A) + jnp.conj(_mT(jnp.tril(A, -1)))
    idx = jnp.arange(n)

    def step(k, carry):
        M, info = carry
        piv = jnp.real(M[..., k, k])
        bad = ~(piv > 0)
        info = jnp.where((info == 0) & bad, k + 1, info)
        col = jnp.where(idx > k, M[..., :, k] / jnp.where(bad, 1, piv)[..., None], 0)
        return M - col[..., :, None] * M[..., k, None, :], info
    _, info = lax.fori_loop(0, n, step, (M, jnp.zeros(A.shape[:-2], jnp.int32)))
    return info


@op("linalg_eigh", **_P)
def eigh(A: Array, UPLO: str = "L"):
    """Matches `torch.linalg.eigh`."""
    _square("eigh", A)
    w, v = jnp.linalg.eigh(_herm(A, UPLO), symmetrize_input=False)
    return RT["linalg_eigh"](w, v)


@op("linalg_eigvalsh", **_P)
def eigvalsh(A: Array, UPLO: str = "L"):
    """Matches `torch.linalg.eigvalsh`."""
    _square("eigvalsh", A)
    return jnp.linalg.eigh(_herm(A, UPLO), symmetrize_input=False)[0]


@op("linalg_eig", **_P)
def eig(A: Array):
    """Matches `torch.linalg.eig` (eigenvector phases may differ from LAPACK's)."""
    _square("eig", A)
    if A.shape[-1] == 0:
        c = jnp.result_type(A.dtype, jnp.complex64)
        return RT["linalg_eig"](jnp.zeros(A.shape[:-1], c), jnp.zeros(A.shape, c))
    # torch differentiates eigenvectors too (assuming distinct eigenvalues, as jax's rule does)
    w, v = lax.linalg.eig(A, compute_left_eigenvectors=False, enable_eigvec_derivs=True)
    return RT["linalg_eig"](w, v)


@op("linalg_eigvals", **_P)
def eigvals(A: Array):
    """Matches `torch.linalg.eigvals`."""
    _square("eigvals", A)
    return jnp.linalg.eigvals(A)


@op("linalg_qr", **_P)
def qr(A: Array, mode: str = "reduced"):
    """Matches `torch.linalg.qr`."""
    _float(A)
    if mode == "r":
        return RT["linalg_qr"](jnp.zeros((0,), A.dtype), jnp.linalg.qr(A, mode="r"))
    q, r = jnp.linalg.qr(A, mode=mode)
    return RT["linalg_qr"](q, r)


@op("linalg_svd", **_P)
def svd(A: Array, full_matrices: bool = True, *, driver: str | None = None):
    """Matches `torch.linalg.svd` (singular vectors are unique only up to sign)."""
    _float(A)
    return RT["linalg_svd"](*_svd(A, full_matrices))


def _svd(A, full_matrices):
    """jnp.linalg.svd, differentiable with full_matrices=True too: JAX differentiates only the
    reduced SVD, so the values are the full decomposition's and, as in torch, the gradient flows
    through the first min(m, n) singular vectors (the completing ones carry none)."""
    A = no_inf(A)
    m, n = A.shape[-2:]
    if not full_matrices or m == n:
        return jnp.linalg.svd(A, full_matrices=full_matrices)
    k = min(m, n)
    uf, sf, vhf = jnp.linalg.svd(lax.stop_gradient(A), full_matrices=True)
    u, s, vh = jnp.linalg.svd(A, full_matrices=False)
    # the reduced call may flip signs: align each vector with the full call's
    sign = lax.stop_gradient(jnp.sign(jnp.sum(uf[..., :, :k] * u, axis=-2)))
    sign = jnp.where(sign == 0, 1, sign)
    u, vh = u * sign[..., None, :], vh * sign[..., :, None]
    u = uf[..., :, :k] + (u - lax.stop_gradient(u))  # full call's values, reduced call's grads
    vh = vhf[..., :k, :] + (vh - lax.stop_gradient(vh))
    s = sf + (s - lax.stop_gradient(s))
    return (jnp.concatenate([u, uf[..., :, k:]], axis=-1), s,
            jnp.concatenate([vh, vhf[..., k:, :]], axis=-2))


@op("linalg_svdvals", **_P)
def svdvals(A: Array, *, driver: str | None = None):
    """Matches `torch.linalg.svdvals`."""
    _float(A)
    return jnp.linalg.svd(A, compute_uv=False)


@op("linalg_lu_factor_ex", **_P)
def lu_factor_ex(A: Array, *, pivot: bool = True, check_errors: bool = False):
    """Matches `torch.linalg.lu_factor_ex` (pivots are 1-based, as LAPACK's)."""
    _float(A)
    lu, piv, _ = lax.linalg.lu(A)
    return RT["linalg_lu_factor_ex"](lu, (piv + 1).astype(jnp.int32), _lu_info(A) if
                                     A.shape[-1] == A.shape[-2] else jnp.zeros(A.shape[:-2], jnp.int32))


@op("linalg_lu", **_P)
def lu(A: Array, *, pivot: bool = True):
    """Matches `torch.linalg.lu`."""
    _float(A)
    lu_, _, perm = lax.linalg.lu(A)
    m, n = A.shape[-2], A.shape[-1]
    k = min(m, n)
    L = jnp.tril(lu_[..., :, :k], -1) + jnp.eye(m, k, dtype=A.dtype)
    U = jnp.triu(lu_[..., :k, :])
    P = jnp.swapaxes(jax.nn.one_hot(perm, m, dtype=A.dtype), -1, -2)
    return RT["linalg_lu"](P, L, U)


def _perm_from_pivots(piv, m):
    return lax.linalg.lu_pivots_to_permutation(piv.astype(jnp.int32) - 1, m)


@op("linalg_lu_solve", **_P)
def lu_solve(LU: Array, pivots: Array, B: Array, *, left: bool = True, adjoint: bool = False):
    """Matches `torch.linalg.lu_solve`."""
    n = LU.shape[-1]
    perm = _perm_from_pivots(pivots, n)
    L = jnp.tril(LU, -1) + jnp.eye(n, dtype=LU.dtype)
    U = jnp.triu(LU)
    P = jnp.swapaxes(jax.nn.one_hot(perm, n, dtype=LU.dtype), -1, -2)
    A = P @ L @ U
    if adjoint:
        A = jnp.conj(_mT(A))
    if left:
        return jnp.linalg.solve(A, B)
    return _mT(jnp.linalg.solve(_mT(A), _mT(B)))


@op("linalg_householder_product", **_P)
def householder_product(A: Array, tau: Array):
    """Matches `torch.linalg.householder_product`."""
    # An explicit product of reflectors: lax.linalg.householder_product has no gradient.
    m, n = A.shape[-2], A.shape[-1]
    Q = jnp.broadcast_to(jnp.eye(m, dtype=A.dtype), A.shape[:-2] + (m, m))
    for i in range(tau.shape[-1]):
        v = jnp.where(jnp.arange(m) < i, 0, A[..., :, i])
        v = v.at[..., i].set(1)
        Q = Q - (Q @ v[..., :, None]) * (tau[..., i, None, None] * jnp.conj(v)[..., None, :])
    return Q[..., :, :n]


@op("geqrf", promote=None, method=True, diff=False)
def geqrf(input: Array):
    """Matches `torch.geqrf`."""
    h, tau = jnp.linalg.qr(input, mode="raw")
    return RT["geqrf"](_mT(h), tau)


# ---- inverses and solvers ---------------------------------------------------------------------

@op("linalg_inv_ex", **_P)
def inv_ex(A: Array, *, check_errors: bool = False):
    """Matches `torch.linalg.inv_ex`."""
    _square("inv", A)
    return RT["linalg_inv_ex"](jnp.linalg.inv(A), _lu_info(A))


def _is_vector_rhs(A, B):
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])


@op("linalg_solve_ex", **_P)
def solve_ex(A: Array, B: Array, *, left: bool = True, check_errors: bool = False):
    """Matches `torch.linalg.solve_ex`."""
    from .._promote import promote_args
    A, B = promote_args("default", A, B)
    _square("solve", A)
    info = _lu_info(A)
    if _is_vector_rhs(A, B):
        X = jnp.linalg.solve(A, B[..., None])[..., 0] if left else \
            jnp.linalg.solve(_mT(A), B[..., None])[..., 0]
    elif left:
        shape = jnp.broadcast_shapes(A.shape[:-2], B.shape[:-2])
        X = jnp.linalg.solve(jnp.broadcast_to(A, shape + A.shape[-2:]), jnp.broadcast_to(B, shape + B.shape[-2:]))
    else:
        X = _mT(jnp.linalg.solve(_mT(A), _mT(B)))
    return RT["linalg_solve_ex"](X, info)


@op("linalg_solve_triangular", **_P)
def solve_triangular(A: Array, B: Array, *, upper: bool, left: bool = True, unitriangular: bool = False):
    """Matches `torch.linalg.solve_triangular`."""
    shape = jnp.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    A = jnp.broadcast_to(A, shape + A.shape[-2:])
    B = jnp.broadcast_to(B, shape + B.shape[-2:])
    return lax.linalg.triangular_solve(A, B, left_side=left, lower=not upper, unit_diagonal=unitriangular)


@op("linalg_pinv", **_P)
def pinv(A: Array, *, atol: Array = None, rtol: Array = None, hermitian: bool = False):
    """Matches `torch.linalg.pinv`."""
    _float(A)
    if hermitian:
        # torch's gradient is the general pinv formula evaluated at the raw input A (not at the
        # Hermitian matrix its lower triangle defines)
        return _pinv_grad(A, lax.stop_gradient(_pinv(_herm(A), atol, rtol, True)))
    return _pinv(A, atol, rtol, False)


def no_inf(A):
    """A with infinities as NaN: XLA's CPU SVD with singular vectors never returns on a
    non-square matrix holding an infinity (jnp.linalg.svd of a 3x4 matrix with one inf loops);
    LAPACK gives NaN there (torch: NaN values, or LinAlgError when it fails to converge)."""
    return jnp.where(jnp.isinf(A), jnp.nan, A) if jnp.issubdtype(A.dtype, jnp.inexact) else A


def _pinv(A, atol, rtol, hermitian):
    if not hermitian:
        A = no_inf(A)
    if atol is None and rtol is None:
        return jnp.linalg.pinv(A, hermitian=hermitian)
    u, s, vh = jnp.linalg.svd(A, full_matrices=False)
    smax = jnp.max(s, axis=-1, keepdims=True) if s.shape[-1] else jnp.zeros(s.shape[:-1] + (1,), s.dtype)
    tol = jnp.maximum(0.0 if atol is None else jnp.asarray(atol)[..., None],
                      (0.0 if rtol is None else jnp.asarray(rtol)[..., None]) * smax)
    sinv = jnp.where(s > tol, 1 / jnp.where(s > tol, s, 1), 0).astype(A.dtype)
    return jnp.conj(_mT(vh)) @ (sinv[..., :, None] * jnp.conj(_mT(u)))


@jax.custom_vjp
def _pinv_grad(A, P):
    return P


def _pinv_grad_bwd(res, g):
    # d pinv: -P dA P + P P^H dA^H (I - A P) + (I - P A) dA^H P^H P, transposed
    A, P = res
    H = lambda x: jnp.conj(_mT(x))  # noqa: E731
    gh = H(g)
    gA = (-H(P) @ g @ H(P) + (gh - A @ (P @ gh)) @ P @ H(P) + H(P) @ P @ (gh - (gh @ P) @ A))
    return gA, jnp.zeros_like(P)


_pinv_grad.defvjp(lambda A, P: (P, (A, P)), _pinv_grad_bwd)


@op("linalg_lstsq", **_P)
def lstsq(A: Array, B: Array, rcond: float | None = None, *, driver: str | None = None):
    """Matches `torch.linalg.lstsq` (solution via the pseudo-inverse; residuals, rank and singular
    values are filled in as torch's CPU `driver` fills them; residuals are also given for a
    rank-deficient tall A, where torch's gelsd/gelss leave them empty)."""
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    vec = B.ndim == A.ndim - 1
    Bm = B[..., None] if vec else B
    X = jnp.linalg.pinv(A) @ Bm
    s = jnp.linalg.svd(A, compute_uv=False)
    tol = (jnp.finfo(A.dtype).eps * max(A.shape[-2:]) if rcond is None else rcond) * jnp.max(s, axis=-1, keepdims=True)
    rank = jnp.sum(s > tol, axis=-1).astype(jnp.int64)
    driver = driver or "gelsy"
    m, n = A.shape[-2:]
    empty = jnp.zeros((0,), s.dtype)
    res = jnp.sum(jnp.abs(A @ X - Bm) ** 2, axis=-2) if m > n and driver != "gelsy" else empty
    return RT["linalg_lstsq"](X[..., 0] if vec else X, res[..., 0] if vec and res.ndim else res,
                              jnp.zeros((0,), jnp.int64) if driver == "gels" else rank,
                              lax.stop_gradient(s) if driver in ("gelsd", "gelss") else empty)


@op("linalg_matrix_exp", **_P)
def matrix_exp(A: Array):
    """Matches `torch.linalg.matrix_exp`."""
    _square("matrix_exp", A)
    return jax.scipy.linalg.expm(A) if A.ndim == 2 else jax.vmap(jax.scipy.linalg.expm)(
        A.reshape((-1,) + A.shape[-2:])).reshape(A.shape)


@op("linalg_matrix_power", **_P)
def matrix_power(A: Array, n: int):
    """Matches `torch.linalg.matrix_power`."""
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError("linalg.matrix_power: A must be batches of square matrices")
    return jnp.linalg.matrix_power(A, n)


@op("linalg_det", **_P)
def det(A: Array):
    """Matches `torch.linalg.det`."""
    _square("det", A)
    if A.shape[-1] == 0:
        return jnp.ones(A.shape[:-2], A.dtype)
    return jnp.linalg.det(A)


@op("linalg_slogdet", **_P)
def slogdet(A: Array):
    """Matches `torch.linalg.slogdet`."""
    s, l = jnp.linalg.slogdet(_square("slogdet", A))
    return RT["linalg_slogdet"](s, l)


@op("logdet", promote=None, method=True)
def logdet(input: Array):
    """Matches `torch.logdet` (NaN for a negative determinant)."""
    s, l = jnp.linalg.slogdet(_square("logdet", input))
    if jnp.iscomplexobj(input):
        return jnp.log(s) + l
    return jnp.where(s < 0, jnp.nan, jnp.where(s == 0, -jnp.inf, l))


# ---- norms and products -------------------------------------------------------------------------

def _dims(dim, ndim):
    if dim is None:
        return None
    if ndim == 0:  # a 0-dim input has one element whatever the dim (0 or -1)
        for d in (dim,) if isinstance(dim, int) else dim:
            wrap_dim(d, 0)
        return None
    if isinstance(dim, int):
        return (wrap_dim(dim, ndim),)
    return wrap_dims(dim, ndim)


@op("linalg_vector_norm", grad_name="LinalgVectorNormBackward0", **_P)
def vector_norm(x: Array, ord: float = 2, dim=None, keepdim: bool = False, *, dtype=None):
    """Matches `torch.linalg.vector_norm` (bfloat16/float16 accumulate in float32, rounded once)."""
    if dtype is not None:
        x = x.astype(dtype.np)
    _float(x)
    ax = _dims(dim, x.ndim)
    return _fused(lambda v: _torch_grads.vector_norm(
        lambda a: _vector_norm(a, ord, ax, keepdim), v, ord, ax, keepdim), x)


def _vector_norm(a, ord, ax, keepdim):
    if ord == float("inf"):
        return jnp.max(a, axis=ax, keepdims=keepdim)
    if ord == float("-inf"):
        return jnp.min(a, axis=ax, keepdims=keepdim)
    if ord == 0:
        return jnp.sum(a != 0, axis=ax, keepdims=keepdim).astype(a.dtype)
    if ord == 1:
        return jnp.sum(a, axis=ax, keepdims=keepdim)
    if ord == 2:
        s = jnp.sum(a * a, axis=ax, keepdims=keepdim)
        # torch's gradient of the 2-norm at zero is 0, not NaN
        return jnp.where(s == 0, 0.0, jnp.sqrt(jnp.where(s == 0, 1.0, s))).astype(a.dtype)
    s = jnp.sum(a ** ord, axis=ax, keepdims=keepdim)
    if ord > 1:  # as for ord 2: the gradient at zero is 0 (torch), not NaN
        return jnp.where(s == 0, 0.0, jnp.where(s == 0, 1.0, s) ** (1.0 / ord)).astype(a.dtype)
    return s ** (1.0 / ord)


@op("linalg_matrix_norm", **_P)
def matrix_norm(A: Array, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None):
    """Matches `torch.linalg.matrix_norm`."""
    if dtype is not None:
        A = A.astype(dtype.np)
    _float(A)
    if A.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    ax = _dims(dim, A.ndim)
    if ord == "fro":
        return jnp.sqrt(jnp.sum(jnp.abs(A) ** 2, axis=ax, keepdims=keepdim))
    return jnp.linalg.norm(A, ord=ord, axis=ax, keepdims=keepdim)


@op("linalg_norm", **_P)
def norm(A: Array, ord=None, dim=None, keepdim: bool = False, *, dtype=None):
    """Matches `torch.linalg.norm`."""
    if isinstance(ord, str) or (dim is not None and not isinstance(dim, int) and len(dim) == 2) or (
            dim is None and ord is not None and A.ndim == 2):
        return matrix_norm(A, "fro" if ord is None else ord, (-2, -1) if dim is None else dim,
                           keepdim, dtype=dtype)
    if dim is None and ord is not None and A.ndim != 1:
        raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D.")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


@op("linalg_cond", **_P)
def cond(A: Array, p=None):
    """Matches `torch.linalg.cond`."""
    if p is None or p == 2 or p == -2:
        s = jnp.linalg.svd(A, compute_uv=False)
        r = s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
        return r
    return matrix_norm(A, p) * matrix_norm(jnp.linalg.inv(A), p)


@op("linalg_matrix_rank", **_P)
def matrix_rank(A: Array, tol: Array = None, *, atol: Array = None, rtol: Array = None,
                hermitian: bool = False):
    """Matches `torch.linalg.matrix_rank`."""
    s = jnp.abs(jnp.linalg.eigvalsh(A)) if hermitian else jnp.linalg.svd(A, compute_uv=False)
    smax = jnp.max(s, axis=-1, keepdims=True) if s.shape[-1] else jnp.zeros(s.shape[:-1] + (1,), s.dtype)
    if tol is not None:
        atol = tol
    if atol is None and rtol is None:
        rtol = jnp.finfo(s.dtype).eps * max(A.shape[-2:])
    elif rtol is None:
        rtol = 0.0
    a = 0.0 if atol is None else jnp.asarray(atol)[..., None]
    r = jnp.asarray(rtol)[..., None] if not isinstance(rtol, float) else rtol
    return jnp.sum(s > jnp.maximum(a, r * smax), axis=-1).astype(jnp.int64)


@op("linalg_multi_dot", **_P)
def multi_dot(tensors: list[Array]):
    """Matches `torch.linalg.multi_dot`."""
    if len(tensors) < 2:
        raise RuntimeError("multi_dot(): expected at least 2 tensors but got " + str(len(tensors)))
    check_chain(tensors)
    return jnp.linalg.multi_dot(tensors)


def check_chain(tensors):
    """torch's error for a chain of matrix products whose inner sizes differ."""
    for i, (a, b) in enumerate(zip(tensors, tensors[1:])):
        if a.shape[-1] != b.shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {list(a.shape)} and "
                               f"{list(b.shape)} cannot be multiplied")


@op("linalg_vecdot", promote="default", public=False, method=False)
def vecdot(x: Array, y: Array, *, dim: int = -1):
    """Matches `torch.linalg.vecdot`."""
    return jnp.sum(jnp.conj(x) * y, axis=dim)


@op("linalg_cross", promote="default", public=False, method=False)
def cross(input: Array, other: Array, *, dim: int = -1):
    """Matches `torch.linalg.cross`."""
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = wrap_dim(dim, input.ndim)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[d]} and {other.shape[d]}")
    broadcast_shapes(input.shape, other.shape)
    x, y = jnp.broadcast_arrays(input, other)
    return jnp.cross(x, y, axis=d)


@op("linalg_vander", **_P)
def vander(x: Array, *, N: int | None = None):
    """Matches `torch.linalg.vander` (increasing powers)."""
    x = x.reshape(1) if x.ndim == 0 else x  # a 0-dim x is one point: one row
    n = x.shape[-1] if N is None else N
    return x[..., :, None] ** jnp.arange(n, dtype=jnp.int64 if not jnp.issubdtype(x.dtype, jnp.inexact)
                                          else x.dtype)


@op("linalg_tensorinv", **_P)
def tensorinv(A: Array, ind: int = 2):
    """Matches `torch.linalg.tensorinv`."""
    return jnp.linalg.tensorinv(A, ind=ind)


@op("linalg_tensorsolve", **_P)
def tensorsolve(A: Array, B: Array, dims=None):
    """Matches `torch.linalg.tensorsolve`."""
    if dims:  # torch moves these dims of A to the end, in order
        rest = [d for d in range(A.ndim) if d not in {x % A.ndim for x in dims}]
        A = jnp.transpose(A, rest + [d % A.ndim for d in dims])
    # As torch: only the sizes' products must agree (A's leading shape need not equal B's).
    out_shape = A.shape[B.ndim:]
    n = math.prod(out_shape)
    if math.prod(A.shape[:B.ndim]) != B.size or B.size != n:
        raise RuntimeError("Expected self to satisfy the requirement prod(result.shape) == "
                           "prod(other.shape)")
    return jnp.linalg.solve(A.reshape(B.size, n), B.reshape(B.size, 1))[:, 0].reshape(out_shape)


# ---- torch-level legacy forms ------------------------------------------------------------------

@op("svd", promote=None, method=True)
def svd_legacy(input: Array, some: bool = True, compute_uv: bool = True):
    """Matches `torch.svd` (returns V, not Vh)."""
    u, s, vh = _svd(input, not some)
    if not compute_uv:
        return RT["svd"](jnp.zeros_like(u), s, jnp.zeros_like(vh))
    return RT["svd"](u, s, jnp.conj(_mT(vh)))


@op("qr", promote=None, method=True)
def qr_legacy(input: Array, some: bool = True):
    """Matches `torch.qr`."""
    q, r = jnp.linalg.qr(input, mode="reduced" if some else "complete")
    return RT["qr"](q, r)


@op("triangular_solve", promote=None, method=True)
def triangular_solve(input: Array, A: Array, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False):
    """Matches `torch.triangular_solve` (solves A X = input)."""
    shape = jnp.broadcast_shapes(A.shape[:-2], input.shape[:-2])
    Ab = jnp.broadcast_to(A, shape + A.shape[-2:])
    b = jnp.broadcast_to(input, shape + input.shape[-2:])
    x = lax.linalg.triangular_solve(Ab, b, left_side=True, lower=not upper, transpose_a=transpose,
                                    unit_diagonal=unitriangular)
    return RT["triangular_solve"](x, Ab)


@op("cholesky_solve", promote=None, method=True)
def cholesky_solve(input: Array, input2: Array, upper: bool = False):
    """Matches `torch.cholesky_solve` (input2 is the Cholesky factor)."""
    L = jnp.conj(_mT(input2)) if upper else input2
    shape = jnp.broadcast_shapes(L.shape[:-2], input.shape[:-2])
    L = jnp.broadcast_to(L, shape + L.shape[-2:])
    return _chol_solve(L, jnp.broadcast_to(input, shape + input.shape[-2:]))


def _potrs(L, b):
    """(L L^H)^-1 b from the lower triangle of L."""
    y = lax.linalg.triangular_solve(L, b, left_side=True, lower=True)
    return lax.linalg.triangular_solve(L, y, left_side=True, lower=True, transpose_a=True, conjugate_a=True)


# torch differentiates (L L^H)^-1 b through all of L (its upper part too), not only the
# triangle the solve reads: the tangent is -(L L^H)^-1 (dL L^H + L dL^H) x.
_chol_solve = jax.custom_jvp(_potrs)


@_chol_solve.defjvp
def _chol_solve_jvp(primals, tangents):
    L, b = primals
    dL, db = tangents
    x = _potrs(L, b)
    dA_x = dL @ (jnp.conj(_mT(L)) @ x) + L @ (jnp.conj(_mT(dL)) @ x)
    return x, _potrs(L, db - dA_x)


@op("cholesky_inverse", promote=None, method=True)
def cholesky_inverse(input: Array, upper: bool = False):
    """Matches `torch.cholesky_inverse`."""
    L = jnp.conj(_mT(input)) if upper else input
    return jnp.linalg.inv(L @ jnp.conj(_mT(L)))


@op("lu_unpack", promote=None, method=False)
def lu_unpack(LU_data: Array, LU_pivots: Array, unpack_data: bool = True, unpack_pivots: bool = True):
    """Matches `torch.lu_unpack`."""
    m, n = LU_data.shape[-2], LU_data.shape[-1]
    k = min(m, n)
    L = jnp.tril(LU_data[..., :, :k], -1) + jnp.eye(m, k, dtype=LU_data.dtype)
    U = jnp.triu(LU_data[..., :k, :])
    perm = _perm_from_pivots(LU_pivots, m)
    P = jnp.swapaxes(jax.nn.one_hot(perm, m, dtype=LU_data.dtype), -1, -2)
    return RT["lu_unpack"](P, L, U)
