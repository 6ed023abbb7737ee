"""Invalid arguments raise torch's exception type (expected types taken from torch 2.x)."""
import pytest

import jtorch as T
import jtorch.nn.functional as F


def _f(*shape, dtype=T.float32):
    return T.zeros(shape, dtype=dtype) + 0.5


CASES = [
    # (call, exception type, message pattern)
    (lambda: T.amax(_f(2, 3), dim=(0, -2)), RuntimeError, "appears multiple times"),
    (lambda: T.amax(_f(2, 0)), RuntimeError, "Specify the reduction dim"),
    (lambda: T.amin(_f(2, 0), dim=1), IndexError, "reduction dim 1 to have non-zero size"),
    (lambda: T.aminmax(_f(2, 0), dim=1), IndexError, "non-zero size"),
    (lambda: T.logcumsumexp(_f(2, 3), 2), IndexError, "Dimension out of range"),
    (lambda: T.roll(_f(), 1, 0), IndexError, "tensor has no dimensions"),
    (lambda: T.roll(_f(3, 3), (1, 2), 0), RuntimeError, "shifts and dimensions must align"),
    (lambda: T.diagonal(_f(2, 3), dim1=1, dim2=1), RuntimeError, "cannot be identical 1, 1"),
    (lambda: T.movedim(_f(2, 3, 4), (0, 1), (2,)), RuntimeError, "same number of dims"),
    (lambda: T.movedim(_f(2, 3, 4), (0, -3), (1, 2)), RuntimeError, "repeated dim in `source`"),
    (lambda: T.max(T.tensor([1, 2, 3]), 2), IndexError, "Dimension out of range"),
    (lambda: T.max(2, T.tensor([1, 2])), TypeError, "must be Tensor"),
    (lambda: T.cat([]), ValueError, "non-empty list"),
    (lambda: T.cat([_f(2, 2), _f(2, 3)]), RuntimeError, "Sizes of tensors must match except in dimension 0"),
    (lambda: T.cat([_f(2, 2), _f(2, 2, 2)]), RuntimeError, "same number of dimensions: got 2 and 3"),
    (lambda: T.cat([_f(), _f()]), RuntimeError, "zero-dimensional tensor"),
    (lambda: T.cat([_f(2), None]), TypeError, "element 1"),
    (lambda: T.cat(_f(2, 3)), TypeError, "must be tuple of Tensors"),
    (lambda: T.hstack([]), RuntimeError, "hstack expects a non-empty TensorList"),
    (lambda: T.vstack([_f(3), _f(3, 3, 3)]), RuntimeError, "same number of dimensions"),
    (lambda: T.tril(_f(3)), RuntimeError, "at least 2 dimensions"),
    (lambda: T.narrow(_f(), 0, 0, 1), RuntimeError, "0-dim tensor"),
    (lambda: T.narrow(_f(4, 3), 0, 5, 0), IndexError, r"start out of range \(expected to be in range of \[-4, 4\]"),
    (lambda: T.gather(_f(2, 2), 1, T.tensor([0, 1])), RuntimeError, "same number of dimensions"),
    (lambda: T.gather(_f(1, 1), 1, T.zeros((2, 2), dtype=T.int64)), RuntimeError, "Size does not match"),
    (lambda: T.scatter(_f(3, 2, dtype=T.float64), 0, T.zeros((1, 2), dtype=T.int64), _f(1, 2)),
     RuntimeError, "Expected self.dtype to be equal to src.dtype"),
    (lambda: T.index_add(_f(3, 2), 0, T.tensor([0, 1]), _f(2)), RuntimeError, "source tensor shape must match"),
    (lambda: T.masked_fill(_f(2, 2), T.tensor(True), _f(1)), RuntimeError, "0-dimensional value tensor"),
    (lambda: T.masked_fill(_f(2, 2), T.tensor(True), 1j), RuntimeError, "cannot be converted to type float"),
    (lambda: T.vdot(_f(3), _f(3, dtype=T.float64)), RuntimeError, "same dtype, but found Float and Double"),
    (lambda: T.dot(_f(3), _f(2)), RuntimeError, "inconsistent tensor size"),
    (lambda: T.linalg.cross(_f(2, 2), _f(2, 2)), RuntimeError, "must have length 3"),
    (lambda: T.kthvalue(_f(2, 2), 3), RuntimeError, "k out of range"),
    (lambda: T.polar(_f(3), 2), TypeError, "argument 'angle' .* must be Tensor, not int"),
    (lambda: T.isclose(_f(2), _f(2), atol=-1.0), RuntimeError, "atol must be greater than or equal to zero"),
    (lambda: T.rot90(_f(2, 2), 1, (1, 1)), RuntimeError, "rotation dims to be different"),
    (lambda: T.hsplit(_f(2, 4), 0), RuntimeError, "not divisible by the split_size 0"),
    (lambda: T.mean(_f(2), dtype=T.int64), RuntimeError, "Optional dtype must be"),
    (lambda: T.eye(-1), RuntimeError, "n must be greater or equal to 0, got -1"),
    (lambda: T.linspace(0, 3, -1), RuntimeError, "number of steps must be non-negative"),
    (lambda: T.linspace(0, 3, 1.0), TypeError, "invalid combination of arguments"),
    (lambda: T.arange(0, -3, 2), RuntimeError, "inconsistent with step sign"),
    (lambda: _f(4).normal_(0, -1), RuntimeError, "normal expects std >= 0.0"),
    (lambda: T.multinomial(T.ones((1, 2), dtype=T.int64), 2), RuntimeError, "floating-point dtypes"),
    (lambda: T.multinomial(_f(3), 0), RuntimeError, "n_sample <= 0"),
    (lambda: T.mm(_f(3, 4), _f(3, 4)), RuntimeError, r"shapes cannot be multiplied \(3x4 and 3x4\)"),
    (lambda: T.bmm(_f(2, 3, 4), _f(2, 3, 5)), RuntimeError, "first two dimensions of batch2"),
    (lambda: T.matmul(_f(2, 3, 4), _f(3, 4, 5)), RuntimeError, "non-singleton dimension 0"),
    (lambda: F.linear(_f(2, 4), _f(3, 5)), RuntimeError, r"\(2x4 and 5x3\)"),
    (lambda: T.tensordot(_f(2, 3), _f(4, 5), 1), RuntimeError, "contracted dimensions need to match"),
    (lambda: T.linalg.multi_dot([_f(2, 3), _f(4, 5)]), RuntimeError, "cannot be multiplied"),
    (lambda: T.sum(_f(2, 3), 2), IndexError, r"range of \[-2, 1\], but got 2"),
    (lambda: T.sum(_f(2, 3), (1, -1)), RuntimeError, "dim 1 appears multiple times"),
    (lambda: T.softmax(_f(), 1), IndexError, r"range of \[-1, 0\], but got 1"),
    (lambda: T.sort(_f(2, 3), -3), IndexError, "Dimension out of range"),
    (lambda: T.flip(_f(2, 3), (1, 1)), RuntimeError, "appears multiple times"),
    (lambda: T.tile(_f(2, 3), (-1,)), RuntimeError, "negative dimension -3"),
    (lambda: _f(2, 3).repeat(2, -1), RuntimeError, "negative dimension"),
    (lambda: F.batch_norm(_f(2, 3), T.zeros(4), T.ones(3)), RuntimeError, "running_mean should contain 3 elements not 4"),
    (lambda: T.einsum("ij,jk->ik", _f(3, 4), _f(3, 4)), RuntimeError, "subscript j has size 3 for operand 1"),
    (lambda: T.gather(_f(2, 2), 1, T.zeros((2, 2), dtype=T.int64), out=_f(2, 2, dtype=T.float64)),
     RuntimeError, "Expected out tensor to have dtype torch.float32, but got torch.float64"),
    (lambda: T.argmax(_f(2, 3), 0, out=T.empty(3, dtype=T.int32)), RuntimeError, "dtype torch.int64"),
    (lambda: F.max_pool1d(_f(1, 2, 6), 2, stride=0), RuntimeError, "stride must be greater than zero"),
    (lambda: F.max_pool1d(_f(1, 2, 6), 2, padding=-1), RuntimeError, "pad must be non-negative"),
    (lambda: F.max_pool2d(_f(1, 1, 4), 2), RuntimeError, "Output size is too small"),
    (lambda: F.avg_pool2d(_f(1, 3, 3), 2, divisor_override=0), RuntimeError, "divisor must be not zero"),
    (lambda: F.adaptive_avg_pool2d(_f(2, 2), (2, 2)), ValueError, "Input dimension should be at least 3"),
    (lambda: F.adaptive_max_pool2d(_f(1, 1, 2, 2), (-1, 1)), RuntimeError, "greater than or equal to 0"),
    (lambda: F.conv1d(_f(1, 1, 4), _f(1, 1, 2), _f(1, dtype=T.float64)), RuntimeError,
     r"Input type \(float\) and bias type \(double\)"),
    (lambda: F.conv2d(_f(1, 1, 4, 4), _f(1, 1, 2, 2), padding=-1), RuntimeError, "negative padding"),
    (lambda: F.max_unpool2d(_f(1, 1, 2, 2), T.zeros((1, 1, 2, 1), dtype=T.int64), 2), RuntimeError,
     "Expected shape of indices"),
    (lambda: F.embedding(T.tensor([0, 1]), _f(2, 2, 2)), RuntimeError, "'weight' must be 2-D"),
    (lambda: F.hardtanh(_f(2), 0.5, -0.5), ValueError, "min_val cannot be greater than max_val"),
    (lambda: F.rrelu(_f(2), 0.3, 0.1), RuntimeError, "Lower bound"),
    (lambda: F.softshrink(_f(2), -0.5), RuntimeError, r"lambda must be in range \[0, 3.40282e\+38\]"),
    (lambda: F.rms_norm(_f(2, 3), (2,)), RuntimeError, "expected input with shape"),
    (lambda: F.l1_loss(_f(5, 4), _f(5)), RuntimeError, "non-singleton dimension 1"),
    (lambda: F.triplet_margin_loss(_f(2, 3), _f(2, 3), _f(2, 3), margin=-1.0), ValueError,
     "margin must be greater than 0"),
    (lambda: F.multi_margin_loss(_f(2, 3), _f(2)), RuntimeError, "expected scalar type Long but found Float"),
]


@pytest.mark.parametrize("i", range(len(CASES)))
def test_raises_torch_type(i):
    call, exc, pattern = CASES[i]
    with pytest.raises(exc, match=pattern):
        call()


def test_valid_calls_still_work():
    assert T.cat([_f(2, 2), T.zeros(0), _f(1, 2)]).shape == (3, 2)
    assert T.hstack([_f(3), _f(2)]).shape == (5,)
    assert T.roll(T.arange(4), 1).tolist() == [3, 0, 1, 2]
    assert T.roll(T.arange(4).reshape(2, 2), (1, 1), (0, 1)).tolist() == [[3, 2], [1, 0]]
    assert T.amax(_f(2, 0), dim=0).shape == (0,)
    assert T.scatter(T.zeros(3), 0, T.tensor([1]), 2.0).tolist() == [0.0, 2.0, 0.0]
    assert T.movedim(_f(2, 3, 4), (0, 1), (2, 0)).shape == (3, 4, 2)
    assert T.tensordot(T.ones(2, 1), T.ones(3, 2), dims=([-1], [0])).shape == (2, 2)
    assert T.cat([_f(2), _f(2)], out=T.empty(4, dtype=T.float64)).dtype == T.float64  # casts, as torch
    assert T.einsum("...ij,...jk->...ik", _f(2, 3, 4), _f(2, 4, 5)).shape == (2, 3, 5)
    assert T.sum(_f(), 0).shape == () and T.sum(_f(2, 3), (0, -1)).item() == 3.0
