"""Normalisation of a bfloat16/float16 input with float32 weight and bias returns the input's
dtype, as torch's mixed-type CPU kernels (jtorch returned float32); values and gradients equal
torch's, eagerly and compiled."""
import numpy as np
import pytest

import jtorch

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(11)
X = (_rng.standard_normal((4, 6, 5)) * 3).astype(np.float32)
W, B = _rng.standard_normal(6).astype(np.float32), _rng.standard_normal(6).astype(np.float32)
W5, B5 = _rng.standard_normal(5).astype(np.float32), _rng.standard_normal(5).astype(np.float32)
NORMS = {
    "layer_norm": lambda F, x, w, b, w5, b5: F.layer_norm(x, (5,), w5, b5),
    "group_norm": lambda F, x, w, b, w5, b5: F.group_norm(x, 3, w, b),
    "instance_norm": lambda F, x, w, b, w5, b5: F.instance_norm(x, weight=w, bias=b),
    "batch_norm_eval": lambda F, x, w, b, w5, b5: F.batch_norm(
        x, x.new_zeros(6).float(), x.new_ones(6).float(), w, b, training=False),
}


def _run(L, name, dt, compiled=False):
    x = L.tensor(X).to(getattr(L, dt)).requires_grad_()
    ps = [L.tensor(a).requires_grad_() for a in (W, B, W5, B5)]

    def f(x, *ps):
        y = NORMS[name](L.nn.functional, x, *ps)
        y.float().sum().backward()
        return y
    g = jtorch.compile(f) if compiled else f
    if compiled:
        g(x, *ps)  # the first call runs eagerly; the second runs the program
        for t in (x, *ps):
            t.grad = None
    y = g(x, *ps)
    return [str(y.dtype), str(x.grad.dtype)], [y.detach().double().numpy(), x.grad.double().numpy()] + \
        [p.grad.double().numpy() for p in ps if p.grad is not None]


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("dt", ["bfloat16", "float16"])
@pytest.mark.parametrize("name", list(NORMS))
def test_half_input_float_params_match_torch(name, dt, compiled):
    t_types, t_vals = _run(torch, name, dt)
    j_types, j_vals = _run(jtorch, name, dt, compiled)
    assert j_types == t_types
    tol = 2e-2 if dt == "bfloat16" else 2e-3
    for a, b in zip(j_vals, t_vals):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
