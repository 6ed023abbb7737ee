"""Autograd misuse gets torch's behaviour (issue 14 §8): wrong-shape gradients from a custom
Function, `.data` swapped for another shape, NaN produced in backward under detect_anomaly.
Each scenario runs on torch and jtorch; the outcome (error type and text, or gradient) must
agree."""
import warnings

import pytest

torch = pytest.importorskip("torch")
import jtorch  # noqa: E402


def _function(lib, grad_shape):
    class F(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return lib.ones(grad_shape)
    return F


def wrong_shape(lib):
    x = lib.ones(2, requires_grad=True)
    _function(lib, (3,)).apply(x).sum().backward()
    return x.grad


def broadcast_shape(lib):  # a gradient the input broadcasts to is summed down to it
    x = lib.ones(2, requires_grad=True)
    _function(lib, (3, 2)).apply(x).sum().backward()
    return x.grad


def scalar_input(lib):
    x = lib.tensor(1.0, requires_grad=True)
    _function(lib, (4,)).apply(x).backward()
    return x.grad


def data_swapped(lib):  # torch 2.13 does not raise: the gradient keeps the old shape
    w = lib.ones(3, requires_grad=True)
    y = (w * 2).sum()
    w.data = lib.ones(4)
    y.backward()
    return w.grad


def anomaly_nan(lib):
    x = lib.tensor([-1.0, 4.0], requires_grad=True)
    with lib.autograd.detect_anomaly():
        lib.sqrt(x).sum().backward()
    return x.grad


def anomaly_inf_is_fine(lib):
    x = lib.tensor([0.0, 4.0], requires_grad=True)
    with lib.autograd.detect_anomaly():
        lib.sqrt(x).sum().backward()
    return x.grad


def anomaly_off_gives_nan(lib):
    x = lib.tensor([-1.0], requires_grad=True)
    lib.sqrt(x).sum().backward()
    return x.grad


def _outcome(lib, fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            g = fn(lib)
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e).split("\n")[0]
    return "value", [str(v) for v in g.detach().reshape(-1).tolist()]


@pytest.mark.parametrize("fn", [wrong_shape, broadcast_shape, scalar_input, data_swapped,
                                anomaly_nan, anomaly_inf_is_fine, anomaly_off_gives_nan],
                         ids=lambda f: f.__name__)
def test_same_outcome(fn):
    assert _outcome(jtorch, fn) == _outcome(torch, fn)
