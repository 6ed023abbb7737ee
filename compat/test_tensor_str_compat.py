"""jtorch._tensor_str.tensor_repr against repr() of real torch tensors, live."""
import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
ml_dtypes = pytest.importorskip("ml_dtypes")

from jtorch._tensor_str import get_printoptions, printoptions, set_printoptions, tensor_repr  # noqa: E402

DTYPES = ["float32", "float64", "float16", "bfloat16", "complex64", "complex128",
          "int8", "int16", "int32", "int64", "uint8", "bool"]
SHAPES = [(), (1,), (5,), (13,), (3, 4), (2, 3, 4), (2, 1, 3, 2), (1, 1), (0,), (0, 3), (2, 0, 4)]
BIG_SHAPES = [(1001,), (2000,), (40, 40), (10, 10, 11), (3, 500), (500, 3), (7, 6, 30)]
SCALES = [1e-12, 1e-5, 1e-4, 1e-3, 0.1, 1.0, 10.0, 999.0, 1e4, 1e6, 1e8, 1e9, 1e20, 1e40]


def expect_same(t, **kwargs):
    """Compare jtorch's text with torch's for one torch tensor."""
    dtype_name = str(t.dtype).removeprefix("torch.")
    values = t.detach()
    if t.dtype == torch.bfloat16:
        values = values.float().numpy().astype(ml_dtypes.bfloat16)
    else:
        values = values.numpy()
    got = tensor_repr(
        values,
        dtype_name,
        default_float=str(torch.get_default_dtype()).removeprefix("torch."),
        requires_grad=t.requires_grad and t.grad_fn is None,
        grad_fn_name=type(t.grad_fn).__name__ if t.grad_fn is not None else None,
        **kwargs,
    )
    assert got == repr(t)


def make(shape, dtype, scale=1.0, seed=0, special=False, integral=False):
    """A torch tensor of random values; `special` sprinkles nan/inf/-0."""
    rng = np.random.default_rng(seed)
    x = np.asarray(rng.standard_normal(shape) * scale)
    if integral:
        x = np.round(x)
    if special and x.size:
        flat = x.reshape(-1)
        picks = rng.choice(flat.size, size=min(4, flat.size), replace=False)
        flat[picks] = [np.nan, np.inf, -np.inf, -0.0][: len(picks)]
    tdtype = getattr(torch, dtype)
    if dtype == "bool":
        return torch.from_numpy(np.asarray(x > 0))
    if dtype.startswith("complex"):
        y = rng.standard_normal(shape) * scale
        return torch.from_numpy(np.asarray(x + 1j * y)).to(tdtype)
    if not dtype.startswith(("float", "bfloat")):
        info = np.iinfo(dtype)
        x = np.clip(np.nan_to_num(np.round(x * 50)), info.min, info.max)
    return torch.from_numpy(np.asarray(x)).to(tdtype)


@pytest.fixture(autouse=True)
def reset_options():
    yield
    torch.set_printoptions(profile="default")
    set_printoptions(profile="default")
    torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_shapes_and_dtypes(shape, dtype):
    expect_same(make(shape, dtype))


@pytest.mark.parametrize("scale", SCALES, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16", "complex64", "complex128"])
@pytest.mark.parametrize("integral", [False, True])
def test_scales(scale, dtype, integral):
    expect_same(make((7,), dtype, scale, seed=1, integral=integral))
    expect_same(make((3, 5), dtype, scale, seed=2, integral=integral))


@pytest.mark.parametrize("shape", BIG_SHAPES, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16", "complex64", "int64", "int8", "bool"])
def test_summarized(shape, dtype):
    expect_same(make(shape, dtype, seed=3))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "complex64"])
@pytest.mark.parametrize("shape", [(6,), (3, 3), (2000,)], ids=str)
def test_nan_inf_negative_zero(seed, dtype, shape):
    expect_same(make(shape, dtype, scale=10.0 ** (seed - 2), seed=seed, special=True))
    expect_same(make(shape, dtype, scale=1.0, seed=seed, special=True, integral=True))


@pytest.mark.parametrize("values", [
    [0.0, 0.0], [-0.0], [float("nan")], [float("inf"), -float("inf")], [float("nan"), 1.0],
    [1.5, float("nan")], [1e-4, 1.0], [9.99e-5, 1.0], [1.0, 1000.0], [1.0, 1001.0], [1e8, 1.0],
    [1.1e8, 2e8], [0.5, 999.99996], [9.99995, 1.0], [123456789.0], [1e-300, 1e300], [2.0**60],
    [1e8 + 0.5, 1e8], [-1e-4, 5e-5], [3.0], [-0.0, 1.5], [0.1, -0.25, 100.0],
], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
def test_edge_values(values, dtype):
    expect_same(torch.tensor(values, dtype=getattr(torch, dtype)))
    expect_same(torch.tensor(values[0], dtype=getattr(torch, dtype)))


@pytest.mark.parametrize("values", [
    [1 + 2j, -0.5 - 1e-5j], [0j, 1j], [complex(0, -0.0)], [complex("nan+1j"), 3 - 4j],
    [complex(1e10, 1), 2j], [complex(1, float("inf"))], [1.5 + 0j, -2.25 - 0.5j],
    [complex(1, float("nan"))], [complex(0.5, -float("inf")), 0j],
], ids=str)
def test_complex_values(values):
    for dtype in (torch.complex64, torch.complex128):
        expect_same(torch.tensor(values, dtype=dtype))
        expect_same(torch.tensor(values[0], dtype=dtype))


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8"])
def test_integer_extremes(dtype):
    info = np.iinfo(dtype)
    expect_same(torch.tensor([info.min, 0, info.max], dtype=getattr(torch, dtype)))
    expect_same(torch.arange(0, 2000, dtype=torch.int64).to(getattr(torch, dtype)).reshape(40, 50))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16", "complex64", "complex128"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (0,), (0, 2), (30, 4)], ids=str)
def test_autograd_suffixes(dtype, shape):
    leaf = make(shape, dtype, seed=4).requires_grad_()
    expect_same(leaf)
    expect_same(leaf * 2)
    expect_same(leaf.sum())
    expect_same(leaf.detach())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (4,), (0,), (0, 3), (3, 2)], ids=str)
def test_default_dtype_float64(dtype, shape):
    torch.set_default_dtype(torch.float64)
    expect_same(make(shape, dtype, seed=5))


OPTIONS = [
    dict(precision=0), dict(precision=2), dict(precision=6), dict(precision=10),
    dict(sci_mode=True), dict(sci_mode=False), dict(threshold=5), dict(threshold=0),
    dict(edgeitems=0), dict(edgeitems=1), dict(edgeitems=5), dict(linewidth=10),
    dict(linewidth=40), dict(linewidth=120), dict(profile="short"), dict(profile="full"),
    dict(profile="full", linewidth=200), dict(precision=2, sci_mode=True, threshold=10, edgeitems=2),
    dict(edgeitems=0, threshold=3),
]


@pytest.mark.parametrize("opts", OPTIONS, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16", "complex64", "int32", "bool"])
def test_printoptions(opts, dtype):
    torch.set_printoptions(**opts)
    set_printoptions(**opts)
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    for shape, scale, seed in itertools.product([(), (7,), (4, 6), (2000,), (30, 40), (3, 4, 50)],
                                                [1e-5, 1.0, 1e9], [6]):
        expect_same(make(shape, dtype, scale, seed, special=shape == (4, 6)))
        expect_same(make(shape, dtype, scale, seed, integral=True))
    if dtype.startswith(("float", "complex")):
        expect_same(make((5, 9), dtype, seed=7).requires_grad_())
        expect_same(make((5, 9), dtype, seed=7).requires_grad_() * 2)
    expect_same(torch.zeros(0, 3, dtype=getattr(torch, dtype)))


@pytest.mark.parametrize("calls", [
    [dict(precision=2), dict(threshold=5)],
    [dict(sci_mode=True), dict(precision=3)],
    [dict(linewidth=100), dict(profile="short")],
    [dict(profile="full", precision=2)],
    [dict(profile="bogus")],
    [dict(precision=7), dict()],
], ids=str)
def test_set_printoptions_state(calls):
    for kwargs in calls:
        torch.set_printoptions(**kwargs)
        set_printoptions(**kwargs)
    assert get_printoptions() == torch._tensor_str.get_printoptions()


def test_printoptions_context():
    with printoptions(precision=2, sci_mode=True), torch._tensor_str.printoptions(precision=2, sci_mode=True):
        assert get_printoptions() == torch._tensor_str.get_printoptions()
        expect_same(torch.tensor([1.23456, 2.0]))
    assert get_printoptions() == torch._tensor_str.get_printoptions()


class FakeCuda(torch.Tensor):
    """torch prints any non-cpu device; this is how to see that text without a GPU."""

    @property
    def device(self):
        return torch.device("cuda:0")


@pytest.mark.parametrize("edgeitems", [3, 0])
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "int32", "int64", "bool"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (0,), (0, 2), (30, 40)], ids=str)
def test_device_and_prefix(edgeitems, dtype, shape):
    torch.set_printoptions(edgeitems=edgeitems)
    set_printoptions(edgeitems=edgeitems)
    t = make(shape, dtype, seed=8).as_subclass(FakeCuda)
    expect_same(t, device="cuda:0", prefix="FakeCuda(")
    if dtype.startswith(("float", "complex")):
        # A subclass leaf reports an AliasBackward0 grad_fn, which also checks suffix order.
        expect_same(make(shape, dtype, seed=8).requires_grad_().as_subclass(FakeCuda),
                    device="cuda:0", prefix="FakeCuda(")
        expect_same(make(shape, dtype, seed=8).as_subclass(FakeCuda) * 1, device="cuda:0", prefix="FakeCuda(")


@pytest.mark.parametrize("linewidth", [80, 30])
def test_parameter_prefix(linewidth):
    torch.set_printoptions(linewidth=linewidth)
    set_printoptions(linewidth=linewidth)
    p = torch.nn.Parameter(make((3, 4), "float64", seed=9))
    got = tensor_repr(p.detach().numpy(), "float64", requires_grad=True, prefix="Parameter containing:\ntensor(")
    assert got == repr(p)
