"""svd_lowrank / pca_lowrank: shapes as torch 2.13 returns them, exact recovery of low-rank input."""
import pytest

import jtorch


def test_svd_lowrank_recovers_a_low_rank_matrix():
    jtorch.manual_seed(0)
    a = jtorch.randn(5, 3, dtype=jtorch.float64) @ jtorch.randn(4, 3, dtype=jtorch.float64).mT
    u, s, v = jtorch.svd_lowrank(a, q=3)
    assert (u.shape, s.shape, v.shape) == ((5, 3), (3,), (4, 3))
    assert jtorch.dist(u @ jtorch.diag(s) @ v.mT, a).item() < 1e-10
    assert jtorch.allclose(s, jtorch.linalg.svdvals(a)[:3])


def test_shapes_follow_torch():
    # shapes recorded from torch
    assert [t.shape for t in jtorch.svd_lowrank(jtorch.randn(2, 3, 5), q=2)] == [(2, 3, 2), (2, 2), (2, 5, 2)]
    assert [t.shape for t in jtorch.svd_lowrank(jtorch.randn(3, 7))] == [(3, 3), (3,), (7, 3)]
    assert [t.shape for t in jtorch.pca_lowrank(jtorch.randn(5, 4))] == [(5, 4), (4,), (4, 4)]


def test_pca_lowrank_centers_and_checks_q():
    x = jtorch.randn(6, 3, dtype=jtorch.float64) + 10
    u, s, v = jtorch.pca_lowrank(x, q=3)
    xc = x - x.mean(0)
    assert jtorch.dist(u @ jtorch.diag(s) @ v.mT, xc).item() < 1e-8
    with pytest.raises(ValueError):
        jtorch.pca_lowrank(x, q=4)
