"""Autograd on both libraries: gradients of a table of expressions, grad_fn names, engine
features and the errors torch raises."""
import pytest

from compat._harness import randn

X = randn(2, 3)
Y = randn(2, 3, seed=1)
W = randn(3, 4, seed=2)

EXPRESSIONS = {
    "add_mul": lambda lib, x, y: x * y + x,
    "sub_div": lambda lib, x, y: (x - y) / (y.abs() + 1),
    "square_sum": lambda lib, x, y: (x * x).sum(),
    "tanh_exp": lambda lib, x, y: x.tanh().exp(),
    "sigmoid_relu": lambda lib, x, y: lib.sigmoid(x) * lib.relu(y),
    "log": lambda lib, x, y: (x.abs() + 0.1).log(),
    "pow_scalar": lambda lib, x, y: x.pow(3),
    "neg": lambda lib, x, y: -x + y,
    "mean": lambda lib, x, y: x.mean(),
    "sum_dim_keepdim": lambda lib, x, y: (x * y).sum(dim=1, keepdim=True),
    "reshape_view": lambda lib, x, y: x.reshape(3, 2) * y.view(3, 2),
    "transpose_t": lambda lib, x, y: x.transpose(0, 1) + y.t(),
    "unsqueeze_broadcast": lambda lib, x, y: x.unsqueeze(0) * y.unsqueeze(1),
    "index": lambda lib, x, y: x[0] * y[:, 1:].sum(),
    "mask_index": lambda lib, x, y: x[y > 0],
    "broadcast_row": lambda lib, x, y: x + y[0],
    "reuse": lambda lib, x, y: x * x + x.sin() * x,
    "detach": lambda lib, x, y: x.detach() * y,
    "clone": lambda lib, x, y: x.clone() * 2,
    "inplace_nonleaf": lambda lib, x, y: (x * 1).mul_(y).add_(1),
    "setitem_nonleaf": lambda lib, x, y: _setitem(x, y),
    "max_all": lambda lib, x, y: x.max() * y,
    "abs": lambda lib, x, y: x.abs(),
    "scalar_ops": lambda lib, x, y: 2 * x - 1 / (y * y + 1) + 3,
}


def _setitem(x, y):
    z = x * 1
    z[0] = y[1] * 2
    return z


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_gradients(compat, name):
    compat.same(EXPRESSIONS[name], X, Y)


def test_matmul_chain(compat):
    compat.same(lambda lib, x, w: (x @ w).tanh() @ w.t(), X, W)


def _error(fn):
    def run(lib):
        x = lib.tensor(X, requires_grad=True)
        return fn(lib, x)
    return run


def _twice(lib, x):
    y = (x * x).sum()
    y.backward()
    y.backward()


def _saved_modified(lib, x):
    a = x * 1
    b = a.exp()  # exp saves its output
    b.add_(1)
    b.sum().backward()


def _unsaved_modified(lib, x):
    a = x * 1
    b = a.exp()  # ... not its input: changing `a` is fine
    a.add_(1)
    b.sum().backward()
    return x.grad


def _inplace_leaf(lib, x):
    x.add_(1)


def _gradient_shape(lib, x):
    (x * 2).backward(lib.ones(3, dtype=lib.float64))


def _no_grad_output(lib, x):
    with lib.no_grad():
        y = x.sum()
    y.backward()


def _unused(lib, x):
    y = lib.tensor(Y, requires_grad=True)
    return lib.autograd.grad((x * 2).sum(), [x, y])


def _requires_grad_false_nonleaf(lib, x):
    (x * 2).requires_grad_(False)


ERRORS = {
    "backward_twice": _twice,
    "non_scalar_without_gradient": lambda lib, x: (x * 2).backward(),
    "int_requires_grad": lambda lib, x: lib.tensor([1, 2]).requires_grad_(),
    "int_factory_requires_grad": lambda lib, x: lib.zeros(2, dtype=lib.int64, requires_grad=True),
    "saved_tensor_modified": _saved_modified,
    "unsaved_tensor_modified": _unsaved_modified,
    "inplace_on_leaf": _inplace_leaf,
    "gradient_wrong_shape": _gradient_shape,
    "output_without_grad": _no_grad_output,
    "grad_unused_input": _unused,
    "numpy_of_requires_grad": lambda lib, x: x.numpy(),
    "requires_grad_false_on_nonleaf": _requires_grad_false_nonleaf,
    "grad_of_input_not_requiring_grad": lambda lib, x: lib.autograd.grad(
        (x * 2).sum(), [lib.ones(2)]),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors(compat, name):
    compat.value(_error(ERRORS[name]))


def engine_features(lib):
    x = lib.tensor(X, requires_grad=True)
    y = lib.tensor(Y, requires_grad=True)
    out = {}
    z = (x * y).sum()
    z.backward(retain_graph=True)
    z.backward()
    out["accumulated"] = x.grad.clone()
    x.grad = None
    (x * y).backward(gradient=lib.ones(2, 3, dtype=lib.float64) * 3)
    out["gradient_arg"] = x.grad
    g = lib.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)
    out["allow_unused"] = [g[0], g[1]]
    (gx,) = lib.autograd.grad((x ** 3).sum(), x, create_graph=True)
    # The backward graph's node names are torch's formula internals; compare values only.
    out["first"] = [gx.detach(), gx.requires_grad]
    (gxx,) = lib.autograd.grad(gx.sum(), x, create_graph=True)
    out["second"] = [gxx.detach(), gxx.requires_grad]
    (gxxx,) = lib.autograd.grad(gxx.sum(), x)
    out["third"] = gxxx
    h = x * 2
    h.retain_grad()
    h.register_hook(lambda g: g * 10)
    x.grad = None
    (h * h).sum().backward()
    out["hook_replaces_and_retain_grad"] = [h.grad, x.grad]
    x.grad = y.grad = None
    lib.autograd.backward([(x * y).sum()], inputs=[y])
    out["backward_inputs"] = [x.grad, y.grad]
    v = x.tanh()
    out["grad_fns"] = [type(v.grad_fn).__name__, [type(f).__name__ if f else None
                                                   for f, _ in v.grad_fn.next_functions]]
    out["is_leaf"] = [x.is_leaf, v.is_leaf, x.detach().requires_grad]
    out["repr"] = [repr(lib.tensor([1.0, 2.0], requires_grad=True)),
                   repr(lib.tensor([1.0, 2.0], requires_grad=True) * 2)]
    return out


def test_engine_features(compat):
    compat.value(engine_features)


def custom_function(lib):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            ctx.k = k
            return x ** 3 * k, (x > 0)

        @staticmethod
        def backward(ctx, g, g_mask):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2 * ctx.k, None

    class Needs(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.mark_non_differentiable  # noqa: B018
            return a * b

        @staticmethod
        def backward(ctx, g):
            return (g * 2 if ctx.needs_input_grad[0] else None,
                    g * 3 if ctx.needs_input_grad[1] else None)

    x = lib.tensor(X, requires_grad=True)
    c = lib.tensor(Y)
    y, mask = Cube.apply(x, 2.0)
    y.sum().backward()
    n = Needs.apply(x, c)
    (gn,) = lib.autograd.grad(n.sum(), x)
    return {"out": y, "mask": [mask.requires_grad, mask.dtype], "grad": x.grad,
            "grad_fn": type(y.grad_fn).__name__, "needs": gn}


def test_custom_function(compat):
    compat.value(custom_function)


SECOND_BACKWARD = {
    "sum": lambda x, y: x.sum(), "add": lambda x, y: (x + y).sum(),
    "mul_scalar": lambda x, y: (x * 2).sum(), "mul": lambda x, y: (x * y).sum(),
    "view": lambda x, y: x.view(3, 2).sum(), "neg": lambda x, y: (-x).sum(),
    "sub_scalar": lambda x, y: (x - 1).sum(), "div_scalar": lambda x, y: (x / 2).sum(),
    "mean": lambda x, y: x.mean(), "tanh": lambda x, y: x.tanh().sum(),
    "getitem": lambda x, y: x[1:].sum(), "transpose": lambda x, y: x.t().sum(),
    "expand": lambda x, y: x.expand(2, 2, 3).sum(), "clone": lambda x, y: x.clone().sum(),
    "to_float32": lambda x, y: x.float().sum(),
}


@pytest.mark.parametrize("name", sorted(SECOND_BACKWARD))
def test_second_backward_without_retain_graph(compat, name):
    """torch frees only saved tensors: a graph of ops that save none can run backward again."""
    def fn(lib):
        x, y = lib.tensor(X, requires_grad=True), lib.tensor(Y, requires_grad=True)
        z = SECOND_BACKWARD[name](x, y)
        z.backward()
        z.backward()
        return x.grad
    compat.value(fn)
