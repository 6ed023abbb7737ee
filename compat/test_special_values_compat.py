"""Forward values at special points (NaN, +-0, +-inf) that differed from torch 2.13: sign/sgn
(sign(NaN) is 0, sign(-0.0) is +0.0) and Tensor ** Python number (0.5 and -0.5 are torch's
sqrt and rsqrt; a Tensor exponent is pow). Compared bit for bit, signs of zeros included,
eagerly and as a compiled function (its installed program: the second call), with the input
reached as an argument and through a closure."""
import numpy as np
import pytest

import jtorch

torch = pytest.importorskip("torch")

X = np.array([np.nan, -0.0, 0.0, -3.0, 2.0, -np.inf, np.inf, 0.25])
CASES = {
    "sign": lambda L, x: L.sign(x),
    "sgn": lambda L, x: x.sgn(),
    "pow_half": lambda L, x: x ** 0.5,
    "pow_neg_half": lambda L, x: x ** -0.5,
    "pow_two": lambda L, x: x ** 2,
    "pow_tensor_half": lambda L, x: L.pow(x, L.tensor(0.5, dtype=x.dtype)),
    "pow_method": lambda L, x: x.pow(0.5),
}


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype
    np.testing.assert_array_equal(a, b)  # NaN where torch has NaN
    ok = ~np.isnan(b)  # a NaN's sign bit means nothing in torch
    np.testing.assert_array_equal(np.signbit(a[ok]), np.signbit(b[ok]))  # the same signed zeros


@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_values_equal_torch_eager_and_compiled(name, dt):
    fn = CASES[name]
    want = fn(torch, torch.tensor(X, dtype=getattr(torch, dt))).numpy()
    x = jtorch.tensor(X, dtype=getattr(jtorch, dt))
    _same(fn(jtorch, x).numpy(), want)
    by_arg = jtorch.compile(lambda t: fn(jtorch, t))
    by_closure = jtorch.compile(lambda: fn(jtorch, x))
    for _ in range(2):  # the first call runs eagerly; the second runs the installed program
        got_arg, got_closure = by_arg(x), by_closure()
    _same(got_arg.numpy(), want)
    _same(got_closure.numpy(), want)
