"""empty_strided / empty_permuted / new_empty_strided, as_strided_scatter, index_put,
nonzero_static, histogramdd (expected values recorded from torch 2.13)."""
import pytest

import jtorch


def test_strided_factories_report_torch_strides():
    assert jtorch.empty_strided((2, 3), (1, 2)).stride() == (1, 2)
    assert jtorch.empty_permuted((2, 3, 4), (2, 0, 1)).stride() == (3, 1, 6)
    t = jtorch.ones(2).new_empty_strided((2, 2), (1, 2), dtype=jtorch.float64)
    assert t.dtype is jtorch.float64 and t.shape == (2, 2)
    assert jtorch.empty_strided((0, 3), (3, 1)).shape == (0, 3)
    with pytest.raises(RuntimeError):
        jtorch.empty_permuted((2, 3), (0, 0))


def test_as_strided_scatter_and_its_gradient():
    x = jtorch.arange(9.0).reshape(3, 3).requires_grad_(True)
    src = jtorch.full((2, 2), -1.0, requires_grad=True)
    y = jtorch.as_strided_scatter(x, src, (2, 2), (1, 2), 1)
    assert y.tolist() == [[0.0, -1.0, -1.0], [-1.0, -1.0, 5.0], [6.0, 7.0, 8.0]]
    (y * jtorch.arange(9.0).reshape(3, 3)).sum().backward()
    # the overwritten elements get no gradient (torch's formula disagrees: op_db marks its
    # gradcheck as an expected failure)
    assert x.grad.tolist() == [[0.0, 0.0, 0.0], [0.0, 0.0, 5.0], [6.0, 7.0, 8.0]]
    assert src.grad.tolist() == [[1.0, 3.0], [2.0, 4.0]]


def test_index_put_and_nonzero_static():
    z = jtorch.zeros(3)
    r = jtorch.index_put(z, (jtorch.tensor([0, 0, 2]),), jtorch.tensor([1.0, 2.0, 3.0]), accumulate=True)
    assert r.tolist() == [3.0, 0.0, 3.0] and z.tolist() == [0.0, 0.0, 0.0]
    b = jtorch.zeros(4, dtype=jtorch.bool)
    b.index_put_((jtorch.tensor([0, 0, 2]),), jtorch.tensor([True, False, False]), accumulate=True)
    assert b.tolist() == [True, False, False, False]
    r = jtorch.nonzero_static(jtorch.tensor([0, 1, 0, 2]), size=3, fill_value=-5)
    assert r.tolist() == [[1], [3], [-5]]
    assert jtorch.tensor([[0, 1], [3, 2]]).nonzero_static(size=2).tolist() == [[0, 1], [1, 0]]
    assert jtorch.nonzero_static(jtorch.tensor(3.0), size=2).shape == (2, 0)
    assert jtorch.nonzero_static(jtorch.zeros(0, 2), size=1).tolist() == [[-1, -1]]


def test_histogramdd():
    x = jtorch.tensor([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [0.5, 3.0]])
    h = jtorch.histogramdd(x, bins=[2, 3], weight=jtorch.tensor([1.0, 2.0, 3.0, 4.0]))
    assert h.hist.tolist() == [[0.0, 1.0, 4.0], [2.0, 0.0, 3.0]]
    assert [e.tolist() for e in h.bin_edges] == [[0.0, 1.0, 2.0], [0.0, 1.0, 2.0, 3.0]]
    # unsorted edges are searched like torch's bisection
    h = jtorch.histogramdd(x[:2], bins=[jtorch.tensor([0.0, 2.0, 1.0]), jtorch.tensor([0.0, 1.0])])
    assert h.hist.tolist() == [[2.0], [0.0]]
    edges = jtorch.histogramdd(jtorch.zeros(3, 1), bins=2).bin_edges
    assert [e.tolist() for e in edges] == [[-0.5, 0.0, 0.5]]
