"""torch.autograd.functional on both libraries."""
import pytest

from compat._harness import randn

X = randn(3)
Y = randn(2, seed=1)


def cube(x):
    return (x ** 3).sum() * x[0]


CASES = {
    "jacobian": lambda lib: lib.autograd.functional.jacobian(lambda x: x.sin() * x.sum(), lib.tensor(X)),
    "jacobian_forward": lambda lib: lib.autograd.functional.jacobian(
        lambda x: x.exp(), lib.tensor(X), strategy="forward-mode", vectorize=True),
    "jacobian_tuple_in": lambda lib: lib.autograd.functional.jacobian(
        lambda x, y: x.sum() * y, (lib.tensor(X), lib.tensor(Y))),
    "jacobian_tuple_out": lambda lib: lib.autograd.functional.jacobian(
        lambda x: (x.sin(), x.sum()), lib.tensor(X)),
    "jacobian_tuple_both": lambda lib: lib.autograd.functional.jacobian(
        lambda x, y: (x * 2, y.sum() * x), (lib.tensor(X), lib.tensor(Y))),
    "hessian": lambda lib: lib.autograd.functional.hessian(cube, lib.tensor(X)),
    "hessian_tuple": lambda lib: lib.autograd.functional.hessian(
        lambda x, y: (x.sum() * y.pow(2)).sum(), (lib.tensor(X), lib.tensor(Y))),
    "vjp": lambda lib: lib.autograd.functional.vjp(lambda x: x.sin(), lib.tensor(X), lib.tensor(X)),
    "vjp_scalar_no_v": lambda lib: lib.autograd.functional.vjp(cube, lib.tensor(X)),
    "vjp_v_required": lambda lib: lib.autograd.functional.vjp(lambda x: x * 2, lib.tensor(X)),
    "jvp": lambda lib: lib.autograd.functional.jvp(lambda x: x.sin() * 2, lib.tensor(X), lib.tensor(X)),
    "hvp": lambda lib: lib.autograd.functional.hvp(cube, lib.tensor(X), lib.tensor(Y.tolist() + [1.0])),
    "vhp": lambda lib: lib.autograd.functional.vhp(cube, lib.tensor(X), lib.tensor(Y.tolist() + [1.0])),
    "detached": lambda lib: lib.autograd.functional.jacobian(
        lambda x: x * 2, lib.tensor(X, requires_grad=True)).requires_grad,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_autograd_functional(compat, name):
    compat.value(CASES[name], rtol=1e-6, atol=1e-9)
