"""Cost of the `__torch_function__` check on plain Tensors: each public call vs the same call
made below the check (the function it wraps), interleaved; one line per case with the ratio.

Run: python benchmarks/bench_torch_function.py
"""
from __future__ import annotations

import statistics
import time

import _util  # noqa: F401  (one intra-op thread)

import jtorch
from jtorch import _dispatch, _indexing, _shape
from jtorch.ops._registry import REGISTRY

F = jtorch.nn.functional


def _round(fn, number=300):
    # CPU time of this process: less disturbed than wall time on a shared, loaded machine.
    t = time.process_time()
    for _ in range(number):
        fn()
    return (time.process_time() - t) / number * 1e6


def ratio(public, below, rounds=21):
    """Median over interleaved rounds of (public time / below time), and the below time."""
    for _ in range(30):
        public(), below()
    rs, base = [], []
    for _ in range(rounds):
        b = _round(below)
        p = _round(public)
        rs.append(p / b)
        base.append(b)
    return statistics.median(rs), statistics.median(base)


def _old_method(op):
    # The method as it was before the check (jtorch/_functions.py `method`).
    def fn(self, *args, **kwargs):
        return _dispatch.apply(op, (self,) + args, kwargs)
    return fn


def main():
    a, b = jtorch.rand(8), jtorch.rand(8)
    m = jtorch.rand(64, 64)
    T = jtorch.Tensor
    old_add, old_mm = _old_method(REGISTRY["add"]), _old_method(REGISTRY["matmul"])
    new_add, new_mm = T.__add__, T.__matmul__
    cases = [
        ("Tensor.add(a, b)", lambda: new_add(a, b), lambda: old_add(a, b)),
        ("Tensor.matmul(m, m)", lambda: new_mm(m, m), lambda: old_mm(m, m)),
        ("Tensor.view(a, 2, 4)", lambda: T.view(a, 2, 4), lambda: _shape.view(a, 2, 4)),
        ("Tensor.__getitem__(a, 3)", lambda: T.__getitem__(a, 3), lambda: _indexing.getitem(a, 3)),
        ("F.relu(m)", lambda: F.relu(m), lambda: F.relu.__wrapped__(m)),
    ]
    # The check alone, around a function that does nothing: its cost in ns, free of op noise.
    def noop(x, y):
        return None
    checked = jtorch.overrides.wrap(noop)
    r, base = ratio(lambda: checked(a, b), lambda: noop(a, b), rounds=31)
    added = (r - 1) * base * 1e3
    print(f"torch-function check on plain Tensors (active={jtorch.overrides.ACTIVE[0]}): "
          f"{added:.0f} ns per call (generic wrapper, around a no-op)")
    for name, new, old in cases:
        r, base = ratio(new, old)
        print(f"{name:26s} {base:8.2f} us without the check   with/without {r:.3f}   "
              f"check alone: {added / (base * 1e3) * 100:.2f}%")

    # Once any subclass with __torch_function__ exists, every call scans its arguments.
    class Sub(jtorch.Tensor):
        pass
    r, base = ratio(lambda: checked(a, b), lambda: noop(a, b), rounds=31)
    print(f"after a subclass is defined (active={jtorch.overrides.ACTIVE[0]}): "
          f"{(r - 1) * base * 1e3:.0f} ns per call for plain Tensors (argument scan)")


if __name__ == "__main__":
    main()
