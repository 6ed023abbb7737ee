"""Optimizer steps inside jtorch.compile give the eager results (the update functions trace,
and a scheduler changing lr every step feeds the compiled program new values)."""
from __future__ import annotations

import numpy as np
import pytest

import jtorch
import jtorch.nn as nn


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
                                         ("AdamW", dict(lr=0.01, amsgrad=True)),
                                         ("NAdam", dict(lr=0.01)),
                                         ("Rprop", dict(lr=0.01))])
def test_compiled_step_matches_eager(name, kwargs):
    jtorch.manual_seed(0)
    base = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    x, y = jtorch.randn(16, 4), jtorch.randn(16, 1)
    runs = []
    for compiled in (False, True):
        m = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
        m.load_state_dict(base.state_dict())
        opt = getattr(jtorch.optim, name)(m.parameters(), **kwargs)
        sched = jtorch.optim.lr_scheduler.ExponentialLR(opt, 0.8)

        def step():
            opt.zero_grad()
            loss = ((m(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            return loss

        fn = jtorch.compile(step) if compiled else step
        losses = []
        for _ in range(5):
            losses.append(float(fn()))
            sched.step()
        runs.append((losses, [p.detach().numpy().copy() for p in m.parameters()]))
        if compiled:
            # One program, reused although lr changed every step.
            assert not fn.eager_only and len(fn.cache) == 1
    (l0, p0), (l1, p1) = runs
    np.testing.assert_allclose(l1, l0, rtol=1e-6)
    for a, b in zip(p0, p1):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
