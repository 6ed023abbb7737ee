"""gradcheck/gradgradcheck and the anomaly/multithreading switches vs torch."""
from __future__ import annotations

import pytest

from compat._harness import randn


def _wrong_backward(lib):
    class Bad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3
    return Bad.apply


CASES = {
    "gradcheck_sum": lambda lib, x: lib.autograd.gradcheck(lambda t: (t.sin() * t).sum(), (x,)),
    "gradcheck_vector": lambda lib, x: lib.autograd.gradcheck(lambda t: t.exp() * t, (x,)),
    "gradcheck_two_inputs": lambda lib, x: lib.autograd.gradcheck(
        lambda a, b: (a * b.tanh()).sum(), (x, x.detach().clone().requires_grad_())),
    "gradgradcheck": lambda lib, x: lib.autograd.gradgradcheck(lambda t: (t.sin() * t).sum(), (x,)),
    "gradcheck_wrong_backward": lambda lib, x: lib.autograd.gradcheck(
        _wrong_backward(lib), (x,), raise_exception=False),
    "gradcheck_wrong_backward_raises": lambda lib, x: lib.autograd.gradcheck(_wrong_backward(lib), (x,)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck(compat, name):
    x = randn(4)  # float64

    def f(lib):
        t = lib.tensor(x, requires_grad=True)
        return CASES[name](lib, t)
    compat.value(f)


def test_switches(compat):
    def f(lib):
        A = lib.autograd
        out = [A.is_multithreading_enabled()]
        with A.set_multithreading_enabled(False):
            out.append(A.is_multithreading_enabled())
        out.append(A.is_multithreading_enabled())
        with A.detect_anomaly():
            out.append(lib.is_anomaly_enabled())
        out.append(lib.is_anomaly_enabled())
        with A.set_detect_anomaly(True):
            out.append(lib.is_anomaly_enabled())
        out.append(lib.is_anomaly_enabled())
        return out
    compat.value(f)
