"""jtorch.sparse: COO/CSR tensors over jax.experimental.sparse (values checked against torch 2.13)."""
import pytest

import jtorch

IDX = [[0, 1, 1], [2, 0, 2]]


def S(**kw):
    return jtorch.sparse_coo_tensor(jtorch.tensor(IDX), jtorch.tensor([3., 4., 5.]), (2, 3), **kw)


def test_layout_and_parts():
    s = S()
    assert s.is_sparse and s.layout == jtorch.sparse_coo and isinstance(s, jtorch.Tensor)
    assert s.shape == (2, 3) and s._nnz() == 3 and not s.is_coalesced()
    assert s.to_dense().tolist() == [[0., 0., 3.], [4., 0., 5.]]
    c = jtorch.sparse_coo_tensor(jtorch.tensor([[0, 0], [1, 1]]), jtorch.tensor([1., 2.]), (2, 2)).coalesce()
    assert c.indices().tolist() == [[0], [1]] and c.values().tolist() == [3.]
    with pytest.raises(RuntimeError, match="uncoalesced"):
        s.indices()


def test_products():
    s = S()
    assert jtorch.sparse.mm(s, jtorch.ones(3, 2)).tolist() == [[3., 3.], [9., 9.]]
    assert (s @ jtorch.ones(3)).tolist() == [3., 9.]
    assert jtorch.mm(jtorch.ones(1, 2), s).tolist() == [[4., 0., 8.]]
    ss = jtorch.sparse.mm(s, s.t())
    assert ss.layout == jtorch.sparse_coo and ss.to_dense().tolist() == [[9., 15.], [15., 41.]]
    with pytest.raises(RuntimeError, match="Expected dim 0 size 3, got 4"):
        jtorch.spmm(s, jtorch.ones(4, 2))


def test_sum_softmax():
    s = S()
    assert jtorch.sparse.sum(s).item() == 12.
    r = jtorch.sparse.sum(s, dim=1)
    assert r.layout == jtorch.sparse_coo and r.to_dense().tolist() == [3., 9.]
    sm = jtorch.sparse.softmax(s, 1).to_dense()
    assert sm[0].tolist() == [0., 0., 1.]
    assert sm[1, 0].item() == pytest.approx(0.2689414, abs=1e-6)


def test_csr():
    c = jtorch.tensor([[0., 1], [2, 0]]).to_sparse_csr()
    assert c.layout == jtorch.sparse_csr
    assert c.crow_indices().tolist() == [0, 1, 2] and c.col_indices().tolist() == [1, 0]
    assert (c @ jtorch.ones(2, 1)).tolist() == [[1.], [2.]]


def test_repr():
    assert repr(S()) == ("tensor(indices=tensor([[0, 1, 1],\n"
                         "                       [2, 0, 2]]),\n"
                         "       values=tensor([3., 4., 5.]),\n"
                         "       size=(2, 3), nnz=3, layout=torch.sparse_coo)")


def test_gradients_through_sparse_mm():
    W = jtorch.tensor([[1., 2.], [3., 4.], [5., 6.]], requires_grad=True)
    v = jtorch.tensor([3., 4., 5.], requires_grad=True)
    a = jtorch.sparse_coo_tensor(jtorch.tensor(IDX), v, (2, 3))
    assert not a.is_leaf and type(a.grad_fn).__name__ == "SparseCooTensorWithDimsAndTensorsBackward0"
    jtorch.sparse.mm(a, W).pow(2).sum().backward()
    assert W.grad.tolist() == [[232., 304.], [0., 0.], [380., 488.]]
    assert v.grad.tolist() == [366., 210., 746.]


def test_dense_ops_refuse_sparse():
    with pytest.raises(NotImplementedError, match="sparse"):
        jtorch.add(S(), 1)
    with pytest.raises(NotImplementedError):
        S().view(-1)


def test_compiled_step_with_sparse_adjacency():
    adj = jtorch.sparse_coo_tensor(jtorch.tensor([[0, 1, 1], [1, 0, 1]]), jtorch.ones(3), (2, 2))
    w = jtorch.nn.Parameter(jtorch.ones(2, 1))
    opt = jtorch.optim.SGD([w], lr=0.1)
    x = jtorch.tensor([[1., 2.], [3., 4.]])

    def step():
        opt.zero_grad()
        loss = jtorch.spmm(adj, x @ w).sum()
        loss.backward()
        opt.step()
        return loss

    eager = [step().item() for _ in range(3)]
    w.data.fill_(1.)
    compiled = jtorch.compile(step, fullgraph=True)
    assert [compiled().item() for _ in range(3)] == pytest.approx(eager)
