"""Refusals torch 2.13 makes that depend on one argument's dtype (not the promoted one), on
a normalisation's parameters, or on shapes (issue 14 §1, silent values of the bad-input fuzzer):
per-argument kind rules (`_dtype_rules.ARG_RULES`), normalisation kernels (`NORMS`), lerp's
weight dtype, index_add/index_copy/index_fill/scatter/cross shape rules, the expansion of
addmm-style `self`, conv's groups, max_pool1d's and interpolate's dtypes, bincount/unique.
Exception types and texts probed on torch 2.13 with the same calls; each holds eagerly and
inside `jtorch.compile` (called twice: a compiled function's first call runs eagerly)."""
import pytest

import jtorch as torch
import jtorch.nn.functional as F

x = torch.rand(2, 3)
f32, i64, b = torch.float32, torch.int64, torch.bool


def _t(*shape, dtype=f32):
    return torch.ones(*shape, dtype=dtype)


def _i(*v):
    return torch.tensor(v, dtype=i64)


REFUSED = [
    # one argument's dtype decides
    (lambda: F.batch_norm(_t(2, 3, dtype=i64), _t(3), _t(3)), NotImplementedError,
     "\"batch_norm\" not implemented for 'Long'"),
    (lambda: F.batch_norm(x, _t(3, dtype=b), _t(3)), RuntimeError, "mixed dtype (CPU)"),
    (lambda: F.batch_norm(x, _t(3), _t(3), weight=_t(3, dtype=torch.float64)), RuntimeError,
     "mixed dtype (CPU): expect parameter to have scalar type of Float"),
    (lambda: F.batch_norm(x, _t(3, dtype=i64), _t(3), training=True), RuntimeError,
     "mixed dtype (CPU)"),
    (lambda: F.layer_norm(x, (3,), _t(3, dtype=torch.float64)), RuntimeError, "mixed dtype (CPU)"),
    (lambda: F.group_norm(_t(2, 4, 3), 2, _t(4, dtype=i64)), RuntimeError, "mixed dtype (CPU)"),
    (lambda: F.binary_cross_entropy_with_logits(x, _t(2, 3, dtype=i64)), RuntimeError,
     "result type Float can't be cast to the desired output type Long"),
    (lambda: F.binary_cross_entropy_with_logits(_t(2, 3, dtype=b), x), NotImplementedError,
     "\"log_sigmoid_cpu\" not implemented for 'Bool'"),
    (lambda: F.binary_cross_entropy_with_logits(x, _t(2, 3, dtype=b)), RuntimeError,
     "Subtraction, the `-` operator, with two bool tensors is not supported"),
    (lambda: F.kl_div(x, _t(2, 3, dtype=i64), reduction="batchmean"), RuntimeError,
     "kl_div: Integral inputs not supported."),
    (lambda: F.hinge_embedding_loss(_t(2, 3, dtype=i64), x), RuntimeError,
     "mean(): could not infer output dtype"),
    (lambda: torch.ldexp(x, _t(3, dtype=b)), NotImplementedError,
     "\"ldexp_cpu_exp\" not implemented for 'Bool'"),
    (lambda: torch.dist(x, _t(2, 3, dtype=b)), RuntimeError, "Subtraction, the `-` operator, with "
                                                             "a bool tensor is not supported"),
    (lambda: F.interpolate(_t(1, 2, 6, dtype=i64), scale_factor=2), NotImplementedError,
     "not implemented for 'Long'"),
    (lambda: F.interpolate(_t(1, 2, 6, dtype=torch.uint8), scale_factor=2, mode="linear"),
     NotImplementedError, "\"compute_indices_weights_linear\" not implemented for 'Byte'"),
    (lambda: F.max_pool1d(_t(1, 2, 6, dtype=i64), 2), NotImplementedError,
     "\"max_pool1d_impl\" not implemented for 'Long'"),
    (lambda: F.max_pool2d(_t(1, 2, 4, 4, dtype=b), 2), NotImplementedError,
     "\"max_pool2d\" not implemented for 'Bool'"),
    (lambda: torch.lerp(_t(3), _t(3), _t(3, dtype=torch.float64)), RuntimeError,
     "expected dtype float for `weight` but got dtype double"),
    (lambda: torch.lerp(_t(3, dtype=torch.float16), _t(3, dtype=torch.float16), _t(3)),
     RuntimeError, "expected dtype c10::Half for `weight` but got dtype float"),
    # shapes
    (lambda: torch.index_add(_t(3, 4), 0, torch.zeros(2, 1, dtype=i64), _t(2, 4)), IndexError,
     "index_add_(): Index is supposed to be a vector, but got dim: 2 with type: Long and size: "
     "[2, 1]"),
    (lambda: torch.index_add(_t(3, 4), 0, _i(), _t(2, 4)), RuntimeError,
     "index_add_(): Number of indices (0) should be equal to source.size(dim): (2), for dim: 0"),
    (lambda: torch.index_add(_t(3, 4), 0, _i(1), torch.tensor(1.0)), RuntimeError,
     "source tensor shape must match self tensor shape"),
    (lambda: torch.index_add(_t(3, 4), 0, _i(0, 1), torch.tensor(1.0)), IndexError,
     "Dimension specified as 0 but tensor has no dimensions"),
    (lambda: torch.index_add(_t(3, 4), 0, _i(3, 0), _t(2, 4)), RuntimeError,
     "index 3 is out of bounds for dimension 0 with size 3"),  # 1-D input: "out of range in self"
    (lambda: torch.index_copy(_t(3, 4), 0, torch.zeros(2, 1, dtype=i64), _t(2, 4)), IndexError,
     "index_copy_(): Index should have dimension 1 or 0 (got 2)"),
    (lambda: torch.index_copy(_t(3, 4), 0, _i(0, 1, 2), _t(2, 4)), IndexError,
     "index_copy_(): Number of indices (3) should be equal to source.size(dim) (2)"),
    (lambda: torch.index_copy(_t(3, 4), 0, _i(1), _t(4)), IndexError,
     "their dimensionality must match"),
    (lambda: torch.index_fill(_t(3, 4), 0, torch.zeros(2, 1, dtype=i64), 1.0), RuntimeError,
     "Index has to be a vector/scalar"),
    (lambda: torch.scatter(_t(3, 4), 1, torch.zeros(3, 2, dtype=i64), torch.tensor(1.0)),
     RuntimeError, "Index tensor must have the same number of dimensions as src tensor"),
    (lambda: torch.cross(_t(2, 3), _t(2, 2, 3), dim=1), RuntimeError,
     "linalg.cross: inputs must have the same number of dimensions."),
    (lambda: torch.addmm(_t(2, 3, 2), _t(3, 4), _t(4, 2)), RuntimeError,
     "expand(torch.FloatTensor{[2, 3, 2]}, size=[3, 2]): the number of sizes provided (2) must "
     "be greater or equal to the number of dimensions in the tensor (3)"),
    (lambda: torch.addmm(_t(3), _t(3, 4), _t(4, 2)), RuntimeError,
     "The expanded size of the tensor (2) must match the existing size (3) at non-singleton "
     "dimension 1"),
    (lambda: torch.addmv(_t(3, 1), _t(3, 4), _t(4)), RuntimeError,
     "vector + matrix @ vector expected, got 2, 2, 1"),
    (lambda: torch.addr(_t(1, 3, 2), _t(3), _t(2)), RuntimeError, "expand(torch.FloatTensor"),
    (lambda: torch.baddbmm(_t(1, 2, 3, 2), _t(2, 3, 4), _t(2, 4, 2)), RuntimeError,
     "expand(torch.FloatTensor"),
    (lambda: F.conv1d(_t(1, 2, 6), _t(0, 2, 3)), RuntimeError,
     "Given groups=1, expected weight to be at least 1 at dimension 0, but got weight of size "
     "[0, 2, 3] instead"),
    (lambda: F.conv2d(_t(1, 4, 5, 5), _t(3, 2, 3, 3), groups=2), RuntimeError,
     "expected weight to be divisible by 2 at dimension 0"),
    (lambda: F.conv2d(_t(1, 2, 5, 5), _t(3, 2, 3, 3), groups=True), TypeError,
     "conv2d(): argument 'groups' (position 7) must be int, not bool"),
    (lambda: F.conv2d(_t(1, 2, 5, 5), _t(3, 2, 3, 3), groups=0), RuntimeError,
     "non-positive groups is not supported"),
]

# data-dependent ops run eagerly only (a compiled function falls back to eager on them)
REFUSED_EAGER = [
    (lambda: torch.bincount(_t(5, dtype=b)), NotImplementedError,
     "\"bincount_cpu\" not implemented for 'Bool'"),
    (lambda: torch.bincount(_t(5)), NotImplementedError, "not implemented for 'Float'"),
    (lambda: torch.unique(_t(3, 4, dtype=torch.complex64), dim=0), NotImplementedError,
     "\"unique_dim\" not implemented for 'ComplexFloat'"),
    (lambda: torch.unique(_t(3, dtype=torch.complex64)), NotImplementedError,
     "\"unique\" not implemented for 'ComplexFloat'"),
]


def _text(s):
    return "".join("\\" + c if c in "()[]{}.*+?|^$" else c for c in s)


@pytest.mark.parametrize("i", range(len(REFUSED)))
def test_refused_eager(i):
    fn, exc, text = REFUSED[i]
    with pytest.raises(exc, match=_text(text)):
        fn()


# one case per mechanism compiled (each compile costs ~0.5 s): an ARG_RULES rule, a NORMS rule,
# lerp's weight rule (Op.check on tracers), a body's shape check, expand_to, a Python-level check
@pytest.mark.parametrize("i", [0, 6, 17, 19, 30, 35])
def test_refused_compiled(i):
    fn, exc, text = REFUSED[i]
    compiled = torch.compile(lambda: fn())
    for _ in range(2):
        with pytest.raises(exc, match=_text(text)):
            compiled()


@pytest.mark.parametrize("i", range(len(REFUSED_EAGER)))
def test_refused_data_dependent(i):
    fn, exc, text = REFUSED_EAGER[i]
    with pytest.raises(exc, match=_text(text)):
        fn()


def test_accepted_as_torch_does():
    # a 0-dim weight of another dtype is read as a scalar: the result keeps the input's dtype
    w = torch.tensor(0.5, dtype=torch.float64)
    lerp = torch.compile(lambda a, c, w: torch.lerp(a, c, w))
    for run in (torch.lerp, lerp, lerp):
        y = run(_t(3), _t(3) * 3, w)
        assert y.dtype == f32 and y.tolist() == [2.0, 2.0, 2.0]
    assert torch.lerp(_t(3), _t(3) * 3, torch.tensor(1)).tolist() == [3.0, 3.0, 3.0]
    # float16/bfloat16 inputs take float32 parameters; uint8 interpolates with nearest
    h = _t(2, 3, dtype=torch.float16)
    assert F.batch_norm(h, _t(3), _t(3)).dtype == torch.float16
    assert F.layer_norm(h, (3,), _t(3, dtype=torch.float16)).dtype == torch.float16
    assert F.interpolate(_t(1, 2, 6, dtype=torch.uint8), scale_factor=2).dtype == torch.uint8
    assert F.interpolate(_t(1, 2, 4, 4, dtype=torch.uint8), scale_factor=2,
                         mode="bilinear").dtype == torch.uint8
    assert F.max_pool1d(_t(1, 2, 6, dtype=i64), 2, return_indices=True)[0].dtype == i64
    assert F.max_pool2d(_t(1, 2, 4, 4, dtype=i64), 2).dtype == i64
    # a complex target of hinge_embedding_loss, an integer input of ldexp, a uint8 dist operand
    assert F.hinge_embedding_loss(x, _t(2, 3, dtype=torch.complex64)).dtype == f32
    assert torch.ldexp(_t(3, dtype=i64), _i(1, 2, 3)).tolist() == [2.0, 4.0, 8.0]
    assert torch.dist(x, _t(2, 3, dtype=torch.uint8)).dtype == f32
    # shapes torch accepts: a 0-dim index, 0-dim inputs, a broadcastable self
    assert torch.index_copy(_t(3, 4), 0, torch.tensor(1), _t(1, 4) * 2)[1].tolist() == [2.0] * 4
    assert torch.index_add(torch.tensor(1.0), 0, _i(0), torch.tensor(2.0)).item() == 3.0
    assert torch.index_fill(_t(3, 4), 0, _i(), 5.0).sum().item() == 12.0
    assert torch.scatter(_t(3, 4), 1, torch.zeros(3, 2, dtype=i64), 2.0)[:, 0].tolist() == [2.0] * 3
    assert torch.addmm(_t(3, 1), _t(3, 4), _t(4, 2)).shape == (3, 2)
    assert torch.addmm(torch.tensor(1.0), _t(3, 4), _t(4, 2)).shape == (3, 2)
    assert torch.addmv(_t(1), _t(3, 4), _t(4)).shape == (3,)
    assert F.conv2d(_t(1, 4, 5, 5), _t(4, 2, 3, 3), groups=2).shape == (1, 4, 3, 3)
    assert torch.bincount(_i(0, 1, 1)).tolist() == [1, 2]


def _nan_matrix(m, n, i=1, j=0, v=float("nan")):
    a = torch.ones(m, n)
    a[i, j] = v
    return a


def test_lapack_nan_is_linalg_error():
    # torch's LAPACK reports no convergence on a NaN (JAX returns NaN): checked eagerly
    a, r = _nan_matrix(3, 3), _nan_matrix(3, 4)
    svd_text = "linalg.svd: The algorithm failed to converge because the input matrix contained"
    for fn in (lambda: torch.linalg.svd(r), lambda: torch.linalg.svdvals(r), lambda: torch.svd(r),
               lambda: torch.linalg.pinv(r), lambda: torch.linalg.matrix_rank(r),
               lambda: torch.linalg.cond(a), lambda: torch.linalg.matrix_norm(r, 2),
               lambda: torch.linalg.norm(r, "nuc")):
        with pytest.raises(torch.linalg.LinAlgError, match=svd_text):
            fn()
    for fn in (lambda: torch.linalg.eigh(a), lambda: torch.linalg.eigvalsh(a),
               lambda: torch.linalg.pinv(a, hermitian=True)):
        with pytest.raises(torch.linalg.LinAlgError, match="linalg.eigh: The algorithm failed"):
            fn()
    assert issubclass(torch.linalg.LinAlgError, RuntimeError)
    with pytest.raises(RuntimeError, match="torch.linalg.eig: input tensor should not contain "
                                           "infs or NaNs"):
        torch.linalg.eig(_nan_matrix(3, 3, v=float("inf")))
    # eigh reads one triangle (UPLO): a NaN in the other is not seen, as in torch
    assert torch.linalg.eigh(_nan_matrix(3, 3, 0, 1)).eigenvalues.isfinite().all()
    assert torch.linalg.matrix_norm(r).isnan()  # the Frobenius norm needs no SVD


def test_svd_of_an_infinity_returns():
    # XLA's SVD never returned on a non-square matrix holding an infinity (a hang); LAPACK, and
    # jtorch now, give NaN singular values
    r = _nan_matrix(3, 4, 0, 1, float("inf"))
    svd = torch.compile(lambda t: torch.linalg.svd(t).S)
    for run in (lambda t: torch.linalg.svd(t).S, svd, svd):
        assert run(r).isnan().all()
    assert torch.linalg.pinv(r).isnan().all()
