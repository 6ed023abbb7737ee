"""Python and NumPy values a compiled function reads are not silently stale: a bool attribute
flipped between calls (a Python branch on it), a number switching type (1 -> 1.0 -> True) and a
NumPy array written in place after the trace give torch.compile's results (torch re-guards the
first two and reads the array afresh; jtorch retraces, or runs eagerly with a warning while the
array differs from its traced values). Python and NumPy random draws inside the function are new
on every call, as torch.compile's (jtorch runs such a function eagerly, with a warning)."""
import random
import warnings

import numpy as np
import pytest

import jtorch

torch = pytest.importorskip("torch")


def _compiled(L, fn):
    # torch's dynamo guards are the same for every backend; "eager" skips inductor's C++ build
    return torch.compile(fn, backend="eager") if L is torch else jtorch.compile(fn)


def _run(L, build, calls=6):
    L.manual_seed(0)
    random.seed(0), np.random.seed(0)
    fn, mutate = build(L)
    f = _compiled(L, fn)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(calls):
            mutate(i)
            y = f(L.arange(3))
            out.append((str(y.dtype), y.detach().numpy().tolist()))
    return out


def _bool_flag(L):
    class M(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.flag = False

        def forward(self, x):
            return x * 2 if self.flag else x - 1
    m = M()

    def mutate(i):
        m.flag = i % 2 == 1
    return m, mutate


def _number_type(L):
    class M(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.k = 1

        def forward(self, x):
            return x * self.k
    m = M()

    def mutate(i):
        m.k = [1, 1, 1.0, 1.0, True, 1][i]
    return m, mutate


def _numpy_in_place(L):
    table = np.ones(3, np.float32)

    def fn(x):
        return x * L.from_numpy(table) + L.tensor(table).sum()

    def mutate(i):
        if i >= 3:
            table[:] = i
    return fn, mutate


def _python_random(L):
    return (lambda x: x * random.random() if random.random() < 0.5 else x * 3), (lambda i: None)


def _numpy_random(L):
    return (lambda x: x * float(np.random.rand())), (lambda i: None)


@pytest.mark.parametrize("build", [_bool_flag, _number_type, _numpy_in_place, _python_random,
                                   _numpy_random],
                         ids=["bool-flag", "number-type", "numpy-in-place", "python-random",
                              "numpy-random"])
def test_compiled_reads_current_values_as_torch(build):
    assert _run(jtorch, build) == _run(torch, build)
