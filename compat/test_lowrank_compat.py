"""svd_lowrank / pca_lowrank on both libraries, on exactly low-rank inputs (then the result does
not depend on the random sketch): singular values and U V^H (free of the sign choice)."""
import pytest

from compat._harness import randn

A = randn(6, 2) @ randn(5, 2, seed=1).T
B = randn(2, 4, 3, seed=2) @ randn(2, 3, 3, seed=3).transpose(0, 2, 1)


def _invariants(usv):
    u, s, v = usv
    return [u @ v.mH, s]


CASES = {
    "svd_lowrank": (lambda lib, a: _invariants(lib.svd_lowrank(a, q=2)), A),
    "svd_lowrank_wide": (lambda lib, a: _invariants(lib.svd_lowrank(a.mT, q=2)), A),
    "svd_lowrank_batched": (lambda lib, b: _invariants(lib.svd_lowrank(b, q=3)), B),
    "pca_lowrank": (lambda lib, a: _invariants(lib.pca_lowrank(a, q=2, center=False)), A),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_lowrank(compat, name):
    fn, x = CASES[name]
    compat.same(fn, x, grad=False, grad_fn=False, rtol=1e-6, atol=1e-8)
