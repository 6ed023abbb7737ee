"""Eager ops over ever-changing shapes keep a bounded number of executables (issue 14 §7)."""
import numpy as np

import jtorch as torch
from jtorch import _op_cache_bound as bound


def test_executables_are_dropped_after_the_limit_and_results_stay_right():
    old = bound.LIMIT[0]
    bound.LIMIT[0] = 15
    r0 = bound.RESETS[0]
    try:
        for n in range(1, 40):
            x = torch.arange(float(n), requires_grad=True)
            y = (x * 3 + 1).sum()
            y.backward()
            assert float(y) == 3 * n * (n - 1) / 2 + n
            np.testing.assert_array_equal(x.grad.numpy(), np.full(n, 3.0))
        assert bound.RESETS[0] > r0
        assert len(torch.ops._registry.REGISTRY["mul"].jit_plain.__class__.__name__) > 0
    finally:
        bound.LIMIT[0] = old
