"""In-place view ops (t_, transpose_, squeeze_, unsqueeze_, swapdims_, as_strided_): shapes,
strides and storage sharing as torch 2.13 reports them (expected values recorded from torch)."""
import io
import pickle

import pytest

import jtorch


def test_root_t_keeps_its_storage_and_earlier_views():
    x = jtorch.arange(6.0).reshape(2, 3).clone()
    y = x[0]
    assert x.t_() is x
    assert x.shape == (3, 2) and x.stride() == (1, 3) and not x.is_contiguous()
    assert x.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    x[0, 1] = 100.0  # storage element 3: not in row 0 of the old layout
    assert y.tolist() == [0.0, 1.0, 2.0]
    y[2] = -1.0
    assert x.tolist() == [[0.0, 100.0], [1.0, 4.0], [-1.0, 5.0]]
    z = x[1]
    x.unsqueeze_(0)
    assert x.shape == (1, 3, 2) and x.stride() == (3, 1, 3) and z.tolist() == [1.0, 4.0]
    x.squeeze_().transpose_(0, 1)
    assert x.stride() == (3, 1) and x.tolist() == [[0.0, 1.0, -1.0], [100.0, 4.0, 5.0]]
    x.t_().as_strided_((2, 2), (1, 2), 1)
    assert x.tolist() == [[1.0, 100.0], [-1.0, 4.0]] and x.storage_offset() == 1


def test_view_gets_the_longer_chain():
    w = jtorch.arange(8.0).view(2, 4)[:, 1:3]
    w.swapdims_(0, 1)
    assert w.tolist() == [[1.0, 5.0], [2.0, 6.0]] and w.stride() == (1, 4) and w.storage_offset() == 1
    v = jtorch.arange(8.0).view(2, 4)[:, 1:3]
    v.as_strided_((3,), (2,))
    assert v.tolist() == [1.0, 3.0, 5.0] and v.storage_offset() == 1


def test_autograd_names_and_leaf_check():
    a = jtorch.randn(2, 1, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        a.t_()
    c = (a * 2)[0]
    c.squeeze_()
    assert c.grad_fn.name() == "SqueezeBackward3"
    c.unsqueeze_(1).t_()
    assert c.grad_fn.name() == "TBackward1" and c.shape == (1, 3)
    c.sum().backward()
    assert a.grad.tolist() == [[[2.0, 2.0, 2.0]], [[0.0, 0.0, 0.0]]]


def test_pickle_and_save_after_t_():
    x = jtorch.arange(6.0).reshape(2, 3).clone()
    y = x[1]
    x.t_()
    assert pickle.loads(pickle.dumps(x)).tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    b = io.BytesIO()
    jtorch.save({"x": x, "y": y}, b)
    b.seek(0)
    d = jtorch.load(b)
    assert d["x"].stride() == (1, 3) and d["y"].tolist() == [3.0, 4.0, 5.0]
    d["y"][0] = 9.0  # still one storage after loading
    assert d["x"].tolist() == [[0.0, 9.0], [1.0, 4.0], [2.0, 5.0]]
    x.untyped_storage()
    x.storage()[0] = 7.0
    assert x.tolist()[0] == [7.0, 3.0] and y.tolist() == [3.0, 4.0, 5.0]


def test_view_taken_before_t_keeps_its_gradient():
    x = jtorch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=jtorch.float64, requires_grad=True)
    r = x * 1
    early = r[0]
    r.t_()
    r[0, 1] = 10.0  # a write after the view was taken: early's grad_fn is rebuilt
    e = early * 1
    r.unsqueeze_(0).squeeze_(0).transpose_(0, 1)
    w = jtorch.arange(6.0, dtype=jtorch.float64).reshape(2, 3)
    ((r * w).sum() + (e * jtorch.tensor([1.0, 2.0, 3.0], dtype=jtorch.float64)).sum()).backward()
    assert e.tolist() == [1.0, 2.0, 3.0]
    assert x.grad.tolist() == [[1.0, 3.0, 5.0], [0.0, 4.0, 5.0]]  # recorded from torch
