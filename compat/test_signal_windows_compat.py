"""torch.signal.windows on both libraries: every window, symmetric and periodic, both float dtypes."""
import pytest

CASES = {
    "bartlett": {}, "blackman": {}, "cosine": {}, "hamming": {}, "hann": {}, "nuttall": {},
    "exponential": {"tau": 2.5}, "gaussian": {"std": 1.7}, "kaiser": {"beta": 6.0},
    "general_cosine": {"a": [0.46, 0.23, 0.31]}, "general_hamming": {"alpha": 0.6},
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("sym", [True, False])
def test_window(compat, name, sym):
    kw = CASES[name]
    compat.same(lambda lib: [getattr(lib.signal.windows, name)(m, sym=sym, **kw) for m in (0, 1, 2, 7, 10)]
                + [getattr(lib.signal.windows, name)(9, sym=sym, dtype=lib.float64, **kw)],
                grad=False, rtol=1e-6, atol=1e-7)


def test_periodic_exponential_center(compat):
    compat.same(lambda lib: lib.signal.windows.exponential(6, center=1.5, sym=False, dtype=lib.float64),
                grad=False)
