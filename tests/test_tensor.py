"""Tensor: properties, conversions, Python operators, indexing, repr, devices.
Expected values and texts were checked against torch 2.13."""
import operator

import numpy as np
import pytest

import jtorch
from jtorch import Size, Tensor


def arr(t):
    return np.asarray(t.detach())


# ---- properties -------------------------------------------------------------------------------

def test_shape_size_dim_numel():
    x = jtorch.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and isinstance(x.shape, Size)
    assert x.size() == Size([2, 3, 4]) and x.size(1) == 3 and x.size(-1) == 4
    assert x.dim() == 3 and x.ndim == 3 and x.numel() == 24
    assert repr(x.shape) == "torch.Size([2, 3, 4])"
    assert x.shape[1:] == Size([3, 4]) and isinstance(x.shape[1:], Size)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.size(3)
    s = jtorch.tensor(1.0)
    assert s.shape == () and s.dim() == 0 and s.numel() == 1


def test_dtype_device_requires_grad_defaults():
    x = jtorch.ones(2)
    assert x.dtype is jtorch.float32 and str(x.dtype) == "torch.float32"
    assert x.device == jtorch.device("cpu") and str(x.device) == "cpu"
    assert x.is_cpu
    assert not x.requires_grad and x.grad is None and x.grad_fn is None and x.is_leaf
    assert jtorch.tensor([1, 2]).dtype is jtorch.int64


def test_requires_grad_setter_and_method():
    x = jtorch.ones(2)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad = False
    assert not x.requires_grad
    x.requires_grad_(True)
    y = x * 2
    assert y.requires_grad and not y.is_leaf


def test_item_tolist_numpy_array():
    x = jtorch.tensor([[1.5, 2.0], [3.0, 4.0]])
    assert x[0, 0].item() == 1.5 and isinstance(x[0, 0].item(), float)
    assert jtorch.tensor(3).item() == 3 and isinstance(jtorch.tensor(3).item(), int)
    assert jtorch.tensor(True).item() is True
    assert x.tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert jtorch.tensor(2.5).tolist() == 2.5
    n = x.numpy()
    assert isinstance(n, np.ndarray) and n.dtype == np.float32 and n.tolist() == x.tolist()
    assert np.asarray(jtorch.tensor([1, 2])).dtype == np.int64
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        x.item()
    with pytest.raises(RuntimeError, match="requires grad"):
        jtorch.ones(2, requires_grad=True).numpy()


def test_python_number_conversions():
    assert int(jtorch.tensor(3.7)) == 3
    assert float(jtorch.tensor(2)) == 2.0
    assert bool(jtorch.tensor(0.0)) is False and bool(jtorch.tensor([1])) is True
    assert operator.index(jtorch.tensor(4)) == 4
    assert [10, 20, 30][jtorch.tensor(2)] == 30
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        operator.index(jtorch.tensor(1.5))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(jtorch.tensor([1, 2]))
    assert f"{jtorch.tensor(1.25):.1f}" == "1.2"


def test_len_and_iter():
    x = jtorch.tensor([[1, 2], [3, 4]])
    assert len(x) == 2
    rows = list(x)
    assert len(rows) == 2 and all(isinstance(r, Tensor) for r in rows)
    assert [r.tolist() for r in rows] == [[1, 2], [3, 4]]
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(jtorch.tensor(1.0))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(jtorch.tensor(1.0))


def test_clone_detach_are_copies_and_aliases():
    x = jtorch.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.requires_grad and c.grad_fn is not None
    d = x.detach()
    assert not d.requires_grad
    with jtorch.no_grad():
        x.add_(1)
    assert d.tolist() == [2.0, 3.0]  # detach shares storage
    assert c.tolist() == [1.0, 2.0]  # clone does not


@pytest.mark.parametrize("method, dtype", [
    ("float", "float32"), ("double", "float64"), ("half", "float16"), ("bfloat16", "bfloat16"),
    ("long", "int64"), ("int", "int32"), ("bool", "bool")])
def test_dtype_conversion_methods(method, dtype):
    x = jtorch.tensor([0.0, 1.5, -2.7])
    y = getattr(x, method)()
    assert y.dtype is getattr(jtorch, dtype)
    expected = {"int64": [0, 1, -2], "int32": [0, 1, -2], "bool": [False, True, True]}
    if dtype in expected:
        assert y.tolist() == expected[dtype]
    else:
        np.testing.assert_allclose(arr(y.float()), [0.0, 1.5, -2.7], rtol=1e-2 if "16" in dtype else 1e-7)


def test_to_type_as_cpu_contiguous():
    x = jtorch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.to("cpu") is x and x.cpu() is x and x.to(jtorch.float32) is x
    assert x.contiguous() is x
    assert x.to(jtorch.float64).dtype is jtorch.float64
    assert x.to(dtype=jtorch.int32).tolist() == [[1, 2], [3, 4]]
    assert x.to(jtorch.ones(1, dtype=jtorch.int16)).dtype is jtorch.int16
    assert x.to(jtorch.float32, copy=True) is not x
    assert x.type_as(jtorch.ones(1, dtype=jtorch.int32)).dtype is jtorch.int32
    assert x.to(jtorch.device("cpu")).device.type == "cpu"


def test_is_contiguous_and_strides():
    x = jtorch.zeros(2, 3)
    assert x.stride() == (3, 1) and x.is_contiguous()
    t = x.t()
    assert t.stride() == (1, 3) and not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and c.stride() == (2, 1) and c.tolist() == t.tolist()


def test_to_preserves_grad_path():
    x = jtorch.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(jtorch.float64) * 3
    y.sum().backward()
    assert x.grad.dtype is jtorch.float32 and x.grad.tolist() == [3.0, 3.0]


# ---- operators -----------------------------------------------------------------------------------

A = np.array([[1.0, -2.0], [3.5, 4.0]], np.float32)
B = np.array([[0.5, 2.0], [-1.0, 3.0]], np.float32)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "truediv", "pow", "matmul", "lt", "le",
                                  "eq", "ne", "gt", "ge", "mod", "floordiv"])
def test_binary_operators_match_numpy(name):
    f = getattr(operator, name)
    a, b = (np.abs(A) + 0.5, B) if name == "pow" else (A, B)
    got = f(jtorch.tensor(a), jtorch.tensor(b))
    np.testing.assert_allclose(arr(got), f(a, b), rtol=1e-6)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "truediv", "pow", "mod", "floordiv"])
def test_reflected_operators(name):
    f = getattr(operator, name)
    a = np.abs(A) + 0.5
    got = f(2.5, jtorch.tensor(a))
    assert got.dtype is jtorch.float32
    np.testing.assert_allclose(arr(got), f(np.float32(2.5), a), rtol=1e-6)


def test_integer_operators_follow_python_semantics():
    a = jtorch.tensor([5, -5, 7])
    assert (a // 2).tolist() == [2, -3, 3]
    assert (a % 3).tolist() == [2, 1, 1]
    assert (7 // jtorch.tensor([2, -3])).tolist() == [3, -3]
    assert (2 ** jtorch.tensor([1, 2])).tolist() == [2, 4]
    assert (a / 2).dtype is jtorch.float32 and (a / 2).tolist() == [2.5, -2.5, 3.5]


def test_bitwise_operators():
    a = jtorch.tensor([6, 5])
    assert (a & 3).tolist() == [2, 1] and (a | 1).tolist() == [7, 5] and (a ^ 2).tolist() == [4, 7]
    assert (a << 1).tolist() == [12, 10] and (a >> 1).tolist() == [3, 2]
    assert (~jtorch.tensor([True, False])).tolist() == [False, True]
    assert (~a).tolist() == [-7, -6]
    assert (3 & a).tolist() == [2, 1]


def test_unary_operators():
    x = jtorch.tensor([1.0, -2.0])
    assert (-x).tolist() == [-1.0, 2.0] and (+x).tolist() == [1.0, -2.0]
    assert abs(x).tolist() == [1.0, 2.0]


def test_comparisons_give_bool():
    x = jtorch.tensor([1.0, 2.0])
    for r in (x == jtorch.tensor([1.0, 3.0]), x < 2, 2 > x, x != 1, x >= 2, x <= 1):
        assert r.dtype is jtorch.bool
    assert (x == jtorch.tensor([1.0, 3.0])).tolist() == [True, False]
    assert (2 > x).tolist() == [True, False]


def test_inplace_operators_keep_identity_dtype_and_bump_version():
    x = jtorch.tensor([1.0, 2.0])
    y = x
    v = x._version
    x += 1
    x *= 2
    x -= 1
    x /= 2
    assert y is x and x.tolist() == [1.5, 2.5] and x._version == v + 4
    i = jtorch.tensor([1, 2])
    i += 2
    assert i.dtype is jtorch.int64 and i.tolist() == [3, 4]
    with pytest.raises(RuntimeError, match="can't be cast"):
        i += 1.5
    with pytest.raises(RuntimeError, match="can't be cast"):
        i /= 2
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        x += jtorch.ones(3, 2)


def test_matmul_shapes():
    a, b = jtorch.ones(2, 3), jtorch.ones(3, 4)
    assert (a @ b).shape == (2, 4) and ((a @ b) == 3).all()
    assert (jtorch.ones(5, 2, 3) @ b).shape == (5, 2, 4)
    assert (jtorch.ones(3) @ jtorch.ones(3)).shape == ()


# ---- indexing ----------------------------------------------------------------------------------

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


@pytest.mark.parametrize("index", [
    0, -1, (1, 2), slice(None, None, 2), (slice(None), 1), (Ellipsis, 0), (None, 0),
    (0, None, slice(1, 3)), (slice(None), slice(None, None, -1)) if False else (slice(1, None),),
    (Ellipsis, None), (1, Ellipsis, slice(None, 2))], ids=repr)
def test_getitem_basic(index):
    assert arr(jtorch.tensor(X)[index]).tolist() == X[index].tolist()


def test_getitem_masks_and_integer_tensors():
    x = jtorch.tensor(X)
    m = X > 10
    assert arr(x[jtorch.tensor(m)]).tolist() == X[m].tolist()
    assert arr(x[x > 10]).tolist() == X[m].tolist()
    idx = np.array([1, 0, 1])
    assert arr(x[:, jtorch.tensor(idx)]).tolist() == X[:, idx].tolist()
    assert arr(x[jtorch.tensor([1, 0]), jtorch.tensor([2, 1])]).tolist() == X[[1, 0], [2, 1]].tolist()
    assert arr(x[[0, 1, 1]]).tolist() == X[[0, 1, 1]].tolist()


def test_basic_indexing_gives_views():
    x = jtorch.zeros(3, 4)
    row = x[1]
    row[2] = 5.0
    assert x[1, 2].item() == 5.0
    x[:, 0] = 7.0
    assert row[0].item() == 7.0


def test_setitem_forms():
    x = jtorch.zeros(2, 3)
    x[0] = jtorch.tensor([1.0, 2.0, 3.0])
    x[1, 1:] = 9
    x[x > 8] = -1.0
    x[jtorch.tensor([0]), jtorch.tensor([0])] = 4.0
    x[..., 0] += 1
    assert x.tolist() == [[5.0, 2.0, 3.0], [1.0, -1.0, -1.0]]


def test_setitem_records_grad():
    x = jtorch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    y[1] = x[0] * 10
    y.sum().backward()
    assert x.grad.tolist() == [11.0, 0.0, 1.0]


def test_index_errors():
    x = jtorch.zeros(2, 3)
    with pytest.raises(IndexError):
        x[2]
    with pytest.raises(IndexError):
        x[0, 0, 0]


# ---- repr --------------------------------------------------------------------------------------

def test_repr_matches_torch_text():
    assert repr(jtorch.tensor([[1.0, 2.0]], dtype=jtorch.float64, requires_grad=True)) == \
        "tensor([[1., 2.]], dtype=torch.float64, requires_grad=True)"
    x = jtorch.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    assert repr((x * 2).sum()) == "tensor(6., grad_fn=<SumBackward0>)"
    assert repr(jtorch.tensor([1, 2])) == "tensor([1, 2])"
    assert str(jtorch.tensor(True)) == "tensor(True)"
    assert repr(jtorch.arange(2000.0)) == (
        "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
        "        1.9990e+03])")
    assert repr(jtorch.tensor([[1, 2], [3, 4]], dtype=jtorch.int32)) == \
        "tensor([[1, 2],\n        [3, 4]], dtype=torch.int32)"


# ---- devices ----------------------------------------------------------------------------------

def test_device_parsing():
    d = jtorch.device("cuda:1")
    assert d.type == "cuda" and d.index == 1 and str(d) == "cuda:1"
    assert repr(jtorch.device("cpu")) == "device(type='cpu')"
    assert jtorch.device("cpu") == "cpu"
    with pytest.raises(RuntimeError):
        jtorch.device("nonsense")


def test_cuda_is_available_tells_the_truth():
    import jax
    has_gpu = any(d.platform == "gpu" for d in jax.devices())
    assert jtorch.cuda.is_available() is has_gpu
    if not has_gpu:
        with pytest.raises((AssertionError, RuntimeError)):
            jtorch.ones(2).to("cuda")
    else:
        y = jtorch.ones(2).to("cuda")
        assert y.device.type == "cuda" and y.is_cuda and y.cpu().device.type == "cpu"
