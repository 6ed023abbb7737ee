"""Op values, dtypes and shapes on inputs PyTorch's OpInfo samples use: 0-dim inputs, bool
inputs, overloads. Expected values were checked against torch 2.13 (compat/test_op_values_compat.py
runs the same cases live)."""
import math

import numpy as np
import pytest

import jtorch


def close(t, expected, rtol=1e-6, atol=1e-7):
    np.testing.assert_allclose(np.asarray(t.detach().numpy()), np.asarray(expected), equal_nan=True,
                               rtol=rtol, atol=atol)


# ---- index_* on 0-dim inputs (a 0-dim input is a 1-element vector) -------------------------------

def test_index_ops_on_0dim_input():
    x, i = jtorch.tensor(5.0), jtorch.tensor([0])
    for r, v in [(jtorch.index_select(x, 0, i), 5.0),
                 (jtorch.index_add(x, 0, i, jtorch.tensor(2.0), alpha=3), 11.0),
                 (jtorch.index_copy(x, 0, i, jtorch.tensor(2.0)), 2.0),
                 (jtorch.index_fill(x, 0, i, -1.0), -1.0),
                 (jtorch.index_reduce(x, 0, i, jtorch.tensor(2.0), "prod"), 10.0),
                 (jtorch.index_reduce(x, 0, i, jtorch.tensor(2.0), "mean", include_self=False), 2.0)]:
        assert r.shape == () and r.dtype == jtorch.float32
        close(r, v)


def test_index_ops_0dim_index_and_grad():
    x = jtorch.zeros(3, 2, requires_grad=True)
    r = jtorch.index_add(x, 0, jtorch.tensor(1), jtorch.ones(1, 2))
    close(r, [[0, 0], [1, 1], [0, 0]])
    r.sum().backward()
    close(x.grad, np.ones((3, 2)))
    x = jtorch.tensor(3.0, requires_grad=True)
    jtorch.index_fill(x, 0, jtorch.tensor([0]), 1.0).backward()
    close(x.grad, 0.0)


def test_index_add_on_bool_is_logical_or():
    x = jtorch.tensor([True, False, False])
    r = jtorch.index_add(x, 0, jtorch.tensor([1, 1, 2]), jtorch.tensor([True, True, False]))
    assert r.dtype == jtorch.bool and r.tolist() == [True, True, False]
    r = jtorch.index_add(x, 0, jtorch.tensor([1]), jtorch.tensor([True]), alpha=0)
    assert r.tolist() == [True, False, False]


# ---- var/std(input, unbiased) overload --------------------------------------------------------

def test_var_std_positional_unbiased_bool():
    y = jtorch.arange(10.0).reshape(2, 5)
    assert y.var(True).shape == ()
    close(y.var(True), 55 / 6)
    close(y.var(False), 8.25)
    close(y.var(1), [2.5, 2.5])  # an int is still a dim (True == 1 must not share a trace)
    s, m = jtorch.std_mean(y, False)
    close(s, math.sqrt(8.25))
    close(m, 4.5)
    v, m = jtorch.var_mean(y, True)
    close(v, 55 / 6)
    close(jtorch.std(y, True), math.sqrt(55 / 6))


# ---- tensor_split with a Tensor ---------------------------------------------------------------

def test_tensor_split_with_tensor_indices_or_sections():
    x = jtorch.arange(6)
    assert [p.tolist() for p in jtorch.tensor_split(x, jtorch.tensor(2))] == [[0, 1, 2], [3, 4, 5]]
    assert [p.tolist() for p in x.tensor_split(jtorch.tensor([1, 4]))] == [[0], [1, 2, 3], [4, 5]]
    assert [p.tolist() for p in jtorch.tensor_split(x, [1, 4])] == [[0], [1, 2, 3], [4, 5]]
    with pytest.raises(RuntimeError, match="dtype of long"):
        jtorch.tensor_split(x, jtorch.tensor([1.0]))
    with pytest.raises(RuntimeError, match="one-dimensional"):
        jtorch.tensor_split(x, jtorch.tensor([[1]]))


# ---- bool inputs --------------------------------------------------------------------------

def test_sign_sgn_square_on_bool():
    b = jtorch.tensor([True, False])
    for r in (jtorch.sign(b), jtorch.sgn(b), b.sign()):
        assert r.dtype == jtorch.bool and r.tolist() == [True, False]
    r = jtorch.square(b)
    assert r.dtype == jtorch.int64 and r.tolist() == [1, 0]
    assert jtorch.square(jtorch.tensor([2], dtype=jtorch.int8)).dtype == jtorch.int8


def test_scatter_add_and_scatter_reduce_sum_on_bool_are_logical_or():
    x = jtorch.tensor([True, False, False, True])
    r = jtorch.scatter_add(x, 0, jtorch.tensor([1, 1, 2]), jtorch.tensor([True, False, False]))
    assert r.dtype == jtorch.bool and r.tolist() == [True, True, False, True]
    r = jtorch.scatter_reduce(x, 0, jtorch.tensor([1, 1, 2]), jtorch.tensor([True, False, False]), "sum")
    assert r.tolist() == [True, True, False, True]
    r = jtorch.scatter_reduce(x, 0, jtorch.tensor([0, 1, 2]), jtorch.tensor([False, True, False]), "sum",
                              include_self=False)
    assert r.tolist() == [False, True, False, True]


def test_scatter_add_on_0dim_input():
    r = jtorch.scatter_add(jtorch.tensor(1.0), 0, jtorch.tensor(0), jtorch.tensor(3.0))
    assert r.shape == ()
    close(r, 4.0)


# ---- unfold with an empty batch -----------------------------------------------------------

def test_unfold_empty_batch_and_values():
    F = jtorch.nn.functional
    assert F.unfold(jtorch.zeros(0, 1, 5, 5), (2, 1), padding=(0, 1)).shape == (0, 2, 28)
    x = jtorch.tensor([1.0, 2.0, 3.0, 4.0]).reshape(1, 1, 2, 2)
    close(F.unfold(x, (2, 1)), [[[1, 2], [3, 4]]])


# ---- digamma / polygamma ------------------------------------------------------------------

ZETA3 = 1.2020569031595942


def _psi_shift(n, x, base, base_value):
    """psi_n(x) from psi_n(base) (base - x a positive integer): psi_n(y) = psi_n(y+1) - (-1)^n n! / y^(n+1)."""
    v = base_value
    for y in np.arange(base - 1, x - 0.5, -1.0):
        v = v - (-1) ** n * math.factorial(n) / y ** (n + 1)
    return v


def test_digamma_poles_and_negative_inputs():
    x = jtorch.tensor([0.0, -0.0, -1.0, -0.5, 0.5], dtype=jtorch.float64)
    d = jtorch.digamma(x).tolist()
    assert d[0] == -math.inf and d[1] == math.inf and math.isnan(d[2])
    psi_half = -0.5772156649015329 - 2 * math.log(2)
    close(jtorch.tensor(d[3:]), [psi_half + 2, psi_half], rtol=1e-12)  # psi(x) = psi(x + 1) - 1/x


def test_trigamma_and_polygamma_for_negative_inputs_and_digamma_grad():
    half1 = math.pi ** 2 / 2  # psi_1(1/2)
    half2 = -14 * ZETA3  # psi_2(1/2)
    x = jtorch.tensor([-2.5, -9.5, 0.5], dtype=jtorch.float64, requires_grad=True)
    want1 = [_psi_shift(1, v, 0.5, half1) for v in (-2.5, -9.5)] + [half1]
    want2 = [_psi_shift(2, v, 0.5, half2) for v in (-2.5, -9.5)] + [half2]
    close(jtorch.polygamma(1, x), want1, rtol=1e-12)
    close(jtorch.polygamma(2, x), want2, rtol=1e-10)
    close(jtorch.special.polygamma(2, x.float()), want2, rtol=1e-5)
    jtorch.digamma(x).sum().backward()
    close(x.grad, want1, rtol=1e-12)
    x.grad = None
    jtorch.polygamma(1, x).sum().backward()
    close(x.grad, want2, rtol=1e-10)


def test_polygamma_at_poles_follows_torch():
    x = jtorch.tensor([0.0, -2.0, math.inf, -math.inf], dtype=jtorch.float64)
    p2, p3 = jtorch.polygamma(2, x).tolist(), jtorch.polygamma(3, x).tolist()
    assert p2[:2] == [-math.inf, -math.inf] and math.isnan(p2[2]) and p2[3] == -math.inf
    assert p3[:2] == [math.inf, math.inf] and math.isnan(p3[2]) and p3[3] == math.inf
    assert jtorch.polygamma(1, jtorch.tensor(0.0)).item() == math.inf
    # torch's reflection formula gives a huge finite number at negative integers
    assert 1e30 < jtorch.polygamma(1, jtorch.tensor(-1.0, dtype=jtorch.float64)).item() < math.inf


# ---- integer inputs of nn.functional ------------------------------------------------------

def test_nn_functional_integer_inputs_give_the_default_float():
    F = jtorch.nn.functional
    i = jtorch.tensor([[1, 2, 3], [4, 5, 6]])
    t = jtorch.tensor([1, -1])
    outs = {"softsign": F.softsign(i), "tanhshrink": F.tanhshrink(i),
            "lrn": F.local_response_norm(i.reshape(1, 2, 3), 2),
            "pairwise": F.pairwise_distance(i, i + 1),
            "cosine_embedding": F.cosine_embedding_loss(i, i * 2, t),
            "margin_ranking": F.margin_ranking_loss(i, i * 2, jtorch.ones_like(i)),
            "triplet": F.triplet_margin_loss(i, i + 1, i * 2)}
    for name, r in outs.items():
        assert r.dtype == jtorch.float32, name
    close(outs["softsign"][0], [1 / 2, 2 / 3, 3 / 4])
    close(outs["pairwise"], [math.sqrt(3) * (1 - 1e-6)] * 2, rtol=1e-5)
    close(outs["margin_ranking"], 3.5)
    assert F.local_response_norm(jtorch.zeros(0, 2, 3, dtype=jtorch.int64), 2).dtype == jtorch.int64
    b = jtorch.tensor([[True, False, True], [False, False, True]])
    assert F.cosine_embedding_loss(b, b, t).dtype == jtorch.float32


def test_avg_pool_keeps_integers_and_truncates():
    F = jtorch.nn.functional
    x = jtorch.tensor([[[1, 2, 4, 7, -3, -4]]])
    r = F.avg_pool1d(x, 2)
    assert r.dtype == jtorch.int64 and r.tolist() == [[[1, 5, -3]]]
    assert F.avg_pool1d(x, 3, padding=1, count_include_pad=False).tolist() == [[[1, 2]]]
    assert F.avg_pool1d(-x, 4, ceil_mode=True).tolist() == [[[-3, 3]]]
    assert F.avg_pool2d(x.reshape(1, 2, 3), (1, 2), divisor_override=3).tolist() == [[[1], [1]]]


# ---- linalg -----------------------------------------------------------------------------------

def test_lstsq_outputs_per_driver():
    A = jtorch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]], dtype=jtorch.float64)
    B = jtorch.tensor([[1.0], [2.0], [4.0]], dtype=jtorch.float64)
    shapes = {None: [(2, 1), (0,), (), (0,)], "gelsy": [(2, 1), (0,), (), (0,)],
              "gels": [(2, 1), (1,), (0,), (0,)], "gelsd": [(2, 1), (1,), (), (2,)],
              "gelss": [(2, 1), (1,), (), (2,)]}
    for driver, want in shapes.items():
        r = jtorch.linalg.lstsq(A, B, driver=driver)
        assert [tuple(t.shape) for t in r] == want, driver
    r = jtorch.linalg.lstsq(A, B, driver="gelsd")
    # normal equations: [[2, 1], [1, 5]] x = [5, 8] -> x = [17/9, 11/9]; residual |Ax - B|^2
    x = np.array([17 / 9, 11 / 9])
    close(r.solution[:, 0], x, rtol=1e-12)
    close(r.residuals, [np.sum((np.array([[1, 0], [0, 2], [1, 1]]) @ x - [1, 2, 4]) ** 2)], rtol=1e-12)
    assert r.rank.item() == 2
    close(r.singular_values, np.linalg.svd([[1, 0], [0, 2], [1, 1]], compute_uv=False), rtol=1e-12)
    # a square A has no residuals
    assert jtorch.linalg.lstsq(A[:2], B[:2], driver="gelsd").residuals.shape == (0,)


def test_linalg_vander_of_0dim_is_one_row():
    r = jtorch.linalg.vander(jtorch.tensor(2.0), N=3)
    assert r.shape == (1, 3)
    close(r, [[1, 2, 4]])


def test_pad_replicate_with_negative_pads_crops():
    F = jtorch.nn.functional
    x = jtorch.arange(1.0, 5.0).reshape(1, 1, 4)
    assert F.pad(x, (-1, 2), mode="replicate").tolist() == [[[2, 3, 4, 4, 4]]]
    assert F.pad(x, (2, -3), mode="replicate").tolist() == [[[1, 1, 1]]]
    y = jtorch.arange(6.0, requires_grad=True)
    F.pad(y.reshape(1, 2, 3), (-1, 1, 1, -1), mode="replicate").sum().backward()
    # rows: only row 0 survives (padded above by itself); columns: 1, 2, 2
    assert y.grad.tolist() == [0, 2, 4, 0, 0, 0]


def test_nextafter_values_and_identity_gradient():
    x = jtorch.tensor([1.0, 2.0], requires_grad=True)
    y = jtorch.tensor([3.0, 0.0], requires_grad=True)
    r = jtorch.nextafter(x, y)
    assert r.requires_grad and type(r.grad_fn).__name__ == "NextafterBackward0"
    assert r.tolist() == [1.0 + 2.0 ** -23, 2.0 - 2.0 ** -23]
    r.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0] and y.grad.tolist() == [0.0, 0.0]


def test_scatter_reduce_prod_gradient_with_repeated_indices_and_zeros():
    x = jtorch.tensor([2.0, 0.0, 3.0, 5.0], requires_grad=True)
    s = jtorch.tensor([4.0, 0.0, 0.0, 6.0, 7.0], requires_grad=True)
    i = jtorch.tensor([0, 1, 2, 2, 0])
    r = jtorch.scatter_reduce(x, 0, i, s, "prod")
    assert r.tolist() == [56.0, 0.0, 0.0, 5.0]
    r.sum().backward()  # d/da of a product is the product of the other factors
    assert x.grad.tolist() == [28.0, 0.0, 0.0, 1.0] and s.grad.tolist() == [14.0, 0.0, 18.0, 0.0, 8.0]
    x.grad = s.grad = None
    r = jtorch.scatter_reduce(x, 0, i, s, "prod", include_self=False)
    assert r.tolist() == [28.0, 0.0, 0.0, 5.0]
    r.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 1.0] and s.grad.tolist() == [7.0, 1.0, 6.0, 0.0, 4.0]


def test_max_unpool_gradient_reaches_repeated_indices():
    F = jtorch.nn.functional
    x = jtorch.tensor([[[1.0, 2.0, 3.0]]], requires_grad=True)
    r = F.max_unpool1d(x, jtorch.tensor([[[1, 1, 3]]]), 2)
    assert r.shape == (1, 1, 6) and r[0, 0, 3].item() == 3.0 and r[0, 0, 0].item() == 0.0
    (r * jtorch.arange(6.0)).sum().backward()
    assert x.grad.tolist() == [[[1.0, 1.0, 3.0]]]  # the output gradient gathered at each index


# ---- Bessel functions -------------------------------------------------------------------------

K0 = {0.5: 0.9244190712276659, 1: 0.42102443824070834, 2: 0.11389387274953344, 3: 0.03473950438627925,
      10: 1.778006231616765e-05}
K1 = {0.5: 1.656441120003301, 1: 0.6019072301972346, 2: 0.13986588181652243, 3: 0.040156431128194184,
      10: 1.8648773453825585e-05}


def test_modified_bessel_k0_k1_and_scaled():
    sp = jtorch.special
    xs = list(K0)
    x = jtorch.tensor(xs, dtype=jtorch.float64)
    close(sp.modified_bessel_k0(x), [K0[v] for v in xs], rtol=1e-12)
    close(sp.modified_bessel_k1(x), [K1[v] for v in xs], rtol=1e-12)
    close(sp.scaled_modified_bessel_k0(x), [K0[v] * math.exp(v) for v in xs], rtol=1e-12)
    close(sp.scaled_modified_bessel_k1(x), [K1[v] * math.exp(v) for v in xs], rtol=1e-12)
    e = sp.modified_bessel_k0(jtorch.tensor([0.0, -1.0, math.inf])).tolist()
    assert e[0] == math.inf and math.isnan(e[1]) and e[2] == 0.0
    r = sp.modified_bessel_k1(jtorch.tensor([1, 2]))
    assert r.dtype == jtorch.float32 and not sp.modified_bessel_k0(x.requires_grad_()).requires_grad


def test_bessel_j0_j1_at_zero():
    x = jtorch.tensor([0.0, 1.0])
    close(jtorch.special.bessel_j0(x), [1.0, 0.7651976865579666], rtol=1e-6)
    close(jtorch.special.bessel_j1(x), [0.0, 0.44005058574493355], rtol=1e-6)
    assert jtorch.special.bessel_j1(jtorch.tensor([True, False])).tolist()[1] == 0.0


Y0 = {0.5: -0.44451873350670656, 1: 0.08825696421567696, 3: 0.3768500100127904, 4.5: -0.19470500862950454,
      10: 0.055671167283599395, 30: -0.11729573168666403}
Y1 = {0.5: -1.471472392670243, 1: -0.7812128213002887, 3: 0.3246744247918, 4.5: 0.3009973230696546,
      10: 0.24901542420695388, 30: 0.08442557066174723}


def test_bessel_y0_y1():
    sp = jtorch.special
    xs = list(Y0)
    x = jtorch.tensor(xs, dtype=jtorch.float64)
    close(sp.bessel_y0(x), [Y0[v] for v in xs], rtol=1e-11, atol=1e-13)
    close(sp.bessel_y1(x), [Y1[v] for v in xs], rtol=1e-11, atol=1e-13)
    e = sp.bessel_y0(jtorch.tensor([0.0, -1.0, math.inf, math.nan])).tolist()
    assert e[0] == -math.inf and all(math.isnan(v) for v in e[1:])
    assert sp.bessel_y1(jtorch.tensor([2])).dtype == jtorch.float32


AI = {-20: -0.1764061270779847, -5.5: 0.017781541276574976, -1: 0.5355608832923521, 0: 0.3550280538878172,
      1: 0.13529241631288141, 3.5: 0.002584098786989635, 10: 1.1047532552898686e-10}


def test_airy_ai():
    xs = list(AI)
    r = jtorch.special.airy_ai(jtorch.tensor(xs, dtype=jtorch.float64))
    close(r, [AI[v] for v in xs], rtol=1e-9, atol=1e-12)
    e = jtorch.special.airy_ai(jtorch.tensor([math.inf, -math.inf, math.nan])).tolist()
    assert all(math.isnan(v) for v in e)
    assert jtorch.special.airy_ai(jtorch.tensor([1])).dtype == jtorch.float32


def test_linalg_eig_gradients_and_empty():
    A = jtorch.tensor([[2.0, 1.0], [0.5, -1.0]], dtype=jtorch.float64, requires_grad=True)
    w, v = jtorch.linalg.eig(A)
    w.real.sum().backward()  # sum of eigenvalues = trace
    close(A.grad, np.eye(2), atol=1e-12)
    A.grad = None
    w, v = jtorch.linalg.eig(A)
    (v.abs() ** 2).sum().backward()  # unit-norm eigenvectors: a constant, so no gradient
    close(A.grad, np.zeros((2, 2)), atol=1e-10)
    w, v = jtorch.linalg.eig(jtorch.zeros(3, 0, 0))
    assert w.shape == (3, 0) and v.shape == (3, 0, 0) and w.dtype == jtorch.complex64


def test_eigvalsh_gradient_is_symmetric_over_both_triangles():
    # eigenvalues of [[a, b], [b, c]] read from the lower triangle: the gradient of their sum is I,
    # and of lambda_max is v v^T spread over both triangles (torch's convention), not folded
    A = jtorch.tensor([[2.0, 7.0], [1.0, 2.0]], dtype=jtorch.float64, requires_grad=True)
    w = jtorch.linalg.eigvalsh(A)  # lower triangle: [[2, 1], [1, 2]] -> eigenvalues 1, 3
    close(w, [1.0, 3.0], rtol=1e-12)
    w[1].backward()
    close(A.grad, [[0.5, 0.5], [0.5, 0.5]], atol=1e-12)


def test_pinv_hermitian_gradient_is_the_general_formula_at_the_raw_input():
    A = jtorch.tensor([[2.0, 0.0], [0.0, 4.0]], dtype=jtorch.float64, requires_grad=True)
    P = jtorch.linalg.pinv(A, hermitian=True)
    close(P, [[0.5, 0], [0, 0.25]], atol=1e-12)
    P.sum().backward()  # invertible A: d(A^-1) = -A^-1 dA A^-1, so grad = -(A^-T 1 A^-T)
    close(A.grad, -np.array([[0.5, 0], [0, 0.25]]) @ np.ones((2, 2)) @ np.array([[0.5, 0], [0, 0.25]]),
          atol=1e-12)


def test_diff_order_zero_and_past_the_length():
    x = jtorch.tensor([1.0, 3.0, 6.0])
    assert jtorch.diff(x, 0, prepend=jtorch.tensor([0.0])).tolist() == [1.0, 3.0, 6.0]
    assert jtorch.diff(x, 2).tolist() == [1.0]
    assert jtorch.diff(x, 5).shape == (0,)
    b = jtorch.diff(jtorch.tensor([True, False, True]), 5)
    assert b.shape == (0,) and b.dtype == jtorch.bool
