"""The meta device: shapes and dtypes only, default-device contexts, Module.to_empty.
Expected values are torch 2.13's (compat/test_meta_storage_compat.py runs the same on both)."""
import jax
import pytest

import jtorch as torch
import jtorch.nn as nn
from jtorch._meta import MetaArray


def test_factories_and_repr():
    m = torch.empty(2, 3, device="meta")
    assert m.is_meta and m.device == torch.device("meta") and m.shape == (2, 3)
    assert isinstance(m._sa, MetaArray)  # no buffer behind it
    assert repr(m) == "tensor(..., device='meta', size=(2, 3))"
    assert repr(torch.empty((), device="meta")) == "tensor(..., device='meta', size=())"
    assert repr(torch.zeros(2, dtype=torch.int64, device="meta")) == \
        "tensor(..., device='meta', size=(2,), dtype=torch.int64)"
    assert repr(torch.ones(2, device="meta", requires_grad=True)) == \
        "tensor(..., device='meta', size=(2,), requires_grad=True)"
    assert repr(nn.Parameter(torch.empty(1, device="meta"))) == \
        "Parameter containing:\ntensor(..., device='meta', size=(1,), requires_grad=True)"
    assert not torch.ones(2).is_meta
    big = torch.empty(1 << 40, device="meta")  # a terabyte: nothing is allocated
    assert big.numel() == 1 << 40


def test_ops_propagate_shapes_and_dtypes():
    a = torch.empty(2, 1, dtype=torch.int32, device="meta")
    b = torch.empty(3, device="meta")
    c = a + b
    assert c.is_meta and c.shape == (2, 3) and c.dtype == torch.float32
    assert (a * 2).dtype == torch.int32 and (a / 2).dtype == torch.float32
    assert (torch.empty(4, 3, device="meta") @ torch.empty(3, 5, device="meta")).shape == (4, 5)
    assert torch.empty(2, 3, 4, device="meta").sum((0, 2), keepdim=True).shape == (1, 3, 1)
    assert (torch.empty(2, device="meta") + torch.tensor(1.0)).is_meta  # 0-dim cpu is allowed
    v = torch.empty(4, 6, device="meta").t()[1:3]
    assert v.is_meta and v.shape == (2, 4) and v.stride() == (1, 6)


def test_inplace_ops_stay_meta():
    m = torch.empty(2, 3, device="meta")
    m.add_(1).mul_(2).zero_().uniform_().normal_()
    m[0].fill_(3.0)
    m.copy_(torch.ones(2, 3))  # meta <- cpu is allowed and reads nothing
    assert m.is_meta and isinstance(m._sa, MetaArray)


@pytest.mark.parametrize("read, error, message", [
    (lambda m: m.item(), RuntimeError, "Tensor.item() cannot be called on meta tensors"),
    (lambda m: bool(m), RuntimeError, "Tensor.item() cannot be called on meta tensors"),
    (lambda m: m.numpy(), TypeError, "can't convert meta device type tensor to numpy"),
    (lambda m: m.tolist(), NotImplementedError, "Cannot copy out of meta tensor; no data!"),
    (lambda m: m.cpu(), NotImplementedError, "Cannot copy out of meta tensor; no data!"),
    (lambda m: torch.ones(()).copy_(m), NotImplementedError, "Cannot copy out of meta tensor"),
    (lambda m: torch.empty(2, device="meta").nonzero(), NotImplementedError, "meta"),
])
def test_reading_values_raises(read, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        read(torch.empty((), device="meta"))


def test_reading_many_values_raises_the_size_error_first():
    with pytest.raises(RuntimeError, match="a Tensor with 6 elements cannot be converted to Scalar"):
        torch.empty(2, 3, device="meta").item()
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value"):
        bool(torch.empty(2, device="meta"))


def test_meta_autograd_records_torch_grad_fns_but_backward_raises():
    x = torch.empty(3, device="meta", requires_grad=True)
    y = (x * 2).sum()
    assert y.requires_grad and type(y.grad_fn).__name__ == "SumBackward0"
    assert repr(x * 2) == "tensor(..., device='meta', size=(3,), grad_fn=<MulBackward0>)"
    with torch.no_grad():
        assert not (x * 2).requires_grad
    with pytest.raises(NotImplementedError, match="backward through meta tensors"):
        y.backward()


def test_mixed_devices_raise():
    with pytest.raises(RuntimeError, match="Tensor on device cpu is not on the expected device meta"):
        torch.empty(2, device="meta") + torch.ones(2)


def test_device_context_and_default_device():
    with torch.device("meta") as d:
        assert d == torch.device("meta") and torch.get_default_device() == d
        lin = nn.Linear(3, 4)
        lstm = nn.LSTM(2, 3)
        assert torch.tensor([1, 2]).is_meta and torch.randn(2).is_meta
        assert not torch.zeros(2, device="cpu").is_meta
        with torch.device("cpu"):
            assert not torch.ones(1).is_meta
        assert torch.ones(1).is_meta
    assert torch.get_default_device() == torch.device("cpu") and not torch.ones(1).is_meta
    assert all(p.is_meta for p in list(lin.parameters()) + list(lstm.parameters()))
    assert type(lin.weight) is nn.Parameter and lin.weight.requires_grad
    torch.set_default_device("meta")
    try:
        assert torch.zeros(2).is_meta and torch.get_default_device() == torch.device("meta")
    finally:
        torch.set_default_device(None)
    assert not torch.zeros(2).is_meta


def test_meta_init_leaves_the_generator_alone():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    with torch.device("meta"):
        nn.Linear(8, 8)
        nn.GRU(4, 4)
        nn.init.orthogonal_(torch.empty(3, 3))
    assert torch.equal(torch.rand(3), expected)


def test_to_empty_and_module_to():
    m = nn.Linear(3, 2, device="meta")
    with pytest.raises(NotImplementedError, match="to_empty"):
        m.to("cpu")
    w = m.weight
    m.to_empty(device="cpu")
    assert m.weight is w and not w.is_meta and w.requires_grad  # Parameters keep identity
    with torch.no_grad():
        m.weight.fill_(0.5)
        m.bias.zero_()
    assert m(torch.ones(1, 3)).tolist() == [[1.5, 1.5]]
    assert nn.Linear(2, 2, device="meta").to_empty(device=None).weight.is_meta
    assert torch.ones(2, 3).to("meta").is_meta


def test_meta_forward_gives_shapes():
    with torch.device("meta"):
        layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
        out = layer(torch.randn(2, 5, 8))
    assert out.is_meta and out.shape == (2, 5, 8)


def test_build_on_meta_then_assign_keeps_non_persistent_buffers_right():
    # transformers' from_pretrained: build under meta, assign the checkpoint, materialise the
    # rest and recompute non-persistent buffers (BERT position_ids, RoPE inv_freq).
    class Rope(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(4, 4)
            self.register_buffer("inv_freq", 1.0 / (10000 ** (torch.arange(0, 4, 2).float() / 4)),
                                 persistent=False)

    with torch.device("meta"):
        m = Rope()
    assert m.inv_freq.is_meta and m.proj.weight.is_meta
    sd = {"proj.weight": torch.eye(4), "proj.bias": torch.zeros(4)}
    m.load_state_dict(sd, assign=True)
    assert not m.proj.weight.is_meta and m.inv_freq.is_meta
    m.to_empty(device="cpu", recurse=False)
    with torch.no_grad():
        m.inv_freq.copy_(1.0 / (10000 ** (torch.arange(0, 4, 2).float() / 4)))
    assert m.inv_freq.tolist() == [1.0, 0.009999999776482582]


def test_meta_inside_compile_and_jax_jit():
    # jax.jit takes a ShapeDtypeStruct inside a trace; a MetaArray is refused there too, so
    # meta ops keep their eager behaviour under jtorch.compile and an outer jax.jit.
    def f(x):
        m = torch.empty(x.shape[0], 8, device="meta")
        w = nn.functional.linear(m, torch.empty(5, 8, device="meta"))
        assert w.is_meta and m.new_zeros(1).is_meta
        return x.sum(1) * w.shape[1]
    x = torch.ones(3, 4)
    cf = torch.compile(f, fullgraph=True)
    assert f(x).tolist() == cf(x).tolist() == cf(x).tolist() == [20.0, 20.0, 20.0]

    def g(a):
        return a + (torch.empty(3, 8, device="meta") * 2).t().shape[0]
    assert jax.jit(g)(jax.numpy.ones(2)).tolist() == [9.0, 9.0]
