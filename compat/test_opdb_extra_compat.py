"""Strided factories, as_strided_scatter, index_put, nonzero_static and histogramdd on both libraries."""
import numpy as np
import pytest

from compat._harness import randn

X = randn(3, 3)
P = randn(6, 2, seed=1)
W = np.abs(randn(6, seed=2))
I = np.array([[0, 1, 0], [2, 0, 3]], dtype=np.int64)

CASES = {
    "empty_strided": lambda lib: [list(lib.empty_strided((2, 3, 2), (1, 2, 6)).stride()),
                                  list(lib.empty_permuted((2, 3, 4), (1, 2, 0)).stride())],
    "new_empty_strided": lambda lib: str(lib.ones(2).new_empty_strided((2, 2), (1, 2)).dtype),
    "as_strided_scatter": lambda lib: lib.as_strided_scatter(
        lib.arange(9.0).reshape(3, 3), -lib.ones(2, 2), (2, 2), (2, 1), 3),
    "index_put": lambda lib: lib.index_put(lib.zeros(3, 3), (lib.tensor([0, 2, 0]), lib.tensor([1, 1, 1])),
                                          lib.tensor([1.0, 2.0, 3.0]), accumulate=True),
    "sum_to_size_empty": lambda lib: [lib.tensor(True).sum_to_size(()), lib.ones(2, 3).sum_to_size(())],
    "nonzero_static": lambda lib: [lib.nonzero_static(lib.tensor([[0, 1, 0], [2, 0, 3]]), size=s)
                                   for s in (0, 2, 5)],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_opdb_extra(compat, name):
    compat.same(CASES[name], grad=False)


@pytest.mark.parametrize("bins", [3, (2, 4)])
@pytest.mark.parametrize("density", [False, True])
def test_histogramdd(compat, bins, density):
    rng = None if bins == 3 else [-3.0, 3.0, -2.0, 2.0]
    compat.same(lambda lib, p, w: list(lib.histogramdd(p.float(), bins=bins, weight=w.float(),
                                                      density=density, range=rng)),
                P, W, grad=False, rtol=1e-5, atol=1e-6)


def test_histogramdd_edges(compat):
    compat.same(lambda lib, p: list(lib.histogramdd(p, bins=[lib.tensor([-3.0, 0.0, 3.0], dtype=p.dtype),
                                                            lib.tensor([-1.0, 1.0, 0.0], dtype=p.dtype)])),
                P, grad=False)
