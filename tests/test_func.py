"""jtorch.func: values against closed forms, structure of results, composition, errors."""
import math

import numpy as np
import pytest

import jtorch as torch
from jtorch import func

X = [0.5, -1.0, 2.0]


def close(t, expected, tol=1e-5):
    np.testing.assert_allclose(np.asarray(t.detach().numpy(), dtype=np.float64),
                               np.asarray(expected, dtype=np.float64), rtol=tol, atol=tol)


def test_grad_and_value_closed_forms():
    x = torch.tensor(X)
    g, v = func.grad_and_value(lambda x: (x ** 3).sum())(x)
    close(g, [3 * a * a for a in X])
    close(v, sum(a ** 3 for a in X))
    assert g.dtype == torch.float32 and not g.requires_grad and g.grad_fn is None


def test_grad_argnums_and_aux():
    x, y = torch.tensor(X), torch.tensor([1.0, 2.0, 3.0])
    gx, gy = func.grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(x, y)
    close(gx, [1, 2, 3])
    close(gy, X)
    gy = func.grad(lambda x, y: (x * y).sum(), argnums=1)(x, y)
    close(gy, X)
    g, aux = func.grad(lambda x: ((x ** 2).sum(), {"c": x.cos()}), has_aux=True)(x)
    close(g, [2 * a for a in X])
    close(aux["c"], [math.cos(a) for a in X])


def test_grad_requires_scalar():
    with pytest.raises(RuntimeError, match="scalar Tensor"):
        func.grad(lambda x: x * 2)(torch.tensor(X))


def test_grad_ignores_outer_no_grad_and_respects_inner():
    x = torch.tensor(X)
    with torch.no_grad():
        close(func.grad(lambda x: (x * x).sum())(x), [2 * a for a in X])

    def f(x):
        with torch.no_grad():
            c = x * 3
        return (c * x).sum()
    close(func.grad(f)(x), [3 * a for a in X])


def test_vjp_jvp_linearize():
    x = torch.tensor(X)
    out, fn = func.vjp(torch.sin, x)
    close(out, [math.sin(a) for a in X])
    (g,) = fn(torch.ones(3))
    close(g, [math.cos(a) for a in X])
    out, t = func.jvp(lambda x: x * x, (x,), (torch.ones(3),))
    close(t, [2 * a for a in X])
    out, jfn = func.linearize(torch.exp, x)
    close(jfn(torch.tensor([1.0, 0.0, 2.0])), [math.exp(X[0]), 0.0, 2 * math.exp(X[2])])


def test_jacobians_and_hessian():
    x = torch.tensor(X)
    j = func.jacrev(torch.sin)(x)
    close(j, np.diag([math.cos(a) for a in X]))
    close(func.jacfwd(torch.sin)(x), np.diag([math.cos(a) for a in X]))
    h = func.hessian(lambda x: (x ** 3).sum())(x)
    close(h, np.diag([6 * a for a in X]))
    jx, jy = func.jacrev(lambda x, y: x * y, argnums=(0, 1))(x, torch.ones(3))
    close(jx, np.eye(3))
    close(jy, np.diag(X))


def test_vmap_dims_chunks_and_composition():
    m = torch.arange(12.0).reshape(4, 3)
    close(func.vmap(lambda r: r.sum())(m), [3, 12, 21, 30])
    close(func.vmap(lambda c: c.sum(), in_dims=1)(m), [18, 22, 26])
    close(func.vmap(lambda r, v: r * v, in_dims=(0, None))(m, torch.tensor([1.0, 0.0, 2.0])),
          (np.arange(12.0).reshape(4, 3) * [1, 0, 2]))
    out = func.vmap(lambda r: r * 2, out_dims=1)(m)
    assert out.shape == (3, 4)
    close(func.vmap(torch.exp, chunk_size=3)(m), np.exp(np.arange(12.0).reshape(4, 3)), 1e-4)
    close(func.vmap(func.grad(lambda r: (r ** 2).sum()))(m), 2 * np.arange(12.0).reshape(4, 3))
    with pytest.raises(ValueError, match="same size"):
        func.vmap(lambda a, b: a + b)(m, torch.ones(3))


def test_vmap_randomness():
    with pytest.raises(RuntimeError, match="randomness"):
        func.vmap(lambda a: a + torch.randn(()))(torch.zeros(3))
    same = func.vmap(lambda a: a + torch.randn(()), randomness="same")(torch.zeros(3))
    assert float(same[0]) == float(same[1]) == float(same[2])
    diff = func.vmap(lambda a: a + torch.randn(()), randomness="different")(torch.zeros(3))
    assert len({float(v) for v in diff}) == 3


def test_result_connects_to_tape_autograd():
    x = torch.tensor(X)
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    g = func.grad(lambda w: (x * w).sum() ** 2)(w)  # 2 (x.w) x
    assert g.requires_grad
    g.sum().backward()
    close(w.grad, [2 * sum(X) * a for a in X])


class Affine(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(2, 3))
        self.register_buffer("shift", torch.zeros(2))

    def forward(self, x):
        return x @ self.weight.T + self.shift


def test_functional_call_swaps_and_restores():
    m = Affine()
    x = torch.ones(1, 3)
    out = func.functional_call(m, {"weight": torch.full((2, 3), 2.0), "shift": torch.ones(2)}, (x,))
    close(out, [[7.0, 7.0]])
    assert isinstance(m.weight, torch.nn.Parameter) and float(m.weight.sum()) == 6.0
    g = func.grad(lambda p: func.functional_call(m, p, x).sum())({"weight": torch.zeros(2, 3)})
    close(g["weight"], np.ones((2, 3)))
    with pytest.raises(RuntimeError, match=r"Unexpected key\(s\): .nope."):  # torch's text
        func.functional_call(m, {"weight": torch.ones(2, 3), "nope": torch.ones(1)}, x, strict=True)


def test_stack_module_state_and_vmap_over_models():
    models = [Affine() for _ in range(3)]
    for i, m in enumerate(models):
        with torch.no_grad():
            m.weight.fill_(float(i))
    params, buffers = func.stack_module_state(models)
    assert params["weight"].shape == (3, 2, 3) and params["weight"].requires_grad
    assert buffers["shift"].shape == (3, 2)
    x = torch.ones(1, 3)
    out = func.vmap(lambda p, b: func.functional_call(models[0], (p, b), (x,)))(params, buffers)
    close(out.detach(), [[[0.0, 0.0]], [[3.0, 3.0]], [[6.0, 6.0]]])
    assert torch.vmap is func.vmap


def test_grad_keeps_other_arguments_on_the_tape():
    x = torch.tensor(X)
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    g = func.grad(lambda x, w: (x * w).sum() ** 2)(x, w)  # d/dx = 2 (x.w) w
    g.sum().backward()  # d/dw of 2 (x.w) sum(w) = 2 x sum(w) + 2 (x.w)
    xw = sum(a * b for a, b in zip(X, [1.0, 2.0, 3.0]))
    close(w.grad, [2 * a * 6.0 + 2 * xw for a in X])
    j = func.jacrev(lambda x, w: x * w)(x, w)
    j.sum().backward()
    close(w.grad, [2 * a * 6.0 + 2 * xw + 1.0 for a in X])
