"""Randomized low-rank SVD and PCA (`torch.svd_lowrank`, `torch.pca_lowrank`).

A Gaussian sketch of A's range, refined by `niter` power iterations with re-orthonormalization,
then an exact SVD of the small projected matrix (Halko, Martinsson & Tropp 2011). The draws come
from jtorch's generator, so U and V match torch's up to the usual sign/rotation freedom, not
value by value.
"""
from __future__ import annotations

import jtorch


def _basis(a, q, niter):
    """An orthonormal (..., m, k) basis approximating the range of a (..., m, n)."""
    r = jtorch.randn(a.shape[-1], q, dtype=a.dtype)
    qm = jtorch.linalg.qr(a @ r).Q
    for _ in range(niter):
        qm = jtorch.linalg.qr(a.mH @ qm).Q
        qm = jtorch.linalg.qr(a @ qm).Q
    return qm


def svd_lowrank(A, q=6, niter=2, M=None):
    """Matches `torch.svd_lowrank`: (U, S, V) with A ~= U diag(S) V^H."""
    q = 6 if q is None else q
    a = A if M is None else A - M
    m, n = a.shape[-2:]
    if m < n:  # sketch the smaller side: work on A^H and swap U and V back
        v, s, u = _svd(a.mH, q, niter)
        return u, s, v
    return _svd(a, q, niter)


def _svd(a, q, niter):
    qm = _basis(a, q, niter)
    ub, s, vh = jtorch.linalg.svd(qm.mH @ a, full_matrices=False)
    return qm @ ub, s, vh.mH


def pca_lowrank(A, q=None, center=True, niter=2):
    """Matches `torch.pca_lowrank` (dense inputs)."""
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not 0 <= q <= min(m, n):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}")
    if niter < 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    a = A - A.mean(dim=-2, keepdim=True) if center else A
    return svd_lowrank(a, q, niter=niter)
