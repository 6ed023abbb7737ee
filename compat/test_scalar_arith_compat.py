"""Arithmetic with a Python number equals torch bit for bit: on bfloat16/float16 tensors torch
multiplies and divides by the number's float32 value and rounds once (rounding the number to
the half dtype first changed ~25-55% of elements), rounds `alpha` to the half dtype, and
computes `number / x` in every dtype as `x.reciprocal() * number` (one ulp off a direct
division on ~26% of float32 elements); eagerly and compiled, values and gradients."""
import numpy as np
import pytest

import jtorch

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(3)
A = (_rng.standard_normal(4096) * 10).astype(np.float32)
B = (_rng.standard_normal(4096) * 10).astype(np.float32)
CASES = {
    "x*s": lambda L, x, y: x * 0.55, "s*x": lambda L, x, y: 0.55 * x,
    "x/s": lambda L, x, y: x / 3.3, "s/x": lambda L, x, y: 3.3 / x,
    "x*0-dim": lambda L, x, y: x * L.tensor(0.55), "mul_": lambda L, x, y: x.clone().mul_(0.55),
    "div_": lambda L, x, y: x.clone().div_(3.3), "x+s": lambda L, x, y: x + 0.55,
    "add alpha": lambda L, x, y: L.add(x, y, alpha=0.3),
    "sub alpha": lambda L, x, y: L.sub(x, y, alpha=0.3),
}
# torch's vectorised add/sub with alpha fuse a multiply-add in float32 (one element in 10^4 differs)
AT_LEAST = {"add alpha": 0.999, "sub alpha": 0.999}


def _agree(name, dt, compiled):
    fn = CASES[name]
    t = fn(torch, *[torch.tensor(a).to(getattr(torch, dt)) for a in (A, B)])
    f = jtorch.compile(lambda x, y: fn(jtorch, x, y)) if compiled else (lambda x, y: fn(jtorch, x, y))
    args = [jtorch.tensor(a).to(getattr(jtorch, dt)) for a in (A, B)]
    out = f(*args)
    if compiled:  # the first call runs eagerly; the second runs the program
        out = f(*args)
    assert str(out.dtype) == str(t.dtype)
    return float(np.mean(out.double().numpy() == t.double().numpy()))


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("dt", ["bfloat16", "float16"])
@pytest.mark.parametrize("name", list(CASES))
def test_half_arithmetic_with_numbers_matches_torch(name, dt, compiled):
    assert _agree(name, dt, compiled) >= AT_LEAST.get(name, 1.0)


@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_number_divided_by_tensor_is_reciprocal_times_number(dt):
    assert _agree("s/x", dt, False) == 1.0
    names = [(3 / L.tensor(2.0, requires_grad=True)).grad_fn.name() for L in (torch, jtorch)]
    assert names[0] == names[1]  # MulBackward0


@pytest.mark.parametrize("dt", ["bfloat16", "float16"])
def test_half_gradient_of_product_with_number_matches_torch(dt):
    grads = []
    for L in (torch, jtorch):
        x = L.tensor(A).to(getattr(L, dt)).requires_grad_()
        (x * 0.55).backward(L.tensor(B).to(getattr(L, dt)))
        grads.append(x.grad.double().numpy())
    assert np.mean(grads[0] == grads[1]) == 1.0
