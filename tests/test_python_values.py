"""Python values where torch takes them, legacy constructors, Variable, randint's call forms.

Expected values are torch 2.13's (checked live in compat/test_python_values_compat.py)."""
import collections

import numpy as np
import pytest

import jtorch
from jtorch.autograd import Variable


def x():
    return jtorch.arange(12.).reshape(3, 4)


def test_range_and_numpy_indices():
    assert x()[range(3), jtorch.tensor([0, 1, 2])].tolist() == [0., 5., 10.]
    assert x()[range(0, 3, 2)].shape == (2, 4)
    assert x()[np.array([2, 0], np.int32), np.int64(1)].tolist() == [9., 1.]
    y = x()
    y[range(3), jtorch.tensor([0, 1, 2])] = -1.
    assert y.diagonal().tolist() == [-1., -1., -1.]
    with pytest.raises(IndexError):
        x()[range(5)]


def test_list_mixing_ints_and_tensors_is_a_tuple():
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        assert x()[[0, jtorch.tensor(2)]].item() == 2.
    assert x()[[0, 2]].shape == (2, 4)  # plain ints: one index


def test_tensor_of_sequences():
    t = jtorch.tensor(collections.deque([1, 2, 3]))
    assert t.dtype == jtorch.int64 and t.tolist() == [1, 2, 3]
    assert jtorch.as_tensor(range(3)).tolist() == [0, 1, 2]
    assert jtorch.tensor([np.int8(1), np.float16(2)]).dtype == jtorch.float16
    t = jtorch.tensor(((jtorch.tensor(1.), jtorch.tensor(2.)), (jtorch.tensor(3.), jtorch.tensor(4.))))
    assert t.shape == (2, 2) and t.dtype == jtorch.float32


@pytest.mark.parametrize("pytype,dtype", [(float, "float64"), (int, "int64"), (bool, "bool"),
                                          (complex, "complex128")])
def test_python_types_as_dtypes(pytype, dtype):
    for t in (jtorch.zeros(2, dtype=pytype), jtorch.tensor([1, 0], dtype=pytype),
              jtorch.full_like(jtorch.ones(2), 1, dtype=pytype), x().to(pytype),
              x().to(dtype=pytype), x().sum(dtype=pytype)):
        assert t.dtype.name == dtype


def test_randint_forms():
    assert jtorch.randint(9, size=(4,)).shape == (4,)
    assert jtorch.randint(high=3, size=(50,)).max().item() < 3
    lo = jtorch.randint(5, 7, size=(50,))
    assert lo.min().item() >= 5 and lo.max().item() < 7
    for bad in (lambda: jtorch.randint(9), lambda: jtorch.randint(size=(3,)),
                lambda: jtorch.randint(9.5, (3,))):
        with pytest.raises(TypeError):
            bad()


def test_variable_keeps_dtype_and_memory():
    t = jtorch.tensor([1, 2])
    v = Variable(t)
    assert v.dtype == jtorch.int64 and isinstance(t, Variable)
    f = jtorch.tensor([1., 2.])
    v = Variable(f, requires_grad=True)
    assert v.requires_grad and v.is_leaf
    v.detach().add_(1)  # the same memory as f
    assert f.tolist() == [2., 3.]
    emb = jtorch.nn.functional.embedding(Variable(jtorch.tensor([0, 2])), jtorch.arange(6.).reshape(3, 2))
    assert emb.tolist() == [[0., 1.], [4., 5.]]
    with pytest.raises(TypeError, match="has to be a tensor"):
        Variable([1, 2])


def test_legacy_constructors():
    assert jtorch.Tensor().shape == (0,) and jtorch.FloatTensor().shape == (0,)
    assert jtorch.Tensor(jtorch.tensor([1, 2])).dtype == jtorch.int64
    assert jtorch.FloatTensor(jtorch.Size([2, 3])).shape == (2, 3)
    assert jtorch.LongTensor([1.7, 2.2]).tolist() == [1, 2]
    assert jtorch.tensor([1.5]).type(jtorch.LongTensor).dtype == jtorch.int64
    assert jtorch.ones(2).new().shape == (0,)
    assert jtorch.ones(2, dtype=jtorch.int64).new([1.5, 2]).tolist() == [1, 2]
    with pytest.raises(TypeError, match=r"expected TensorOptions\(dtype=float"):
        jtorch.FloatTensor(jtorch.tensor([1, 2]))
    with pytest.raises(TypeError, match="data must be a sequence"):
        jtorch.Tensor(3.5)
    with pytest.raises(RuntimeError, match="negative dimension"):
        jtorch.ones(1).new(2, -1)
    with pytest.raises(ValueError, match="invalid type"):
        jtorch.ones(1).type("torch.Foo")
