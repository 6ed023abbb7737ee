"""cat/stack of long tensor lists cost linear time (issue 14 §7): numpy joins and splits on the
CPU, equal to the ordinary (XLA) path in values, dtypes, grad_fn names and gradients."""
from __future__ import annotations

import time

import numpy as np
import pytest

import jtorch as torch
from jtorch import _long_lists


def _ordinary(monkeypatch):
    monkeypatch.setattr(_long_lists, "LONG", 10**9)


@pytest.mark.parametrize("op,dim", [("cat", 0), ("cat", 1), ("cat", -1), ("stack", 0),
                                    ("stack", 2), ("stack", -1)])
def test_long_join_equals_the_ordinary_path(op, dim, monkeypatch):
    rng = np.random.default_rng(0)
    data = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(80)]
    w = rng.standard_normal(1).astype(np.float32)

    def run():
        xs = [torch.tensor(d, requires_grad=True) for d in data]
        y = getattr(torch, op)(xs, dim)
        (y * y * float(w[0])).sum().backward()
        return y, [x.grad for x in xs]
    y1, g1 = run()
    _ordinary(monkeypatch)
    y2, g2 = run()
    assert y1.shape == y2.shape and y1.dtype == y2.dtype
    assert type(y1.grad_fn).__name__ == type(y2.grad_fn).__name__
    np.testing.assert_array_equal(y1.detach().numpy(), y2.detach().numpy())
    for a, b in zip(g1, g2):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


def test_long_join_errors_come_from_the_ordinary_path():
    xs = [torch.ones(2, 3) for _ in range(70)] + [torch.ones(2, 4)]
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size|must match|"
                                           "size"):
        torch.stack(xs)
    mixed = [torch.ones(2) for _ in range(70)] + [torch.ones(2, dtype=torch.float64)]
    assert torch.cat(mixed).dtype == torch.float64  # promotion: the ordinary path


def test_ten_thousand_leaves_stack_and_backward_quickly():
    xs = [torch.ones(3, requires_grad=True) for _ in range(10000)]
    t = time.perf_counter()
    torch.stack(xs).sum().backward()
    elapsed = time.perf_counter() - t
    assert xs[-1].grad.tolist() == [1.0, 1.0, 1.0]
    assert elapsed < 60  # minutes before (one XLA program per list length)


def test_long_join_compiled_equals_eager():
    xs = [torch.full((2,), float(i), requires_grad=True) for i in range(70)]

    def f(*ts):
        return (torch.stack(list(ts)) ** 2).sum()
    eager = f(*xs)
    eager.backward()
    want = [x.grad.clone() for x in xs]
    for x in xs:
        x.grad = None
    c = torch.compile(f)
    for _ in range(3):
        for x in xs:
            x.grad = None
        got = c(*xs)
        got.backward()
    assert float(got) == float(eager)
    for a, b in zip(xs, want):
        np.testing.assert_array_equal(a.grad.numpy(), b.numpy())
