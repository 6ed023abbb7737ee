"""FlopCounterMode and TorchDispatchMode (values checked against torch 2.13 by hand)."""
from __future__ import annotations

import jtorch
from jtorch.utils._python_dispatch import TorchDispatchMode, _get_current_dispatch_mode
from jtorch.utils.flop_counter import FlopCounterMode

F = jtorch.nn.functional


def _counts(m):
    return {mod: {str(k): v for k, v in c.items()} for mod, c in m.get_flop_counts().items()}


def test_linear_conv_counts():
    with FlopCounterMode(display=False) as m:
        F.linear(jtorch.randn(4, 8), jtorch.randn(16, 8), jtorch.randn(16))
        F.conv2d(jtorch.randn(2, 3, 9, 9), jtorch.randn(5, 3, 3, 3), padding=1, stride=2)
    assert _counts(m) == {"Global": {"aten.addmm": 1024, "aten.convolution": 13500}}
    assert m.get_total_flops() == 14524


def test_backward_and_modules():
    lin = jtorch.nn.Linear(8, 16)
    x = jtorch.randn(4, 8, requires_grad=True)
    with FlopCounterMode(display=False) as m:
        lin(x).sum().backward()
    assert _counts(m) == {"Global": {"aten.addmm": 1024, "aten.mm": 2048},
                          "Linear": {"aten.addmm": 1024, "aten.mm": 2048}}


def test_under_compile_counts_at_trace_and_values_match():
    lin = jtorch.nn.Linear(8, 16)
    f = jtorch.compile(lambda t: lin(t).sum())
    x = jtorch.randn(4, 8)
    eager = lin(x).sum().item()
    for _ in range(3):
        assert abs(f(x).item() - eager) < 1e-5
    with FlopCounterMode(display=False) as m:
        lin(x)
    assert m.get_total_flops() == 1024


def test_dispatch_mode_nesting():
    seen = []

    class D(TorchDispatchMode):
        def __init__(self, tag):
            super().__init__()
            self.tag = tag

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            seen.append((self.tag, func.__name__))
            return func(*args, **(kwargs or {}))
    a = jtorch.ones(2)
    with D("outer"), D("inner") as inner:
        assert _get_current_dispatch_mode() is inner
        b = a * 3
    assert seen == [("inner", "mul.default"), ("outer", "mul.default")]
    assert b.tolist() == [3.0, 3.0] and _get_current_dispatch_mode() is None
