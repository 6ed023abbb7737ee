"""Autograd misuse (issue 14 §8): expected behaviour read from torch 2.13."""
import pytest

import jtorch as T


def _function(grad_shape):
    class F(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return T.ones(grad_shape)
    return F


def test_wrong_shape_gradient_raises():
    x = T.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"FBackward returned an invalid gradient at index 0 - "
                                           r"got \[3\] but expected shape compatible with \[2\]"):
        _function((3,)).apply(x).sum().backward()


def test_broadcastable_gradient_is_summed_down():
    x = T.ones(2, requires_grad=True)
    _function((3, 2)).apply(x).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_detect_anomaly_names_the_backward_that_made_nan():
    x = T.tensor([-1.0, 4.0], requires_grad=True)
    with T.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values in "
                                               "its 0th output"):
            T.sqrt(x).sum().backward()
    y = T.tensor([-1.0], requires_grad=True)
    T.sqrt(y).sum().backward()  # off: NaN passes, as in torch
    assert y.grad.isnan().all()
