"""JAX interop: zero-copy conversions, DLPack, Tensors through jax.jit/grad/vmap, pure modules."""
import jax
import jax.numpy as jnp
import numpy as np

import jtorch as torch
from jtorch.interop import as_pure_function, load_pure_params


def test_from_jax_and_back_share_the_array():
    a = jnp.arange(4, dtype=jnp.float32)
    t = torch.from_jax(a)
    assert t.jax() is a and torch.interop.to_jax(t) is a
    assert t.dtype == torch.float32 and t.shape == (4,)


def test_dlpack_round_trips():
    n = np.arange(3.0)
    t = torch.from_dlpack(n)
    assert t.dtype == torch.float64 and t.tolist() == [0.0, 1.0, 2.0]
    back = np.from_dlpack(torch.tensor([1.0, 2.0]))
    assert back.tolist() == [1.0, 2.0]
    assert torch.from_dlpack(t) is t
    assert t.__dlpack_device__()[0] == 1  # kDLCPU


def test_tensor_is_a_pytree_node():
    t = torch.tensor([1.0, 2.0])
    leaves, tdef = jax.tree_util.tree_flatten({"a": t})
    assert len(leaves) == 1 and leaves[0] is t.jax()
    back = jax.tree_util.tree_unflatten(tdef, leaves)["a"]
    assert isinstance(back, torch.Tensor) and back.tolist() == [1.0, 2.0]


def test_jax_transforms_on_functions_of_tensors():
    x = torch.tensor([1.0, 2.0, 3.0])
    y = jax.jit(lambda t: (t * 2).exp())(x)
    assert isinstance(y, torch.Tensor)
    np.testing.assert_allclose(y.numpy(), np.exp([2.0, 4.0, 6.0]), rtol=1e-6)
    g = jax.grad(lambda t: (t ** 2).sum().jax())(x)
    assert isinstance(g, torch.Tensor) and g.tolist() == [2.0, 4.0, 6.0]
    s = jax.vmap(lambda t: t.sum())(torch.ones(3, 2))
    assert s.tolist() == [2.0, 2.0, 2.0]
    p = torch.nn.Parameter(torch.ones(2))
    assert jax.grad(lambda t: (t * t).sum().jax())(p).tolist() == [2.0, 2.0]


class Affine(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(2, 3))
        self.register_buffer("shift", torch.ones(2))

    def forward(self, x):
        return x @ self.weight.T + self.shift


def test_module_as_pure_function_with_jax_grad_and_back():
    m = Affine()
    apply, params, buffers = as_pure_function(m)
    assert set(params) == {"weight"} and set(buffers) == {"shift"}
    x = jnp.ones((4, 3), jnp.float32)
    out = jax.jit(apply)(params, buffers, x)
    assert isinstance(out, jax.Array) and out.shape == (4, 2) and float(out[0, 0]) == 4.0
    g = jax.grad(lambda p: apply(p, buffers, x).sum())(params)
    np.testing.assert_allclose(g["weight"], np.full((2, 3), 4.0))
    new = jax.tree_util.tree_map(lambda a, b: a - 0.25 * b, params, g)
    load_pure_params(m, new)
    assert isinstance(m.weight, torch.nn.Parameter) and m.weight.requires_grad
    np.testing.assert_allclose(m.weight.detach().numpy(), np.zeros((2, 3)))
