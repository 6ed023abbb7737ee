"""Eager ops over ever-changing shapes keep a bounded number of executables (issue 14 §7)."""
import numpy as np

import jtorch as torch
from jtorch import _op_cache_bound as bound


def _limit(n):
    old = bound.LIMIT[0], bound._COUNT[0]
    bound.LIMIT[0], bound._COUNT[0] = n, 0
    return old


def test_executables_are_dropped_after_the_limit_and_results_stay_right():
    old = _limit(6)
    bound.RESETS[0] = max(bound.RESETS[0], 1)  # past the first reset: no warning
    r0 = bound.RESETS[0]
    try:
        for n in range(1, 9):
            x = torch.arange(float(n), requires_grad=True)
            y = (x * 3 + 1).sum()
            y.backward()
            assert float(y) == 3 * n * (n - 1) / 2 + n
            np.testing.assert_array_equal(x.grad.numpy(), np.full(n, 3.0))
        assert bound.RESETS[0] > r0
    finally:
        bound.LIMIT[0], bound._COUNT[0] = old


def test_a_reset_gives_ops_fresh_jits_and_clears_jax_caches():
    torch.ones(3).mul(2)
    before = torch.ops._registry.REGISTRY["mul"].jit_plain
    bound.reset()
    after = torch.ops._registry.REGISTRY["mul"].jit_plain
    assert after is not None and after is not before  # never None: other threads may call it
    assert not bound.PENDING[0]
    x = torch.arange(5.0, requires_grad=True)
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(5, 2.0))


def test_clearing_waits_while_another_thread_traces_a_compiled_function():
    import threading

    from jtorch._compile import _TRACE_LOCK
    held, done = threading.Event(), threading.Event()

    def tracer():
        with _TRACE_LOCK:
            held.set()
            done.wait(30)
    t = threading.Thread(target=tracer)
    t.start()
    try:
        held.wait(30)
        bound.reset()
        assert bound.PENDING[0]  # not cleared under the other thread's trace
    finally:
        done.set()
        t.join(30)
    torch.arange(float(bound._COUNT[0] + 7)).add(1)  # a new shape: the next compile clears
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


def test_a_reset_inside_a_compiled_functions_trace_waits_and_keeps_results_right(monkeypatch):
    import jax

    from jtorch import _compile
    cleared_while_tracing = []
    real = jax.clear_caches
    monkeypatch.setattr(jax, "clear_caches",
                        lambda: cleared_while_tracing.append(_compile._TRACING[0]) or real())

    def step(x):
        if _compile._TRACING[0]:  # as if the bound were reached by a compile during the trace
            bound.reset()
        return (x.sin() * 2).sum()

    f = torch.compile(step)
    x = torch.arange(4.0)
    for _ in range(3):  # call 1 traces (call 0 runs eagerly)
        assert abs(float(f(x)) - float((x.sin() * 2).sum())) < 1e-6
    assert f.traces == 1 and not f.eager_only
    assert cleared_while_tracing and set(cleared_while_tracing) == {0}  # only after the trace
    assert not bound.PENDING[0]
