"""The tape autograd engine: backward order, accumulation, retain_graph, gradient=,
autograd.grad (allow_unused, create_graph), hooks, retain_grad, custom Functions,
autograd.backward(inputs=), and a two-layer net trained with manual SGD.
Expected values are analytic (numpy); behaviours were checked against torch 2.13."""
import numpy as np
import pytest

import jtorch
from jtorch.autograd import Function

rng = np.random.default_rng(0)
XA = rng.standard_normal((2, 3))
YA = rng.standard_normal((2, 3))


def leaf(a):
    return jtorch.tensor(a, requires_grad=True)


def close(t, expected, tol=1e-10):
    np.testing.assert_allclose(np.asarray(t.detach()), expected, rtol=tol, atol=tol)


def test_chain_rule_and_shared_subexpression():
    x = leaf(XA)
    a = x * 2
    b = a.tanh()
    c = a * b + a  # `a` feeds two paths: cotangents must be summed before a's backward runs
    c.sum().backward()
    t = np.tanh(2 * XA)
    close(x.grad, 2 * (t + 2 * XA * (1 - t ** 2) + 1))


def test_topological_order_diamond():
    x = leaf(XA)
    order = []
    a = x.exp()
    b = a * 3
    c = a.sin()
    a.register_hook(lambda g: order.append("a"))
    b.register_hook(lambda g: order.append("b"))
    c.register_hook(lambda g: order.append("c"))
    (b + c).sum().backward()
    assert order.index("a") > order.index("b") and order.index("a") > order.index("c")
    assert order.count("a") == 1  # a's node ran once, with the summed cotangent
    close(x.grad, np.exp(XA) * (3 + np.cos(np.exp(XA))))


def test_grad_accumulates_on_leaves():
    x = leaf(XA)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    close(x.grad, 2 * XA + 3)
    x.grad.zero_()
    (x * 5).sum().backward()
    close(x.grad, np.full((2, 3), 5.0))
    x.grad = None
    x.sum().backward()
    close(x.grad, np.ones((2, 3)))


def test_non_leaf_grad_is_none_and_leaf_flags():
    x = leaf(XA)
    y = x * 2
    y.sum().backward()
    assert x.is_leaf and not y.is_leaf and y.grad is None
    assert y.grad_fn is not None and x.grad_fn is None
    assert type(y.grad_fn).__name__ == "MulBackward0"


def test_retain_graph_and_second_backward_error():
    x = leaf(XA)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    close(x.grad, 2 * np.exp(XA) * (1 + XA))
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_gradient_argument_and_missing_gradient_error():
    x = leaf(XA)
    y = x * 3
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    y.backward(gradient=jtorch.tensor(YA))
    close(x.grad, 3 * YA)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 3).backward(jtorch.ones(3, dtype=jtorch.float64))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        jtorch.ones(2).sum().backward()


def test_autograd_grad_does_not_touch_dot_grad():
    x, y = leaf(XA), leaf(YA)
    gx, gy = jtorch.autograd.grad((x * y).sum(), [x, y])
    close(gx, YA)
    close(gy, XA)
    assert x.grad is None and y.grad is None
    assert not gx.requires_grad


def test_autograd_grad_allow_unused_and_grad_outputs():
    x, y = leaf(XA), leaf(YA)
    with pytest.raises(RuntimeError, match="allow_unused"):
        jtorch.autograd.grad((x * 2).sum(), [x, y])
    gx, gy = jtorch.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)
    close(gx, np.full((2, 3), 2.0))
    assert gy is None
    (g,) = jtorch.autograd.grad(x * 2, x, grad_outputs=jtorch.tensor(YA))
    close(g, 2 * YA)
    gx, gy = jtorch.autograd.grad((x * 2).sum(), [x, y], materialize_grads=True)
    close(gy, np.zeros((2, 3)))


def test_create_graph_higher_order_derivatives():
    x = leaf(XA)
    (g1,) = jtorch.autograd.grad((x ** 3).sum(), x, create_graph=True)
    assert g1.requires_grad
    close(g1, 3 * XA ** 2)
    (g2,) = jtorch.autograd.grad(g1.sum(), x, create_graph=True)
    close(g2, 6 * XA)
    (g3,) = jtorch.autograd.grad(g2.sum(), x)
    close(g3, np.full((2, 3), 6.0))


def test_create_graph_through_backward_and_mixed_ops():
    x = leaf(XA)
    y = (x.sin() * x).sum()
    y.backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    close(g, np.cos(XA) * XA + np.sin(XA))
    (gg,) = jtorch.autograd.grad(g.sum(), x)
    close(gg, -np.sin(XA) * XA + 2 * np.cos(XA))


def test_hook_can_replace_gradient():
    x = leaf(XA)
    y = x * 2
    h = y.register_hook(lambda g: g * 10)
    y.sum().backward()
    close(x.grad, np.full((2, 3), 20.0))
    h.remove()
    x.grad = None
    (x * 2).sum().backward()
    close(x.grad, np.full((2, 3), 2.0))


def test_leaf_hook_replaces_what_is_accumulated():
    x = leaf(XA)
    seen = []
    x.register_hook(lambda g: seen.append(g.clone()) or g + 1)
    (x * 3).sum().backward()
    close(seen[0], np.full((2, 3), 3.0))
    close(x.grad, np.full((2, 3), 4.0))


def test_hook_returning_none_keeps_gradient():
    x = leaf(XA)
    y = x.exp()
    y.register_hook(lambda g: None)
    y.sum().backward()
    close(x.grad, np.exp(XA))


def test_register_hook_needs_requires_grad():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        jtorch.ones(2).register_hook(lambda g: g)


def test_retain_grad_sees_grad_after_hooks():
    x = leaf(XA)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 10)
    assert y.retains_grad and not x.retains_grad
    (y * y).sum().backward()
    close(y.grad, 2 * (2 * XA) * 10)
    close(x.grad, 2 * (2 * XA) * 10 * 2)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_integer_and_bool_tensors_cannot_require_grad(dtype):
    d = getattr(jtorch, dtype)
    with pytest.raises(RuntimeError, match="floating point and complex"):
        jtorch.zeros(2, dtype=d).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point and complex"):
        jtorch.zeros(2, dtype=d, requires_grad=True)
    t = jtorch.zeros(2, dtype=d)
    with pytest.raises(RuntimeError):
        t.requires_grad = True


def test_integer_outputs_do_not_require_grad():
    x = leaf(XA)
    assert not (x > 0).requires_grad
    assert not x.argmax().requires_grad
    assert (x.long().double() * x).requires_grad


def test_detach_and_detach_():
    x = leaf(XA)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    y.detach_()
    assert not y.requires_grad and y.grad_fn is None


def test_requires_grad_false_on_non_leaf_raises():
    x = leaf(XA)
    with pytest.raises(RuntimeError, match="leaf"):
        (x * 2).requires_grad_(False)


def test_inplace_on_leaf_requiring_grad_raises_but_no_grad_allows():
    x = leaf(XA)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1)
    with jtorch.no_grad():
        x.add_(1)
    close(x, XA + 1)


def test_saved_tensor_modified_in_place_raises():
    x = leaf(XA)
    a = x * 1
    b = a.exp()  # saves its output
    b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()


def test_inplace_on_non_leaf_then_backward():
    x, y = leaf(XA), leaf(YA)
    z = (x * 1).mul_(y).add_(1)
    z.sum().backward()
    close(x.grad, YA)
    close(y.grad, XA)


def test_autograd_backward_with_inputs():
    x, y = leaf(XA), leaf(YA)
    jtorch.autograd.backward([(x * y).sum()], inputs=[y])
    assert x.grad is None
    close(y.grad, XA)
    (x * y).sum().backward(inputs=[x])
    close(x.grad, YA)
    close(y.grad, XA)
    with pytest.raises(RuntimeError, match="cannot be empty"):
        (x * y).sum().backward(inputs=[])


def test_autograd_backward_several_roots_and_grad_tensors():
    x = leaf(XA)
    jtorch.autograd.backward([(x * 2).sum(), x * 3], [None, jtorch.tensor(YA)])
    close(x.grad, 2 + 3 * YA)


class Cube(Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x ** 3 * k

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2 * ctx.k, None


def test_custom_function_save_for_backward():
    x = leaf(XA)
    y = Cube.apply(x, 2.0)
    assert type(y.grad_fn).__name__ == "CubeBackward"
    close(y, XA ** 3 * 2)
    y.sum().backward()
    close(x.grad, 6 * XA ** 2)


def test_custom_function_needs_input_grad():
    seen = []

    class Mul(Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            seen.append(ctx.needs_input_grad)
            a, b = ctx.saved_tensors
            return (g * b if ctx.needs_input_grad[0] else None,
                    g * a if ctx.needs_input_grad[1] else None)
    x = leaf(XA)
    c = jtorch.tensor(YA)
    Mul.apply(x, c).sum().backward()
    assert seen == [(True, False)]
    close(x.grad, YA)
    with jtorch.no_grad():
        assert not Mul.apply(x, c).requires_grad


def test_custom_function_mark_non_differentiable():
    class SortLike(Function):
        @staticmethod
        def forward(ctx, x):
            idx = x.argsort()
            out = x * 2
            mask = x > 0
            ctx.mark_non_differentiable(mask)
            return out, mask, idx

        @staticmethod
        def backward(ctx, g, g_mask, g_idx):
            return g * 2
    x = leaf(XA)
    out, mask, idx = SortLike.apply(x)
    assert out.requires_grad and not mask.requires_grad and not idx.requires_grad
    out.sum().backward()
    close(x.grad, np.full((2, 3), 2.0))


def test_custom_function_double_backward():
    x = leaf(XA)
    (g,) = jtorch.autograd.grad(Cube.apply(x, 1.0).sum(), x, create_graph=True)
    close(g, 3 * XA ** 2)
    (gg,) = jtorch.autograd.grad(g.sum(), x)
    close(gg, 6 * XA)


def test_two_layer_net_trained_with_manual_sgd():
    """A 2-layer MLP fit to a smooth target by hand-written SGD; the loss must fall a lot,
    and one step must match a numpy implementation of the same math."""
    r = np.random.default_rng(1)
    xa = r.standard_normal((32, 4)).astype(np.float32)
    ya = np.sin(xa.sum(1, keepdims=True)).astype(np.float32)
    params = [r.standard_normal((4, 16)) * 0.5, np.zeros(16), r.standard_normal((16, 1)) * 0.5,
              np.zeros(1)]
    params = [p.astype(np.float32) for p in params]
    w1, b1, w2, b2 = [jtorch.tensor(p, requires_grad=True) for p in params]
    x, y = jtorch.tensor(xa), jtorch.tensor(ya)
    lr = 0.1

    def loss_fn():
        h = jtorch.tanh(x @ w1 + b1)
        return ((h @ w2 + b2 - y) ** 2).mean()

    # One step by hand in numpy.
    nw1, nb1, nw2, nb2 = params
    h = np.tanh(xa @ nw1 + nb1)
    err = h @ nw2 + nb2 - ya
    dout = 2 * err / err.size
    gw2, gb2 = h.T @ dout, dout.sum(0)
    dh = dout @ nw2.T * (1 - h ** 2)
    gw1, gb1 = xa.T @ dh, dh.sum(0)

    losses = []
    for step in range(200):
        loss = loss_fn()
        losses.append(loss.item())
        loss.backward()
        if step == 0:
            for p, g in zip((w1, b1, w2, b2), (gw1, gb1, gw2, gb2)):
                np.testing.assert_allclose(p.grad.numpy(), g, rtol=1e-4, atol=1e-5)
        with jtorch.no_grad():
            for p in (w1, b1, w2, b2):
                p -= lr * p.grad
                p.grad.zero_()
    np.testing.assert_allclose(losses[0], (err ** 2).mean(), rtol=1e-5)
    assert losses[-1] < 0.2 * losses[0]
    assert all(p.is_leaf and p.requires_grad and p.dtype == jtorch.float32 for p in (w1, b1, w2, b2))


def test_training_with_reshape_view_transpose_unsqueeze_relu_sigmoid():
    r = np.random.default_rng(2)
    xa = r.standard_normal((8, 6))
    w = jtorch.tensor(r.standard_normal((3, 2)) * 0.3, requires_grad=True)
    x = jtorch.tensor(xa)
    first = None
    for _ in range(50):
        z = x.view(8, 2, 3).transpose(1, 2).reshape(16, 3) @ w
        p = jtorch.sigmoid(jtorch.relu(z).unsqueeze(0)).mean() + jtorch.log(jtorch.exp(z)).sum() * 0
        loss = (p - 0.9) ** 2
        first = loss.item() if first is None else first
        loss.backward()
        with jtorch.no_grad():
            w -= 1.0 * w.grad
            w.grad.zero_()
    assert loss.item() < first


def test_no_grad_respected_inside_an_outer_jax_transformation():
    import jax
    import jax.numpy as jnp
    from jtorch.interop import from_jax, to_jax

    def f(a):
        x = from_jax(a)
        with jtorch.no_grad():
            y = x * 3  # stop_gradient: contributes no gradient to the outer jax.grad
        return to_jax((x * 2 + y).sum())
    np.testing.assert_allclose(np.asarray(jax.grad(f)(jnp.ones(3))), [2.0, 2.0, 2.0])
