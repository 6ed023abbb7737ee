"""Layouts and memory formats (jtorch/_layout.py); the new storage dtypes (jtorch/_dtype.py)."""
import pickle

import pytest

import jtorch as torch


def test_constants_are_singletons_of_their_types():
    assert isinstance(torch.strided, torch.layout) and isinstance(torch.sparse_coo, torch.layout)
    assert isinstance(torch.channels_last, torch.memory_format)
    assert repr(torch.channels_last_3d) == "torch.channels_last_3d"
    assert pickle.loads(pickle.dumps(torch.sparse_csr)) is torch.sparse_csr
    assert torch.legacy_contiguous_format is torch.contiguous_format
    assert torch.ones(2).layout is torch.strided
    with pytest.raises(TypeError):
        torch.layout()


def test_channels_last_is_a_permuted_copy():
    x = torch.arange(120.0).reshape(2, 3, 4, 5)
    y = x.contiguous(memory_format=torch.channels_last)
    assert y.stride() == (60, 1, 15, 3)  # NHWC storage order
    assert y.is_contiguous(memory_format=torch.channels_last) and not y.is_contiguous()
    assert torch.equal(y, x)
    assert y.contiguous().stride() == (60, 20, 5, 1)
    assert x.to(memory_format=torch.channels_last).stride() == (60, 1, 15, 3)
    assert torch.empty(2, 3, 4, 5, memory_format=torch.channels_last).stride() == (60, 1, 15, 3)
    assert torch.ones(1, 3, 1, 1).is_contiguous(memory_format=torch.channels_last)
    with pytest.raises(RuntimeError, match="rank 4"):
        torch.zeros(2, 3).contiguous(memory_format=torch.channels_last)


def test_channels_last_gradient_flows():
    x = torch.ones(1, 2, 2, 2, requires_grad=True)
    (x.contiguous(memory_format=torch.channels_last) * 3).sum().backward()
    assert torch.equal(x.grad, torch.full((1, 2, 2, 2), 3.0))


def test_limited_dtypes_refuse_promotion():
    assert torch.promote_types(torch.uint16, torch.float32) is torch.float32
    assert torch.promote_types(torch.uint32, torch.uint32) is torch.uint32
    with pytest.raises(RuntimeError, match="uint16, uint32, uint64"):
        torch.promote_types(torch.uint16, torch.int64)
    with pytest.raises(RuntimeError, match="Float8"):
        torch.promote_types(torch.float8_e4m3fn, torch.float32)
    assert not torch.uint64.is_signed and torch.float8_e5m2.is_floating_point


def test_float8_round_trip():
    t = torch.tensor([1.0, 2.5, 300.0]).to(torch.float8_e4m3fn)
    assert t.dtype is torch.float8_e4m3fn and t.float().tolist() == [1.0, 2.5, 288.0]
    assert torch.finfo(torch.float8_e4m3fn).max == 448.0


def test_sparse_layouts_are_refused_by_factories():
    from jtorch._unsupported import UnsupportedError
    with pytest.raises(UnsupportedError, match="sparse"):
        torch.zeros(2, layout=torch.sparse_coo)
    assert torch.zeros(2, layout=torch.strided).layout is torch.strided


def test_new_dtypes_save_and_load(tmp_path):
    t = torch.tensor([1, 2, 3]).to(torch.uint16)
    f = torch.tensor([1.5, 2.0]).to(torch.float8_e5m2)
    torch.save({"t": t, "f": f}, tmp_path / "x.pt")
    back = torch.load(tmp_path / "x.pt")
    assert back["t"].dtype is torch.uint16 and back["t"].tolist() == [1, 2, 3]
    assert back["f"].dtype is torch.float8_e5m2 and back["f"].float().tolist() == [1.5, 2.0]
