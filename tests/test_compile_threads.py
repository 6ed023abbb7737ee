"""jtorch.compile from several threads, each with its own model (issue 14, section 6): tracing
state, RNG keys and the trace audit are per thread, so results equal sequential eager runs."""
from __future__ import annotations

import threading
import warnings

import numpy as np

import jtorch as torch
import jtorch.nn as nn


def _train(seed, compiled, steps=5):
    g = torch.Generator().manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.25), nn.Linear(8, 1))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.3)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    x = torch.randn(16, 4, generator=g)
    y = torch.randn(16, 1, generator=g)

    def step():
        opt.zero_grad()
        # dropout draws from a per-thread generator: deterministic per seed
        h = model[1](model[0](x))
        h = h * (torch.rand(h.shape, generator=g) > 0.25) / 0.75
        loss = ((model[3](h) - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss
    f = torch.compile(step) if compiled else step
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [float(f()) for _ in range(steps)]


def test_threads_each_compiling_their_own_model():
    seeds = [1, 2, 3, 4]
    want = {s: _train(s, False) for s in seeds}
    got, errors = {}, []

    def run(s):
        try:
            got[s] = _train(s, True)
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(repr(e))
    threads = [threading.Thread(target=run, args=(s,)) for s in seeds]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    for s in seeds:
        np.testing.assert_allclose(got[s], want[s], rtol=1e-5, atol=1e-6)


def test_eager_random_draws_in_another_thread_during_a_trace():
    """The default generator's key is never a tracer for another thread."""
    stop = threading.Event()
    errors = []

    def draw():
        while not stop.is_set():
            try:
                torch.rand(3).numpy()
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))
                return
    t = threading.Thread(target=draw)
    t.start()
    try:
        for s in range(3):
            _train(10 + s, True, steps=3)
    finally:
        stop.set()
        t.join(timeout=60)
    assert not errors, errors[:1]
