"""jtorch.compile and NumPy arrays converted inside the function: values baked into the program
are checked per call (jtorch/_compiled/host_arrays.py)."""
import random
import warnings

import numpy as np
import pytest

import jtorch as torch


def test_unchanged_array_stays_compiled():
    table = np.arange(3, dtype=np.float32)
    f = torch.compile(lambda x: x * torch.from_numpy(table))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning while the array keeps its values
        for _ in range(4):
            y = f(torch.ones(3))
    assert y.tolist() == [0.0, 1.0, 2.0] and f.traces == 1


def test_array_written_in_place_runs_eagerly_with_one_warning():
    buf = np.zeros((2, 3), np.float32)
    f = torch.compile(lambda x: x + torch.tensor(buf))
    f(torch.ones(2, 3)), f(torch.ones(2, 3))  # traced and compiled with buf == 0
    with pytest.warns(UserWarning, match="changed in place since the function was traced"):
        buf[:] = 5
        assert f(torch.ones(2, 3)).tolist() == [[6.0] * 3] * 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once per function
        buf[0] = 7
        assert f(torch.ones(2, 3)).tolist() == [[8.0] * 3, [6.0] * 3]
        buf[:] = 0  # back to the traced values: the program runs again
        assert f(torch.ones(2, 3)).tolist() == [[1.0] * 3] * 2
    assert f.traces == 1


def test_nan_values_are_unchanged_values():
    a = np.array([np.nan, 1.0], np.float32)
    f = torch.compile(lambda x: x + torch.from_numpy(a))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            y = f(torch.zeros(2))
    assert np.isnan(y[0].item()) and y[1].item() == 1.0


def test_bool_and_number_type_attributes_are_guarded():
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.flag, self.k = False, 1

        def forward(self, x):
            return x * self.k if self.flag else x - self.k
    m = M()
    f = torch.compile(m)
    x = torch.arange(3)
    for flag, k in [(False, 1), (False, 1), (True, 1), (True, 1.0), (False, True), (True, 1)]:
        m.flag, m.k = flag, k
        y, e = f(x), m(x)
        assert y.dtype == e.dtype and y.tolist() == e.tolist(), (flag, k)


def _draws(compiled, source):
    random.seed(0), np.random.seed(0)
    gen, rnd = np.random.default_rng(0), random.Random(0)
    draw = {"random": lambda: random.random(), "np.random": lambda: float(np.random.rand()),
            "Generator": lambda: float(gen.random()), "Random": lambda: rnd.random()}[source]

    def f(x):
        return x * draw()
    g = torch.compile(f) if compiled else f
    return [g(torch.ones(1)).item() for _ in range(4)]


@pytest.mark.parametrize("source", ["random", "np.random", "Generator", "Random"])
def test_random_draws_are_not_baked_in(source):
    eager = _draws(False, source)
    assert len(set(eager)) == 4
    with pytest.warns(UserWarning, match="draws from"):
        assert _draws(True, source) == eager  # the trace's draw is put back: the same stream
