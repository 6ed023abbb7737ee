"""jtorch.sparse against torch 2.13: construction, layout, printing, products, reductions,
softmax, CSR basics, errors, gradients, and a graph-network step eagerly and compiled."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import jtorch  # noqa: E402

warnings.filterwarnings("ignore", message="Sparse (invariant|CSR)")

IDX = [[0, 1, 1], [2, 0, 2]]
VAL = [3., 4., 5.]


def S(lib, **kw):
    return lib.sparse_coo_tensor(lib.tensor(IDX), lib.tensor(VAL), (2, 3), **kw)


def plain(r, lib):
    if isinstance(r, lib.Tensor):
        dense = r.to_dense() if r.layout != lib.strided else r
        return (str(r.layout), str(r.dtype), tuple(r.shape), np.asarray(dense.detach().tolist()))
    if isinstance(r, tuple):
        return tuple(plain(x, lib) for x in r)
    return r


def same(a, b):
    if isinstance(a, tuple) and a and isinstance(a[-1], np.ndarray):
        assert a[:-1] == b[:-1]
        np.testing.assert_allclose(a[-1], b[-1], rtol=1e-6, atol=1e-7)
    else:
        assert a == b


def outcome(fn, lib):
    try:
        return ("ok", plain(fn(lib), lib))
    except Exception as e:  # noqa: BLE001 - the type is compared
        return ("err", type(e).__name__)


CASES = {
    "to_dense": lambda lib: S(lib).to_dense(),
    "coalesce_duplicates": lambda lib: lib.sparse_coo_tensor(lib.tensor([[0, 0], [1, 1]]), lib.tensor([1., 2.]), (2, 2)).coalesce(),
    "coalesce_flag": lambda lib: (S(lib).is_coalesced(), S(lib).coalesce().is_coalesced(), lib.ones(2, 2).to_sparse().is_coalesced()),
    "coalesced_indices": lambda lib: S(lib).coalesce().indices(),
    "coalesced_values": lambda lib: S(lib).coalesce().values(),
    "uncoalesced_indices_refused": lambda lib: S(lib).indices(),
    "uncoalesced_values_refused": lambda lib: S(lib).values(),
    "private_indices": lambda lib: S(lib)._indices(),
    "meta": lambda lib: (S(lib).is_sparse, S(lib).layout == lib.sparse_coo, S(lib)._nnz(), S(lib).sparse_dim(),
                         S(lib).dense_dim(), lib.ones(2).is_sparse, isinstance(S(lib), lib.Tensor), S(lib).dim()),
    "inferred_size": lambda lib: lib.sparse_coo_tensor([[0, 1], [1, 0]], [1., 2.]),
    "dtype_kw": lambda lib: lib.sparse_coo_tensor(lib.tensor(IDX), lib.tensor(VAL), (2, 3), dtype=lib.float64),
    "float_indices": lambda lib: lib.sparse_coo_tensor(lib.tensor(IDX).float(), lib.tensor(VAL)),
    "1d_indices_refused": lambda lib: lib.sparse_coo_tensor(lib.tensor(IDX)[0], lib.tensor(VAL)),
    "hybrid_to_sparse": lambda lib: lib.ones(2, 3, 2).to_sparse(1),
    "dense_to_sparse": lambda lib: lib.tensor([[0., 1, 0], [2, 0, 3]]).to_sparse(),
    "dense_to_sparse_indices": lambda lib: lib.tensor([[0., 1, 0], [2, 0, 3]]).to_sparse().indices(),
    "zeros_to_sparse": lambda lib: lib.zeros(2, 2).to_sparse(),
    "sparse_mm": lambda lib: lib.sparse.mm(S(lib), lib.ones(3, 2)),
    "spmm": lambda lib: lib.spmm(S(lib), lib.arange(3.).reshape(3, 1)),
    "matmul_operator": lambda lib: S(lib) @ lib.arange(6.).reshape(3, 2),
    "mm_function": lambda lib: lib.mm(S(lib), lib.ones(3, 4)),
    "matmul_vector": lambda lib: lib.matmul(S(lib), lib.tensor([1., 2., 3.])),
    "dense_mm_sparse": lambda lib: lib.mm(lib.ones(4, 2), S(lib)),
    "dense_matmul_sparse": lambda lib: lib.arange(8.).reshape(4, 2) @ S(lib),
    "sparse_mm_sparse": lambda lib: lib.sparse.mm(S(lib), S(lib).t()),
    "sparse_mm_dense_dense": lambda lib: lib.sparse.mm(lib.ones(2, 3), lib.ones(3, 2)),
    "addmm": lambda lib: lib.sparse.addmm(lib.ones(2, 2), S(lib), lib.ones(3, 2)),
    "mm_shape_refused": lambda lib: lib.sparse.mm(S(lib), lib.ones(4, 2)),
    "mm_dtype_refused": lambda lib: lib.sparse.mm(S(lib), lib.ones(3, 2, dtype=lib.float64)),
    "sum_all": lambda lib: lib.sparse.sum(S(lib)),
    "sum_dim0": lambda lib: lib.sparse.sum(S(lib), dim=0),
    "sum_dim1": lambda lib: lib.sparse.sum(S(lib), dim=1),
    "sum_both": lambda lib: lib.sparse.sum(S(lib), dim=(0, 1)),
    "method_sum": lambda lib: S(lib).sum(),
    "method_sum_dim": lambda lib: S(lib).sum(0),
    "softmax_dim0": lambda lib: lib.sparse.softmax(S(lib), 0),
    "softmax_dim1": lambda lib: lib.sparse.softmax(S(lib), 1),
    "softmax_neg_dim": lambda lib: lib.sparse.softmax(S(lib), -1),
    "log_softmax": lambda lib: lib.sparse.log_softmax(S(lib), 1),
    "softmax_duplicates": lambda lib: lib.sparse.softmax(lib.sparse_coo_tensor(
        lib.tensor([[0, 0, 1], [1, 1, 0]]), lib.tensor([1., 2., 3.]), (2, 2)), 1),
    "scalar_mul": lambda lib: S(lib) * 2,
    "scalar_rmul": lambda lib: 2 * S(lib),
    "scalar_div": lambda lib: S(lib) / 2,
    "neg": lambda lib: -S(lib),
    "sparse_add": lambda lib: S(lib) + S(lib),
    "add_dense_refused": lambda lib: S(lib) + 1,
    "view_refused": lambda lib: S(lib).view(-1),
    "t": lambda lib: S(lib).t(),
    "csr_from_dense": lambda lib: lib.tensor([[0., 1], [2, 0]]).to_sparse_csr(),
    "csr_crow": lambda lib: S(lib).to_sparse_csr().crow_indices(),
    "csr_col": lambda lib: S(lib).to_sparse_csr().col_indices(),
    "csr_values": lambda lib: S(lib).to_sparse_csr().values(),
    "csr_constructor": lambda lib: lib.sparse_csr_tensor(lib.tensor([0, 1, 2]), lib.tensor([1, 0]), lib.tensor([1., 2.]), (2, 2)),
    "csr_matmul": lambda lib: lib.tensor([[0., 1], [2, 0]]).to_sparse_csr() @ lib.ones(2, 1),
    "csr_sparse_mm": lambda lib: lib.sparse.mm(S(lib).to_sparse_csr(), lib.ones(3, 2)),
    "csr_layout": lambda lib: (S(lib).to_sparse_csr().layout == lib.sparse_csr, S(lib).to_sparse_csr().is_sparse),
    "csr_to_coo": lambda lib: S(lib).to_sparse_csr().to_sparse(),
    "csr_softmax_refused": lambda lib: lib.sparse.softmax(S(lib).coalesce().to_sparse_csr(), 1),
    "to_sparse_layout_csr": lambda lib: lib.tensor([[0., 1], [2, 0]]).to_sparse(layout=lib.sparse_csr).values(),
    "double": lambda lib: S(lib).double(),
    "transpose": lambda lib: S(lib).transpose(0, 1),
    "transpose_neg": lambda lib: S(lib).transpose(-1, 0),
    "clone": lambda lib: S(lib).clone(),
    "abs": lambda lib: (-S(lib)).abs(),
    "reshape_refused": lambda lib: S(lib).reshape(-1),
    "grad_fn_name": lambda lib: type(lib.sparse_coo_tensor(lib.tensor(IDX), lib.tensor(VAL, requires_grad=True), (2, 3)).grad_fn).__name__,
    "values_not_changed": lambda lib: (lambda v: (lib.sparse_coo_tensor(lib.tensor(IDX), v, (2, 3), requires_grad=True), v.requires_grad)[1])(lib.tensor(VAL)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_sparse(case):
    t, j = outcome(CASES[case], torch), outcome(CASES[case], jtorch)
    assert t[0] == j[0], (t, j)
    same(j[1], t[1])


REPRS = {
    "coo": lambda lib: S(lib),
    "coalesced": lambda lib: S(lib).coalesce(),
    "from_dense": lambda lib: lib.ones(2, 2).to_sparse(),
    "requires_grad": lambda lib: S(lib, requires_grad=True),
    "csr": lambda lib: lib.tensor([[0., 1], [2, 0]]).to_sparse_csr(),
    "sum_dim": lambda lib: lib.sparse.sum(S(lib), dim=1),
    "empty": lambda lib: lib.sparse_coo_tensor(lib.zeros(2, 0, dtype=lib.long), lib.zeros(0), (2, 2)),
    "float64": lambda lib: lib.sparse_coo_tensor(lib.tensor(IDX), lib.tensor(VAL, dtype=lib.float64), (2, 3)),
    "int64": lambda lib: lib.sparse_coo_tensor(lib.tensor(IDX), lib.tensor([3, 4, 5]), (2, 3)),
    "int32": lambda lib: lib.sparse_coo_tensor(lib.tensor(IDX), lib.tensor([3, 4, 5], dtype=lib.int32), (2, 3)),
    "bool": lambda lib: lib.sparse_coo_tensor(lib.tensor(IDX), lib.tensor([True, False, True]), (2, 3)),
    "bfloat16": lambda lib: lib.sparse_coo_tensor(lib.tensor(IDX), lib.tensor(VAL, dtype=lib.bfloat16), (2, 3)),
    "complex": lambda lib: lib.sparse_coo_tensor(lib.tensor(IDX), lib.tensor([1 + 1j, 2, 3]), (2, 3)),
    "csr_float16_wraps": lambda lib: S(lib).to(lib.float16).to_sparse_csr(),
    "values_require_grad": lambda lib: lib.sparse_coo_tensor(lib.tensor(IDX), lib.tensor(VAL, requires_grad=True), (2, 3)),
    "hybrid": lambda lib: lib.ones(2, 3, 2).to_sparse(1),
    "long_values_wrap": lambda lib: lib.sparse_coo_tensor(lib.tensor([list(range(30))]), lib.arange(30.) / 7, (30,)),
}


@pytest.mark.parametrize("case", sorted(REPRS))
def test_repr(case):
    assert repr(REPRS[case](jtorch)) == repr(REPRS[case](torch))
    assert str(REPRS[case](jtorch)) == str(REPRS[case](torch))


def _grads(lib):
    W = lib.tensor([[1., 2.], [3., 4.], [5., 6.]], requires_grad=True)
    v = lib.tensor(VAL, requires_grad=True)
    a = lib.sparse_coo_tensor(lib.tensor(IDX), v, (2, 3))
    lib.sparse.mm(a, W).pow(2).sum().backward()
    leaf = S(lib, requires_grad=True)
    lib.sparse.mm(leaf, W.detach()).sum().backward()
    x = lib.tensor([[0., 1], [2, 3]], requires_grad=True)
    x.to_sparse().to_dense().mul(lib.tensor([[1., 2], [3, 4]])).sum().backward()
    y = lib.tensor([1., 2., 3.], requires_grad=True)
    sm = lib.sparse.softmax(lib.sparse_coo_tensor(lib.tensor(IDX), y, (2, 3)), 1)
    (sm.to_dense() * lib.tensor([[1., 2, 3], [4, 5, 6]])).sum().backward()
    z = lib.tensor(VAL, requires_grad=True)
    lib.sparse.sum(lib.sparse_coo_tensor(lib.tensor(IDX), z, (2, 3)) * 3).backward()
    return [W.grad, v.grad, leaf.grad.to_dense(), str(leaf.grad.layout), x.grad, y.grad, z.grad,
            a.requires_grad, a.is_leaf, leaf.is_leaf]


def test_gradients():
    t, j = _grads(torch), _grads(jtorch)
    for a, b in zip(j, t):
        if isinstance(b, torch.Tensor):
            np.testing.assert_allclose(np.asarray(a.tolist()), np.asarray(b.tolist()), rtol=1e-5)
        else:
            assert a == b


def _gcn(lib, compile_it=False):
    n = 6
    edges = lib.tensor([[0, 1, 2, 3, 4, 5, 1, 2], [1, 0, 3, 2, 5, 4, 2, 1]])
    adj = lib.sparse_coo_tensor(edges, lib.ones(8) * 0.5, (n, n))
    x = lib.arange(n * 3, dtype=lib.float32).reshape(n, 3) / 10
    y = lib.tensor([0, 1, 0, 1, 0, 1])
    W1 = lib.nn.Parameter(lib.linspace(-1, 1, 12).reshape(3, 4))
    W2 = lib.nn.Parameter(lib.linspace(1, -1, 8).reshape(4, 2))
    opt = lib.optim.SGD([W1, W2], lr=0.5)

    def step():
        opt.zero_grad()
        h = lib.relu(lib.spmm(adj, x @ W1))
        loss = lib.nn.functional.cross_entropy(lib.sparse.mm(adj, h @ W2), y)
        loss.backward()
        opt.step()
        return loss

    if compile_it:
        step = lib.compile(step, fullgraph=True)
    return [step().item() for _ in range(3)], W1.detach().tolist()


def test_graph_network_training():
    want = _gcn(torch)
    for compiled in (False, True):
        got = _gcn(jtorch, compiled)
        np.testing.assert_allclose(got[0], want[0], rtol=1e-5)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-5, atol=1e-6)
