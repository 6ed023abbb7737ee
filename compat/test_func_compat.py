"""torch.func transforms on both libraries: values, output structure and errors."""
import numpy as np
import pytest

from compat._harness import randn

X = randn(3)
Y = randn(3, seed=1)
M = randn(4, 3, seed=2)


def t(lib, a):
    return lib.tensor(a)


def f_scalar(lib):
    return lambda x: (x.sin() * x).sum()


CASES = {
    "grad": lambda lib: lib.func.grad(f_scalar(lib))(t(lib, X)),
    "grad_argnums_tuple": lambda lib: lib.func.grad(lambda x, y: (x * y.exp()).sum(),
                                                    argnums=(0, 1))(t(lib, X), t(lib, Y)),
    "grad_argnums_1": lambda lib: lib.func.grad(lambda x, y: (x * y.exp()).sum(),
                                                argnums=1)(t(lib, X), t(lib, Y)),
    "grad_has_aux": lambda lib: lib.func.grad(lambda x: ((x ** 2).sum(), x.cos()),
                                              has_aux=True)(t(lib, X)),
    "grad_and_value": lambda lib: lib.func.grad_and_value(f_scalar(lib))(t(lib, X)),
    "grad_and_value_aux": lambda lib: lib.func.grad_and_value(
        lambda x: ((x ** 2).sum(), x * 2), has_aux=True)(t(lib, X)),
    "grad_dict_input": lambda lib: lib.func.grad(
        lambda p: (p["a"] * p["b"]).sum())({"a": t(lib, X), "b": t(lib, Y)}),
    "grad_of_grad": lambda lib: lib.func.grad(
        lambda x: lib.func.grad(lambda y: (y ** 3).sum())(x).sum())(t(lib, X)),
    "grad_nonscalar_error": lambda lib: lib.func.grad(lambda x: x * 2)(t(lib, X)),
    "vjp": lambda lib: _vjp(lib),
    "vjp_two_inputs": lambda lib: _vjp2(lib),
    "jvp": lambda lib: lib.func.jvp(lambda x: x.sin() * 2, (t(lib, X),), (t(lib, Y),)),
    "jvp_has_aux": lambda lib: lib.func.jvp(lambda x: (x.sin(), x.cos()), (t(lib, X),),
                                            (t(lib, Y),), has_aux=True),
    "linearize": lambda lib: _linearize(lib),
    "jacrev": lambda lib: lib.func.jacrev(lambda x: x.sin() * x.sum())(t(lib, X)),
    "jacrev_argnums": lambda lib: lib.func.jacrev(lambda x, y: x * y, argnums=(0, 1))(
        t(lib, X), t(lib, Y)),
    "jacrev_matrix_out": lambda lib: lib.func.jacrev(lambda m: m @ m.T)(t(lib, M)),
    "jacfwd": lambda lib: lib.func.jacfwd(lambda x: x.exp() * x[0])(t(lib, X)),
    "jacfwd_has_aux": lambda lib: lib.func.jacfwd(lambda x: (x.exp(), x.sum()),
                                                  has_aux=True)(t(lib, X)),
    "hessian": lambda lib: lib.func.hessian(lambda x: (x ** 3).sum() * x[0])(t(lib, X)),
    "vmap": lambda lib: lib.func.vmap(lambda r: r @ r)(t(lib, M)),
    "vmap_in_dims": lambda lib: lib.func.vmap(lambda a, b: a * b, in_dims=(0, None))(
        t(lib, M), t(lib, X)),
    "vmap_in_dims_1": lambda lib: lib.func.vmap(lambda c: c.sum(), in_dims=1)(t(lib, M)),
    "vmap_out_dims_1": lambda lib: lib.func.vmap(lambda r: r * 2, out_dims=1)(t(lib, M)),
    "vmap_tuple_out": lambda lib: lib.func.vmap(lambda r: (r.sum(), r.max()))(t(lib, M)),
    "vmap_chunk_size": lambda lib: lib.func.vmap(lambda r: r.exp(), chunk_size=3)(t(lib, M)),
    "vmap_nested": lambda lib: lib.func.vmap(lib.func.vmap(lambda a: a * a))(t(lib, M)),
    "vmap_of_grad": lambda lib: lib.func.vmap(lib.func.grad(lambda r: (r ** 2).sum()))(t(lib, M)),
    "vmap_size_mismatch": lambda lib: lib.func.vmap(lambda a, b: a + b)(t(lib, M), t(lib, X)),
    "vmap_random_error": lambda lib: lib.func.vmap(lambda a: a + lib.randn(()))(t(lib, X)),
    "vmap_random_same_shape": lambda lib: lib.func.vmap(lambda a: a + lib.randn(2),
                                                        randomness="same")(t(lib, X)).shape,
    "vmap_random_different_rows": lambda lib: _different_rows(lib),
}


def _vjp(lib):
    out, fn = lib.func.vjp(lambda x: x.sin() * 3, t(lib, X))
    return out, fn(t(lib, Y))


def _vjp2(lib):
    out, fn = lib.func.vjp(lambda x, y: (x * y, x + y), t(lib, X), t(lib, Y))
    return out, fn((lib.ones(3), t(lib, X)))


def _linearize(lib):
    out, fn = lib.func.linearize(lambda x: x.sin() * x, t(lib, X))
    return out, fn(t(lib, Y))


def _different_rows(lib):
    out = lib.func.vmap(lambda a: a + lib.randn(()), randomness="different")(lib.zeros(4))
    return bool((out[0] != out[1]).item()), out.shape


@pytest.mark.parametrize("name", sorted(CASES))
def test_func(compat, name):
    compat.value(CASES[name], rtol=1e-6, atol=1e-9)


def _model(lib):
    class Affine(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = lib.nn.Parameter(lib.tensor(M[:2]))
            self.bias = lib.nn.Parameter(lib.tensor(X[:2]))
            self.register_buffer("shift", lib.tensor(Y[:2]))

        def forward(self, x):
            return x @ self.weight.T + self.bias + self.shift
    return Affine()


def test_functional_call(compat):
    def run(lib):
        m = _model(lib)
        params = {"weight": lib.tensor(M[1:3]), "bias": lib.tensor(Y[:2])}
        x = lib.tensor(M)
        out = lib.func.functional_call(m, params, (x,))
        g = lib.func.grad(lambda p, x: lib.func.functional_call(m, p, (x,)).pow(2).sum())(params, x)
        split = lib.func.functional_call(m, ({"weight": params["weight"]}, {"shift": params["bias"]}), x)
        return out, g, split, m.weight.shape
    compat.value(run, rtol=1e-6, atol=1e-9)


def test_functional_call_leaves_module(compat):
    def run(lib):
        m = _model(lib)
        w = m.weight.detach().clone()
        lib.func.functional_call(m, {"weight": lib.zeros(2, 3, dtype=lib.float64)}, lib.tensor(M))
        return bool((m.weight == w).all()), type(m.weight).__name__, m.weight.requires_grad
    compat.value(run)


def test_grad_connects_to_autograd(compat):
    def run(lib):
        w = lib.tensor(Y, requires_grad=True)
        g = lib.func.grad(lambda w: (lib.tensor(X) * w).sum() ** 2)(w)
        g.sum().backward()
        return w.grad
    compat.value(run, rtol=1e-6, atol=1e-9)
