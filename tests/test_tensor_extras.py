"""Python-level Tensor methods (jtorch/_tensor_extras.py) and storage handles (jtorch/_storage.py)."""
import warnings

import numpy as np
import pytest

import jtorch as torch


def test_callbacks_and_resize():
    x = torch.tensor([1.0, 2.0, 3.0])
    assert x.clone().apply_(lambda v: v + 1).tolist() == [2.0, 3.0, 4.0]
    assert x.clone().map_(torch.tensor([2.0]), lambda a, b: a * b).tolist() == [2.0, 4.0, 6.0]
    assert x.clone().resize_(4).tolist() == [1.0, 2.0, 3.0, 0.0]  # new elements are zeros
    assert x.clone().resize_(2, 1).shape == (2, 1)
    with pytest.raises(RuntimeError, match="require grad"):
        x.clone().requires_grad_().resize_(2)


def test_set_shares_storage():
    x = torch.tensor([1.0, 2.0])
    z = torch.zeros(5).set_(x)
    assert z.is_set_to(x)
    x.mul_(3)
    assert z.tolist() == [3.0, 6.0]


def test_storage_writes_through():
    x = torch.arange(3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        st = x.storage()
    st[0] = 7.0
    assert x.tolist() == [7.0, 1.0, 2.0] and torch.is_storage(st)
    assert x.storage_type() is torch.FloatStorage
    assert torch.FloatStorage([1.0, 2.0]).tolist() == [1.0, 2.0]


def test_dunders():
    x = torch.tensor([1.0, 2.0])
    assert 2.0 in x and 5.0 not in x
    assert torch.equal(reversed(x), torch.tensor([2.0, 1.0]))
    assert isinstance(np.exp(x), torch.Tensor)
    with pytest.raises(TypeError):
        del x[0]


def test_as_subclass_keeps_storage():
    class S(torch.Tensor):
        pass
    x = torch.tensor([1.0, 2.0])
    s = x.as_subclass(S)
    assert type(s) is S and s.data_ptr() == x.data_ptr()
