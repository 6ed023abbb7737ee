"""Eager ops over ever-changing shapes keep a bounded number of executables (issue 14 §7)."""
import numpy as np

import jtorch as torch
from jtorch import _op_cache_bound as bound


def _limit(n):
    old = bound.LIMIT[0], bound._COUNT[0]
    bound.LIMIT[0], bound._COUNT[0] = n, 0
    return old


def test_executables_are_dropped_after_the_limit_and_results_stay_right():
    old = _limit(10)
    bound.RESETS[0] = max(bound.RESETS[0], 1)  # past the first reset: no warning
    r0 = bound.RESETS[0]
    try:
        for n in range(1, 14):
            x = torch.arange(float(n), requires_grad=True)
            y = (x * 3 + 1).sum()
            y.backward()
            assert float(y) == 3 * n * (n - 1) / 2 + n
            np.testing.assert_array_equal(x.grad.numpy(), np.full(n, 3.0))
        assert bound.RESETS[0] > r0
    finally:
        bound.LIMIT[0], bound._COUNT[0] = old


def test_jax_caches_are_cleared_at_the_next_op_outside_a_trace():
    bound.reset()
    assert bound.PENDING[0]
    assert torch.ops._registry.REGISTRY["mul"].jit_plain is None
    x = torch.arange(5.0, requires_grad=True)
    (x * 2).sum().backward()  # rebuilds mul: JAX's caches are cleared first
    assert not bound.PENDING[0]
    np.testing.assert_array_equal(x.grad.numpy(), np.full(5, 2.0))


def test_a_reset_while_a_compiled_function_traces_waits_for_the_trace_to_end():
    def step(x, n):
        if n == 1:
            bound.reset()  # as if the bound were reached by a compile inside the trace
        return (x.sin() * 2).sum()

    f = torch.compile(lambda x: step(x, calls[0]))
    calls = [0]
    x = torch.arange(4.0)
    for calls[0] in range(3):  # call 1 traces (call 0 runs eagerly)
        out = f(x)
        assert abs(float(out) - float((x.sin() * 2).sum())) < 1e-6
    # the trace left the clearing pending (ops were built inside it); the next eager op does it
    torch.ops._registry.REGISTRY["cos"].jit_plain = None
    x.cos()
    assert not bound.PENDING[0]


def test_compiled_programs_survive_a_reset():
    lin = torch.nn.Linear(3, 2)
    f = torch.compile(lambda x: lin(x).sum())
    x = torch.ones(4, 3)
    want = float(lin(x).sum())
    f(x), f(x)
    bound.reset()
    torch.ones(1).add(1)
    assert abs(float(f(x)) - want) < 1e-6


def test_the_first_reset_warns_once_naming_the_setting():
    import pytest
    r = bound.RESETS[0]
    bound.RESETS[0] = 0
    try:
        with pytest.warns(UserWarning, match="JTORCH_MAX_EXECUTABLES"):
            bound.reset()
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            bound.reset()
    finally:
        bound.RESETS[0] = max(r, bound.RESETS[0])
    torch.ones(2).add(1)
