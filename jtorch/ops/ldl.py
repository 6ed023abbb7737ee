"""`torch.linalg.ldl_factor(_ex)` and `ldl_solve`: Bunch–Kaufman LDL^T as LAPACK computes it.

torch calls LAPACK's `?sytrf` (symmetric; `?hetrf` for complex `hermitian=True`) with
`uplo='L'` and `?sytrs`/`?hetrs` to solve. This is the unblocked `?sytf2`/`?hetf2` algorithm
step for step: partial pivoting with alpha = (1 + sqrt(17)) / 8, magnitudes |re| + |im|
(BLAS's i?amax), first maximum on ties, the interchange applied to the trailing block only,
and LAPACK's pivot convention (1-based; `p > 0`: a 1x1 block, rows k and p swapped; `-p` twice:
a 2x2 block, rows k+1 and p swapped). `info` is the first zero pivot column (1-based), as
LAPACK reports it (a NaN diagonal with a zero column counts as zero, as in torch's MKL build). The compact LD holds L's multipliers below the diagonal and D (its 2x2
blocks' subdiagonal too); the upper triangle is zero, as torch returns it.

Each step works on the whole matrix with masks inside a `lax.while_loop` (the block sizes
depend on the values), so one program serves every input of a shape, eagerly and compiled;
batches go through `vmap`. The trailing block is kept symmetric (Hermitian) in full so the
interchange is a row and column swap.
"""
from __future__ import annotations

import collections
import math

import jax
import jax.numpy as jnp
from jax import Array, lax

from ._registry import op

_ALPHA = (1.0 + math.sqrt(17.0)) / 8.0


def _rt(name, fields):
    cls = collections.namedtuple(name, fields)
    cls.__module__ = "torch.return_types"
    return cls


RT = {"linalg_ldl_factor": _rt("linalg_ldl_factor", ["LD", "pivots"]),
      "linalg_ldl_factor_ex": _rt("linalg_ldl_factor_ex", ["LD", "pivots", "info"])}


def _cabs1(x):
    return jnp.abs(x.real) + jnp.abs(x.imag) if jnp.iscomplexobj(x) else jnp.abs(x)


def _dag(x, herm):
    return jnp.conj(x) if herm else x


def _sytf2(A, herm):
    """One matrix: (LD, pivots, info) of LAPACK's ?sytf2/?hetf2 with uplo='L'."""
    n = A.shape[-1]
    idx = jnp.arange(n)
    rdt = jnp.finfo(A.dtype).dtype
    if herm:
        A = jnp.where(jnp.eye(n, dtype=bool), A.real.astype(A.dtype), A)
    # the trailing block in full: mirror the lower triangle (LAPACK reads only 'L')
    A = jnp.where(idx[:, None] >= idx[None, :], A, _dag(A.T, herm))

    def diag_abs(x):
        return jnp.abs(x.real) if herm else _cabs1(x)

    def step(carry):
        A, piv, info, k = carry
        col = A[:, k]
        absakk = diag_abs(A[k, k])
        below = idx > k
        imax = jnp.argmax(jnp.where(below, _cabs1(col), -1.0))
        colmax = jnp.where(k < n - 1, _cabs1(A[imax, k]), 0.0).astype(rdt)
        # MAX(ABSAKK, COLMAX) == 0, with MKL's NaN handling (a NaN ABSAKK gives COLMAX)
        zero = jnp.where(jnp.isnan(absakk), colmax, jnp.maximum(absakk, colmax)) == 0
        row = _cabs1(A[imax, :])  # row imax over columns k..imax-1, then column imax below
        rowmax = jnp.max(jnp.where((idx >= k) & (idx < imax), row, -1.0))
        rowmax = jnp.maximum(rowmax, jnp.max(jnp.where(idx > imax, _cabs1(A[:, imax]), -1.0)))
        one_k = absakk >= _ALPHA * colmax
        one_k2 = absakk >= _ALPHA * colmax * (colmax / rowmax)
        one_imax = diag_abs(A[imax, imax]) >= _ALPHA * rowmax
        keep = zero | one_k | one_k2
        kp = jnp.where(keep, k, imax)
        kstep = jnp.where(keep | one_imax, 1, 2)
        kk = k + kstep - 1
        # interchange rows and columns kk and kp of the trailing block A[k:, k:]
        perm = jnp.where(idx == kk, kp, jnp.where(idx == kp, kk, idx))
        trail = (idx[:, None] >= k) & (idx[None, :] >= k)
        A = jnp.where(trail, A[perm][:, perm], A)
        later = idx > k + kstep - 1  # rows/columns of the block updated next
        blk = later[:, None] & later[None, :]
        # a 1x1 pivot: A22 -= x d11 x^T, x *= d11
        d11 = 1.0 / (A[k, k].real.astype(A.dtype) if herm else A[k, k])
        x = jnp.where(idx > k, A[:, k], 0)
        upd1 = A + x[:, None] * (-d11 * _dag(x, herm))[None, :]
        A1 = jnp.where(idx[None, :] == k, jnp.where(idx[:, None] > k, (d11 * x)[:, None], A), upd1)
        # a 2x2 pivot: LAPACK's W = A(:, k:k+1) inv(D) form
        a21 = A[k + 1 if n > 1 else 0, k]
        ak, ak1 = A[:, k], A[:, jnp.minimum(k + 1, n - 1)]
        if herm:
            d = jnp.abs(a21)
            e11 = A[jnp.minimum(k + 1, n - 1), jnp.minimum(k + 1, n - 1)].real / d
            e22 = A[k, k].real / d
            tt = 1.0 / (e11 * e22 - 1.0)
            d21 = a21 / d
            dd = (tt / d).astype(A.dtype)
            wk = dd * (e11 * ak - d21 * ak1)
            wkp1 = dd * (e22 * ak1 - jnp.conj(d21) * ak)
        else:
            e11 = A[jnp.minimum(k + 1, n - 1), jnp.minimum(k + 1, n - 1)] / a21
            e22 = A[k, k] / a21
            t = 1.0 / (e11 * e22 - 1.0)
            d21 = t / a21
            wk = d21 * (e11 * ak - ak1)
            wkp1 = d21 * (e22 * ak1 - ak)
        wk, wkp1 = jnp.where(later, wk, 0), jnp.where(later, wkp1, 0)
        upd2 = A - ak[:, None] * _dag(wk, herm)[None, :] - ak1[:, None] * _dag(wkp1, herm)[None, :]
        A2 = jnp.where(later[:, None] & (idx[None, :] == k), wk[:, None], upd2)
        A2 = jnp.where(later[:, None] & (idx[None, :] == k + 1), wkp1[:, None], A2)
        new = jnp.where(zero, A, jnp.where(kstep == 1, A1, A2))
        # keep the next trailing block symmetric (from its lower triangle), its diagonal real
        low = idx[:, None] >= idx[None, :]
        sym = jnp.where(low, new, _dag(new.T, herm))
        if herm:
            sym = jnp.where(jnp.eye(n, dtype=bool), sym.real.astype(A.dtype), sym)
        A = jnp.where(blk, sym, new)
        p1 = (kp + 1).astype(jnp.int32)
        piv = jnp.where(kstep == 1, jnp.where(idx == k, p1, piv),
                        jnp.where((idx == k) | (idx == k + 1), -p1, piv))
        info = jnp.where(zero & (info == 0), (k + 1).astype(jnp.int32), info)
        return A, piv, info, k + kstep

    init = (A, jnp.zeros(n, jnp.int32), jnp.zeros((), jnp.int32), jnp.zeros((), jnp.int32))
    A, piv, info, _ = lax.while_loop(lambda c: c[3] < n, step, init)
    return jnp.tril(A), piv, info


def _check_square(name, A):
    if not jnp.issubdtype(A.dtype, jnp.inexact):
        tn = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
              "bool": "Bool"}.get(str(A.dtype), str(A.dtype))
        raise RuntimeError(f"torch.linalg.{name}: Expected a floating point or complex tensor as "
                           f"input. Got {tn}")
    if A.ndim < 2:
        raise RuntimeError(f"torch.linalg.{name}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"torch.linalg.{name}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")


def _batched(fn, *xs):
    batch = xs[0].shape[:-2]
    if math.prod(batch) == 0 or xs[0].shape[-1] == 0:
        return None
    flat = [x.reshape((-1,) + x.shape[len(batch):]) for x in xs]
    outs = jax.vmap(fn)(*flat)
    return tuple(o.reshape(batch + o.shape[1:]) for o in outs)


@op("linalg_ldl_factor_ex", promote=None, public=False, method=False, diff=False)
def ldl_factor_ex(A: Array, *, hermitian: bool = False, check_errors: bool = False):
    """Matches `torch.linalg.ldl_factor_ex` (LAPACK's ?sytrf/?hetrf, uplo='L')."""
    _check_square("ldl_factor_ex", A)
    herm = bool(hermitian) and jnp.iscomplexobj(A)
    r = _batched(lambda a: _sytf2(a, herm), A)
    if r is None:  # empty batch or 0x0 matrices
        n = A.shape[-1]
        return RT["linalg_ldl_factor_ex"](jnp.zeros(A.shape, A.dtype),
                                          jnp.zeros(A.shape[:-2] + (n,), jnp.int32),
                                          jnp.zeros(A.shape[:-2], jnp.int32))
    return RT["linalg_ldl_factor_ex"](*r)


def _sytrs(LD, piv, B, herm):
    """One system: LAPACK's ?sytrs/?hetrs with uplo='L' (A X = B from ?sytrf's factors)."""
    n = LD.shape[-1]
    idx = jnp.arange(n)

    def swap(B, i, j):
        p = jnp.where(idx == i, j, jnp.where(idx == j, i, idx))
        return B[p]

    def fwd(c):  # solve (P L) D Y = B, k increasing
        B, k = c
        p = piv[k]
        two = p < 0
        kp = jnp.where(two, -p, p) - 1
        B = swap(B, jnp.where(two, k + 1, k), kp)
        lk = jnp.where(idx > k + two, LD[:, k], 0)
        k1 = jnp.minimum(k + 1, n - 1)
        lk1 = jnp.where(two & (idx > k + 1), LD[:, k1], 0)
        B = B - lk[:, None] * B[k][None, :] - lk1[:, None] * B[k1][None, :]
        # the diagonal block
        rk = (1.0 / LD[k, k].real).astype(LD.dtype) if herm else 1.0 / LD[k, k]  # ?scal by 1/d
        one = jnp.where(idx[:, None] == k, B * rk, B)
        akm1k = LD[k1, k]
        if herm:
            akm1 = LD[k, k] / jnp.conj(akm1k)
            ak = LD[k1, k1] / akm1k
            denom = akm1 * ak - 1.0
            bkm1 = B[k] / jnp.conj(akm1k)
            bk = B[k1] / akm1k
        else:
            akm1 = LD[k, k] / akm1k
            ak = LD[k1, k1] / akm1k
            denom = akm1 * ak - 1.0
            bkm1 = B[k] / akm1k
            bk = B[k1] / akm1k
        blk = jnp.where(idx[:, None] == k, ((ak * bkm1 - bk) / denom)[None, :], B)
        blk = jnp.where(idx[:, None] == k1, ((akm1 * bk - bkm1) / denom)[None, :], blk)
        return jnp.where(two, blk, one), k + jnp.where(two, 2, 1)

    B, _ = lax.while_loop(lambda c: c[1] < n, fwd, (B, jnp.zeros((), jnp.int32)))

    def back(c):  # solve (P L)^T X = Y, k decreasing
        B, k = c
        p = piv[k]
        two = p < 0
        km1 = jnp.maximum(k - 1, 0)
        lk = jnp.where(idx > k, _dag(LD[:, k], herm), 0)
        B = B.at[k].add(-(lk @ B))
        lkm1 = jnp.where(two & (idx > k), _dag(LD[:, km1], herm), 0)
        B = B.at[km1].add(-(lkm1 @ B))
        kp = jnp.where(two, -p, p) - 1
        B = swap(B, k, kp)
        return B, k - jnp.where(two, 2, 1)

    B, _ = lax.while_loop(lambda c: c[1] >= 0, back, (B, jnp.asarray(n - 1, jnp.int32)))
    return B


@op("linalg_ldl_solve", promote=None, public=False, method=False, diff=False)
def ldl_solve(LD: Array, pivots: Array, B: Array, *, hermitian: bool = False):
    """Matches `torch.linalg.ldl_solve` (LAPACK's ?sytrs/?hetrs, uplo='L')."""
    if LD.ndim < 2:
        raise RuntimeError("torch.linalg.ldl_solve: LD must have at least 2 dimensions, but got "
                           f"{LD.ndim} dimensions instead")
    if LD.shape[-1] != LD.shape[-2]:
        raise RuntimeError(f"torch.linalg.ldl_solve: A must be batches of square matrices, but they "
                           f"are {LD.shape[-2]} by {LD.shape[-1]} matrices")
    if B.ndim < 2:
        raise RuntimeError("torch.linalg.ldl_solve: B must have at least 2 dimensions, but got "
                           f"{B.ndim} dimensions instead")
    if LD.dtype != B.dtype:
        raise RuntimeError("torch.linalg.ldl_solve: Expected LD and B to have the same dtype, but "
                           f"found LD of type {LD.dtype} and B of type {B.dtype} instead")
    if not jnp.issubdtype(pivots.dtype, jnp.integer) or pivots.dtype != jnp.int32:
        raise RuntimeError("torch.linalg.ldl_solve: Expected pivots to be integers. Got "
                           f"{pivots.dtype}")
    n = LD.shape[-1]
    if B.shape[-2] != n:
        raise RuntimeError(f"torch.linalg.ldl_solve: Incompatible shapes of A and B for the equation "
                           f"AX = B ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    herm = bool(hermitian) and jnp.iscomplexobj(LD)
    batch = jnp.broadcast_shapes(LD.shape[:-2], pivots.shape[:-1], B.shape[:-2])
    LDb = jnp.broadcast_to(LD, batch + LD.shape[-2:])
    pb = jnp.broadcast_to(pivots, batch + pivots.shape[-1:])
    Bb = jnp.broadcast_to(B, batch + B.shape[-2:])
    if math.prod(batch) == 0 or n == 0 or B.shape[-1] == 0:
        return jnp.zeros(Bb.shape, B.dtype)
    flat = lambda x, r: x.reshape((-1,) + x.shape[len(batch):])  # noqa: E731
    out = jax.vmap(lambda a, p, b: _sytrs(a, p, b, herm))(flat(LDb, 2), flat(pb, 1), flat(Bb, 2))
    return out.reshape(Bb.shape)
