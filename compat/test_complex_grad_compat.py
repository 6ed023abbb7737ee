"""Complex gradients follow torch's convention (the conjugate of JAX's): backward, seeds,
hooks, custom Functions, double backward, torch.func, autograd.functional, optimizers on
complex parameters, and the same under jtorch.compile."""
import numpy as np
import pytest

Z = np.array([1 + 2j, -0.5 + 0.3j, 2 - 1j], dtype=np.complex64)
W = np.array([0.3 - 1j, 1 + 1j, -2 + 0.5j], dtype=np.complex64)
SEED = np.array([1j, 1, 2 - 1j], dtype=np.complex64)


def _leaves(lib):
    return (lib.tensor(Z, requires_grad=True), lib.tensor(W, requires_grad=True))


def _custom_square(lib):
    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 2 * x.conj()
    return Square


def _hooked(lib, z, w):
    z2 = z * (1 + 1j)
    seen = []
    z2.register_hook(lambda g: seen.append(g.detach().clone()) or g * (0.5 - 1j))
    loss = (z2.conj() * z2 * 1j).imag.sum() + (z2 * w).real.sum()
    return loss, seen


# name -> f(lib, z, w) returning a real scalar loss (and optionally tensors to compare)
LOSSES = {
    "abs_squared": lambda lib, z, w: (z.abs() ** 2).sum(),
    "mul_real": lambda lib, z, w: (z * w).real.sum(),
    "angle": lambda lib, z, w: z.angle().sum(),
    "fft_abs": lambda lib, z, w: lib.fft.fft(z).abs().sum(),
    "matmul": lambda lib, z, w: (lib.outer(z, w) @ z).abs().sum(),
    "div_exp": lambda lib, z, w: (z.exp() / (w + 3)).imag.sum(),
    "view_as_real": lambda lib, z, w: (lib.view_as_real(z * w) ** 2).sum(),
    "polar_parts": lambda lib, z, w: (z.real * w.imag - z.imag ** 2).sum(),
    "custom_function": lambda lib, z, w: _custom_square(lib).apply(z * (2 - 1j)).abs().sum(),
}


def _grads(lib, name, compiled=False):
    f = LOSSES[name]
    if compiled and lib.__name__ == "jtorch":
        def step(z, w):
            loss = f(lib, z, w)
            loss.backward()
            return loss
        step = lib.compile(step)
        for _ in range(2):  # the first call, and the installed program's
            z, w = _leaves(lib)
            step(z, w)
    else:
        z, w = _leaves(lib)
        f(lib, z, w).backward()
    return z.grad, w.grad


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_backward_gives_torch_complex_gradients(compat, name, compiled):
    compat.value(lambda lib: _grads(lib, name, compiled))


def test_complex_seed_for_backward(compat):
    def run(lib):
        z, w = _leaves(lib)
        (z * w * (1 - 2j)).backward(lib.tensor(SEED))
        return z.grad, w.grad
    compat.value(run)


def test_tensor_hook_sees_and_replaces_torch_gradients(compat):
    def run(lib):
        z, w = _leaves(lib)
        loss, seen = _hooked(lib, z, w)
        g, = lib.autograd.grad(loss, z)
        return seen[0], g
    compat.value(run)


def test_autograd_grad_with_complex_grad_outputs(compat):
    def run(lib):
        z, w = _leaves(lib)
        return lib.autograd.grad(z * z * w, (z, w), grad_outputs=lib.tensor(SEED))
    compat.value(run)


def test_double_backward(compat):
    def run(lib):
        z, w = _leaves(lib)
        g, = lib.autograd.grad((z * z * w).abs().sum(), z, create_graph=True)
        return lib.autograd.grad(g.abs().sum(), (z, w))
    compat.value(run)


def test_real_inputs_complex_intermediates(compat):
    def run(lib):
        a = lib.tensor([1.0, 2.0, -3.0], requires_grad=True)
        c = lib.complex(a, a * 2) * lib.tensor(1 + 3j)
        (c.abs() + lib.fft.ifft(c).real).sum().backward()
        return a.grad
    compat.value(run)


def test_func_grad_and_vjp(compat):
    def run(lib):
        z = lib.tensor(Z)
        g = lib.func.grad(lambda x: (x * x * (1 + 2j)).abs().sum())(z)
        gv, v = lib.func.grad_and_value(lambda x: x.angle().sum())(z)
        _, pull = lib.func.vjp(lambda x: x * x * (1 + 2j), z)
        batched = lib.func.vmap(lib.func.grad(lambda x: (x * x * (1 + 2j)).abs()))(z)
        return g, gv, v, pull(lib.tensor(SEED))[0], batched
    compat.value(run)


def test_func_jacobians_refuse_complex(compat):
    compat.value(lambda lib: lib.func.jacrev(lambda x: x * 2)(lib.tensor(Z)))
    compat.value(lambda lib: lib.func.jacrev(lambda x: x * (1 + 2j))(lib.tensor([1.0, 2.0])))
    compat.value(lambda lib: lib.func.jacfwd(lambda x: x.abs())(lib.tensor(Z)))
    compat.value(lambda lib: lib.func.hessian(lambda x: x.abs().sum())(lib.tensor(Z)))


def test_autograd_functional(compat):
    f = lambda x: (x * x * (1 + 2j)).abs().sum()  # noqa: E731

    def run(lib):
        z, v = lib.tensor(Z), lib.tensor(SEED)
        F = lib.autograd.functional
        return (F.jacobian(lambda x: (x * x * (1 + 2j)).abs(), z),
                F.vjp(lambda x: x * x * (1 + 2j), z, v)[1],
                F.hvp(f, z, v)[1], F.vhp(f, z, v)[1],
                F.jvp(lambda x: x * x * (1 + 2j), z, v)[1])
    compat.value(run, rtol=1e-5, atol=1e-4)
    compat.value(lambda lib: lib.autograd.functional.jacobian(lambda x: x * 2, lib.tensor(Z)))


OPTIMIZERS = {
    "SGD": lambda lib, p: lib.optim.SGD(p, lr=0.1, momentum=0.9),
    "Adam": lambda lib, p: lib.optim.Adam(p, lr=0.1),
    "AdamW": lambda lib, p: lib.optim.AdamW(p, lr=0.1, weight_decay=0.1),
    "RMSprop": lambda lib, p: lib.optim.RMSprop(p, lr=0.05),
    "Adagrad": lambda lib, p: lib.optim.Adagrad(p, lr=0.1),
}


def _fit(lib, opt_name, compiled):
    target = lib.tensor(W)
    p = lib.nn.Parameter(lib.tensor(Z))
    opt = OPTIMIZERS[opt_name](lib, [p])

    def step():
        opt.zero_grad()
        loss = ((p * (1 - 1j) - target).abs() ** 2).sum()
        loss.backward()
        opt.step()
        return loss
    if compiled and lib.__name__ == "jtorch":
        step = lib.compile(step)
    losses = [step().item() for _ in range(5)]
    return losses, p.detach()


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
def test_optimizers_on_complex_parameters(compat, opt, compiled):
    got = compat.value(lambda lib: _fit(lib, opt, compiled), rtol=1e-4, atol=1e-4)
    losses = got[0] if isinstance(got, list) else None
    assert losses is None or losses[-1] < losses[0]


def test_compiled_forward_with_complex_input_and_real_output(compat):
    """The compiled program's backward node: complex inputs, real outputs (eager backward)."""
    def run(lib):
        z, w = _leaves(lib)
        f = lambda z, w: ((z * w).abs().sum(), (z * (1 + 2j)).angle().sum())  # noqa: E731
        if lib.__name__ == "jtorch":
            f = lib.compile(f)
        res = []
        for _ in range(2):  # the first call, and the installed program's
            z, w = _leaves(lib)
            a, b = f(z, w)
            (a + 2 * b).backward()
            res += [z.grad, w.grad]
        return res
    compat.value(run)


def test_call_fn_paths_with_complex_inputs(compat):
    """Ops computed through uncached paths (stft, long lists) give torch's gradients too."""
    def run(lib):
        z, w = _leaves(lib)
        parts = [z * (k + 1j) for k in range(70)]  # a long list: joined on the host
        s = lib.stack(parts).abs().sum() + lib.cat(parts).angle().sum()
        s.backward()
        return z.grad
    compat.value(run)
