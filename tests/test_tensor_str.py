"""jtorch._tensor_str without torch. Every expected string was printed by torch 2.13."""
import ml_dtypes
import numpy as np
import pytest

from jtorch._tensor_str import get_printoptions, printoptions, set_printoptions, tensor_repr

nan, inf = float("nan"), float("inf")
f32, f64 = np.float32, np.float64


@pytest.fixture(autouse=True)
def reset_options():
    yield
    set_printoptions(profile="default")


CASES = [
    # (values, dtype_name, keyword arguments, torch's repr)
    (np.array([1.5, nan], f32), "float32", {}, "tensor([1.5000,    nan])"),
    (np.array([nan, 1.0], f32), "float32", {}, "tensor([nan, 1.])"),
    (np.array([-0.0, 1.5], f32), "float32", {}, "tensor([-0.0000, 1.5000])"),
    (np.array([0.0, -0.0], f32), "float32", {}, "tensor([0., -0.])"),
    (np.array(3.0, f32), "float32", {}, "tensor(3.)"),
    (np.array(-7), "int64", {}, "tensor(-7)"),
    (np.array([inf, -2.0, 10.0], f32), "float32", {}, "tensor([inf, -2., 10.])"),
    (np.array([[1, -20, 3], [400, 5, 6]]), "int64", {}, "tensor([[  1, -20,   3],\n        [400,   5,   6]])"),
    (np.array([-128, 0, 127], np.int8), "int8", {}, "tensor([-128,    0,  127], dtype=torch.int8)"),
    (np.array([[True, False], [False, True]]), "bool", {}, "tensor([[ True, False],\n        [False,  True]])"),
    (np.array([0.1, 2.5], f64), "float64", {}, "tensor([0.1000, 2.5000], dtype=torch.float64)"),
    (np.array([1.0, 2.0, 65504.0], np.float16), "float16", {},
     "tensor([1.0000e+00, 2.0000e+00, 6.5504e+04], dtype=torch.float16)"),
    (np.array([1.5, 2.0], ml_dtypes.bfloat16), "bfloat16", {"requires_grad": True},
     "tensor([1.5000, 2.0000], dtype=torch.bfloat16, requires_grad=True)"),
    (np.array([1.0, 1e10], f32), "float32", {}, "tensor([1.0000e+00, 1.0000e+10])"),
    (np.array([1e-5, 0.5], f32), "float32", {}, "tensor([1.0000e-05, 5.0000e-01])"),
    # float32(1e-4) is just below 1e-4, which is enough to switch to scientific.
    (np.array([1e-4, 0.5], f32), "float32", {}, "tensor([1.0000e-04, 5.0000e-01])"),
    (np.array([1.0, 1000.0], f32), "float32", {}, "tensor([   1., 1000.])"),
    (np.array([1.0, 1001.0], f32), "float32", {}, "tensor([1.0000e+00, 1.0010e+03])"),
    (np.array([1 + 2j, -0.5 - 1e-5j], np.complex64), "complex64", {},
     "tensor([ 1.0000+2.0000e+00j, -0.5000-1.0000e-05j])"),
    (np.array(1.5 - 0j, np.complex64), "complex64", {}, "tensor(1.5000+0.j)"),
    (np.array([0j, 1j]), "complex128", {}, "tensor([0.+0.j, 0.+1.j], dtype=torch.complex128)"),
    (np.zeros(0, f32), "float32", {}, "tensor([])"),
    (np.zeros((0, 3), f32), "float32", {}, "tensor([], size=(0, 3))"),
    (np.zeros((0, 3), np.int64), "int64", {}, "tensor([], size=(0, 3), dtype=torch.int64)"),
    (np.zeros(0, bool), "bool", {}, "tensor([], dtype=torch.bool)"),
    (np.zeros(0, np.complex64), "complex64", {}, "tensor([], dtype=torch.complex64)"),
    (np.arange(30, dtype=f32) * 1.5, "float32", {},
     "tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n"
     "        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n"
     "        24.0000, 25.5000, 27.0000, 28.5000, 30.0000, 31.5000, 33.0000, 34.5000,\n"
     "        36.0000, 37.5000, 39.0000, 40.5000, 42.0000, 43.5000])"),
    (np.arange(24).reshape(2, 3, 4), "int64", {},
     "tensor([[[ 0,  1,  2,  3],\n         [ 4,  5,  6,  7],\n         [ 8,  9, 10, 11]],\n\n"
     "        [[12, 13, 14, 15],\n         [16, 17, 18, 19],\n         [20, 21, 22, 23]]])"),
    (np.arange(2000, dtype=f32), "float32", {},
     "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])"),
    (np.arange(2000).reshape(20, 100), "int64", {},
     "tensor([[   0,    1,    2,  ...,   97,   98,   99],\n"
     "        [ 100,  101,  102,  ...,  197,  198,  199],\n"
     "        [ 200,  201,  202,  ...,  297,  298,  299],\n"
     "        ...,\n"
     "        [1700, 1701, 1702,  ..., 1797, 1798, 1799],\n"
     "        [1800, 1801, 1802,  ..., 1897, 1898, 1899],\n"
     "        [1900, 1901, 1902,  ..., 1997, 1998, 1999]])"),
    (np.array([3.0, 4.0]), "float64", {"grad_fn_name": "MulBackward0"},
     "tensor([3., 4.], dtype=torch.float64, grad_fn=<MulBackward0>)"),
    (np.array([[0.25, -1.5, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6.5]]), "float64", {"requires_grad": True},
     "tensor([[ 0.2500, -1.5000,  3.0000,  4.0000,  5.0000,  6.0000],\n"
     "        [ 1.0000,  2.0000,  3.0000,  4.0000,  5.0000,  6.5000]],\n"
     "       dtype=torch.float64, requires_grad=True)"),
    # torch shows a cuda device after the data; these come from a Tensor subclass faking cuda:0.
    (np.array([[1.0, 2.0], [3.0, 4.0]]), "float64", {"device": "cuda:0", "prefix": "FakeCuda("},
     "FakeCuda([[1., 2.],\n          [3., 4.]], device='cuda:0', dtype=torch.float64)"),
    (np.zeros((0, 3), np.int32), "int32", {"device": "cuda:0", "prefix": "FakeCuda("},
     "FakeCuda([], device='cuda:0', size=(0, 3), dtype=torch.int32)"),
    (np.array([[0.5, 1.0], [2.0, 3.0]], f32), "float32",
     {"requires_grad": True, "prefix": "Parameter containing:\ntensor("},
     "Parameter containing:\ntensor([[0.5000, 1.0000],\n        [2.0000, 3.0000]], requires_grad=True)"),
]


@pytest.mark.parametrize("values, dtype_name, kwargs, expected", CASES, ids=[c[3][:40] for c in CASES])
def test_tensor_repr(values, dtype_name, kwargs, expected):
    assert tensor_repr(values, dtype_name, **kwargs) == expected


@pytest.mark.parametrize("values, dtype_name, expected", [
    (np.array([1.5]), "float64", "tensor([1.5000])"),
    (np.array([1.5], f32), "float32", "tensor([1.5000], dtype=torch.float32)"),
    (np.array([1j]), "complex128", "tensor([0.+1.j])"),
    (np.array([1j], np.complex64), "complex64", "tensor([0.+1.j], dtype=torch.complex64)"),
    (np.zeros(0), "float64", "tensor([])"),
    (np.zeros(0, f32), "float32", "tensor([], dtype=torch.float32)"),
])
def test_default_dtype_float64(values, dtype_name, expected):
    assert tensor_repr(values, dtype_name, default_float="float64") == expected


X = np.array([1.23456, -20.5, 0.001], f32)
Y = np.arange(12, dtype=f32).reshape(3, 4) + 0.5
Z = np.arange(10, dtype=f32)


@pytest.mark.parametrize("opts, expected", [
    (dict(precision=2), [
        "tensor([ 1.23e+00, -2.05e+01,  1.00e-03])",
        "tensor([[ 0.50,  1.50,  2.50,  3.50],\n        [ 4.50,  5.50,  6.50,  7.50],\n"
        "        [ 8.50,  9.50, 10.50, 11.50]])",
        "tensor([0., 1., 2., 3., 4., 5., 6., 7., 8., 9.])"]),
    (dict(sci_mode=True), [
        "tensor([ 1.2346e+00, -2.0500e+01,  1.0000e-03])",
        "tensor([[5.0000e-01, 1.5000e+00, 2.5000e+00, 3.5000e+00],\n"
        "        [4.5000e+00, 5.5000e+00, 6.5000e+00, 7.5000e+00],\n"
        "        [8.5000e+00, 9.5000e+00, 1.0500e+01, 1.1500e+01]])",
        "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00, 3.0000e+00, 4.0000e+00, 5.0000e+00,\n"
        "        6.0000e+00, 7.0000e+00, 8.0000e+00, 9.0000e+00])"]),
    (dict(sci_mode=False), [
        "tensor([  1.2346, -20.5000,   0.0010])",
        "tensor([[ 0.5000,  1.5000,  2.5000,  3.5000],\n        [ 4.5000,  5.5000,  6.5000,  7.5000],\n"
        "        [ 8.5000,  9.5000, 10.5000, 11.5000]])",
        "tensor([0., 1., 2., 3., 4., 5., 6., 7., 8., 9.])"]),
    (dict(threshold=5), [
        "tensor([ 1.2346e+00, -2.0500e+01,  1.0000e-03])",
        "tensor([[ 0.5000,  1.5000,  2.5000,  3.5000],\n        [ 4.5000,  5.5000,  6.5000,  7.5000],\n"
        "        [ 8.5000,  9.5000, 10.5000, 11.5000]])",
        "tensor([0., 1., 2.,  ..., 7., 8., 9.])"]),
    (dict(edgeitems=1, threshold=5), [
        "tensor([ 1.2346e+00, -2.0500e+01,  1.0000e-03])",
        "tensor([[ 0.5000,  ...,  3.5000],\n        ...,\n        [ 8.5000,  ..., 11.5000]])",
        "tensor([0.,  ..., 9.])"]),
    (dict(edgeitems=0), [
        "tensor([ 1.2346e+00, -2.0500e+01,  1.0000e-03], size=(3,))",
        "tensor([[ 0.5000,  1.5000,  2.5000,  3.5000],\n        [ 4.5000,  5.5000,  6.5000,  7.5000],\n"
        "        [ 8.5000,  9.5000, 10.5000, 11.5000]], size=(3, 4))",
        "tensor([0., 1., 2., 3., 4., 5., 6., 7., 8., 9.], size=(10,))"]),
    (dict(linewidth=20), [
        "tensor([ 1.2346e+00,\n        -2.0500e+01,\n         1.0000e-03])",
        "tensor([[ 0.5000,\n          1.5000,\n          2.5000,\n          3.5000],\n"
        "        [ 4.5000,\n          5.5000,\n          6.5000,\n          7.5000],\n"
        "        [ 8.5000,\n          9.5000,\n         10.5000,\n         11.5000]])",
        "tensor([0., 1., 2.,\n        3., 4., 5.,\n        6., 7., 8.,\n        9.])"]),
    (dict(profile="short"), [
        "tensor([ 1.23e+00, -2.05e+01,  1.00e-03])",
        "tensor([[ 0.50,  1.50,  2.50,  3.50],\n        [ 4.50,  5.50,  6.50,  7.50],\n"
        "        [ 8.50,  9.50, 10.50, 11.50]])",
        "tensor([0., 1., 2., 3., 4., 5., 6., 7., 8., 9.])"]),
], ids=str)
def test_printoptions_text(opts, expected):
    set_printoptions(**opts)
    assert [tensor_repr(X, "float32"), tensor_repr(Y, "float32"), tensor_repr(Z, "float32")] == expected


def test_sci_mode_false_on_huge_values():
    set_printoptions(sci_mode=False)
    assert tensor_repr(np.array([1.0, 1e10], f32), "float32") == "tensor([          1., 10000000000.])"
    assert tensor_repr(np.array([1.5, 1e10], f32), "float32") == "tensor([          1.5000, 10000000000.0000])"


def test_summarized_3d():
    set_printoptions(threshold=10, edgeitems=1)
    assert tensor_repr(np.arange(60).reshape(5, 3, 4), "int64") == (
        "tensor([[[ 0,  ...,  3],\n         ...,\n         [ 8,  ..., 11]],\n\n        ...,\n\n"
        "        [[48,  ..., 51],\n         ...,\n         [56,  ..., 59]]])")
    set_printoptions(profile="default", edgeitems=0, threshold=10)
    assert tensor_repr(np.arange(60).reshape(5, 3, 4), "int64") == "tensor([...], size=(5, 3, 4))"


def test_profile_full_never_summarizes():
    set_printoptions(profile="full")
    assert "..." not in tensor_repr(np.arange(5000), "int64")


def test_options_state():
    defaults = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}
    assert get_printoptions() == defaults
    set_printoptions(profile="short")
    assert get_printoptions() == dict(defaults, precision=2, edgeitems=2)
    set_printoptions(profile="full", precision=2)
    assert get_printoptions() == dict(defaults, precision=2, threshold=inf)
    set_printoptions(profile="default", sci_mode=True)
    set_printoptions(precision=3)  # as in torch, omitting sci_mode resets it
    assert get_printoptions() == dict(defaults, precision=3)
    set_printoptions(profile="bogus")  # ignored, as in torch
    assert get_printoptions() == dict(defaults, precision=3)


def test_printoptions_context_restores():
    with printoptions(precision=2, sci_mode=True):
        assert get_printoptions()["precision"] == 2
    assert get_printoptions() == {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80,
                                  "sci_mode": None}
