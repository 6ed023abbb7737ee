"""jtorch.compile and Python numbers on the objects a step reaches: never a silent wrong result.

A trace bakes in the Python numbers it reads, and runs Python side effects once. So a number
the step reads must not be stale after it changes, and a step that changes a Python number
must do so on every call (as eager does), or run eagerly with a warning.
"""
from __future__ import annotations

import warnings

import numpy as np

import jtorch as torch
import jtorch.nn as nn


class Trainer:
    """A plain object holding a model and Python numbers."""

    def __init__(self):
        torch.manual_seed(0)
        self.model = nn.Linear(2, 2)
        self.scale, self.calls, self.seen = 1.0, 0, 0

    def read_scale(self, x):
        return self.model(x).sum() * self.scale

    def count_calls(self, x):
        self.calls += 1
        return self.model(x).sum()

    def branch(self, x):
        y = self.model(x).sum()
        return y * 2 if self.calls % 2 else y


def _x():
    return torch.tensor(np.arange(6, dtype=np.float32).reshape(3, 2))


def _quiet(f, *a):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*a)


def test_number_read_by_the_step_is_not_stale():
    t, x = Trainer(), _x()
    f = torch.compile(t.read_scale)
    for _ in range(3):
        _quiet(f, x)
    for scale in (2.0, -0.5, 3.0):
        t.scale = scale
        np.testing.assert_allclose(_quiet(f, x).item(), t.read_scale(x).item(), rtol=1e-6)


def test_side_effect_on_a_number_happens_every_call():
    t, x = Trainer(), _x()
    f = torch.compile(t.count_calls)
    for _ in range(6):
        _quiet(f, x)
    assert t.calls == 6


def test_number_in_python_control_flow_follows_eager():
    t, x = Trainer(), _x()
    f = torch.compile(t.branch)
    for i in range(5):
        t.calls = i
        np.testing.assert_allclose(_quiet(f, x).item(), t.branch(x).item(), rtol=1e-6)


def test_counter_changed_outside_and_never_read_does_not_retrace_every_call():
    t, x = Trainer(), _x()
    f = torch.compile(t.read_scale)
    for i in range(12):
        t.seen = i  # bookkeeping the step never reads
        _quiet(f, x)
    assert len(f.cache) <= 2


COUNT = 0


def _global_counter(model, x):
    global COUNT
    COUNT += 1
    return model(x).sum()


def test_global_counter_side_effect_runs_eagerly_with_a_warning():
    global COUNT
    COUNT = 0
    t, x = Trainer(), _x()
    f = torch.compile(_global_counter)
    f(t.model, x)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        f(t.model, x)
        f(t.model, x)
    assert COUNT == 3
    assert any("side effects" in str(m.message) and "COUNT" in str(m.message) for m in w)


def test_side_effect_before_an_untraceable_call_is_not_doubled():
    class Counting(Trainer):
        def step(self, x):
            self.calls += 1
            y = self.model(x).sum()
            return y * 2 if y.item() > 0 else y  # needs a concrete value: eager fallback

    t, x = Counting(), _x()
    f = torch.compile(t.step)
    for _ in range(4):
        _quiet(f, x)
    assert t.calls == 4


def test_fullgraph_refuses_a_side_effect():
    t, x = Trainer(), _x()
    f = torch.compile(t.count_calls, fullgraph=True)
    try:
        f(x)  # jtorch cannot replay the side effect: fullgraph raises at the first call
    except Exception as e:  # noqa: BLE001
        assert "side effects" in str(e) and "Trainer.calls" in str(e)
    else:
        raise AssertionError("fullgraph=True must raise")
    assert t.calls == 0  # the trace that found it was undone


def test_lifted_number_keeps_python_number_promotion():
    class Half(Trainer):
        def step(self, x):
            return x.half() * self.scale  # a Python float never widens a float16 tensor

    t, x = Half(), _x()
    f = torch.compile(t.step)
    for i in range(4):
        t.scale = 0.5 + i  # changes every call: lifted to a traced input
        y = _quiet(f, x)
        assert y.dtype == torch.float16
        np.testing.assert_allclose(y.float().numpy(), t.step(x).float().numpy())
