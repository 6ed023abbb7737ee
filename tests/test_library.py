"""torch.library custom ops: eager and under jtorch.compile, with register_autograd gradients."""
import numpy as np
import pytest

import jtorch
import jtorch.library  # noqa: F401 - also reachable as torch.library once jtorch/__init__ imports it
from jtorch import Tensor

_lib = jtorch.library.Library("jt_test_lib", "DEF")
_lib.define("cube(Tensor x) -> Tensor")
_lib.impl("cube", lambda x: x * x * x, "CompositeExplicitAutograd")


@jtorch.library.custom_op("jt_test_lib::mysin", mutates_args=())
def mysin(x: Tensor, scale: float = 1.0) -> Tensor:
    return x.sin() * scale


def _setup(ctx, inputs, output):
    ctx.save_for_backward(inputs[0])
    ctx.scale = inputs[1]


def _backward(ctx, g):
    (x,) = ctx.saved_tensors
    return g * x.cos() * ctx.scale * 10, None  # x10: proves this formula is the one used


mysin.register_autograd(_backward, setup_context=_setup)


def _train(step_fn, n=3):
    w = jtorch.nn.Parameter(jtorch.tensor([0.1, 0.2, 0.3]))
    opt = jtorch.optim.SGD([w], lr=0.01)

    def step(inp):
        opt.zero_grad()
        loss = (mysin(w * inp, 2.0) + jtorch.ops.jt_test_lib.cube(w)).sum()
        loss.backward()
        opt.step()
        return loss
    step = step_fn(step)
    losses = [step(jtorch.ones(3)).item() for _ in range(n)]
    return losses, w.detach().numpy()


def test_custom_op_gradient_is_registered_formula():
    x = jtorch.tensor([0.5, 1.0], requires_grad=True)
    mysin(x, 2.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 20 * np.cos([0.5, 1.0]), rtol=1e-6)


def test_custom_op_under_compile_matches_eager():
    eager_losses, eager_w = _train(lambda f: f)
    comp_losses, comp_w = _train(jtorch.compile)
    # by hand: d/dw [2 sin(w)] with the x10 formula is 20 cos(w); d/dw w^3 = 3 w^2
    w0 = np.array([0.1, 0.2, 0.3])
    w1 = w0 - 0.01 * (20 * np.cos(w0) + 3 * w0 ** 2)
    w2 = w1 - 0.01 * (20 * np.cos(w1) + 3 * w1 ** 2)
    w3 = w2 - 0.01 * (20 * np.cos(w2) + 3 * w2 ** 2)
    np.testing.assert_allclose(eager_w, w3, rtol=1e-5)
    np.testing.assert_allclose(comp_w, eager_w, rtol=1e-6)
    np.testing.assert_allclose(comp_losses, eager_losses, rtol=1e-6)


def test_mutating_op_under_compile():
    @jtorch.library.custom_op("jt_test_lib::acc", mutates_args=("buf",))
    def acc(buf: Tensor, x: Tensor) -> None:
        buf.add_(x)
    buf = jtorch.zeros(2)

    @jtorch.compile
    def f(x):
        acc(buf, x)
        return buf * 1
    for i in range(3):
        f(jtorch.ones(2))
    np.testing.assert_allclose(buf.numpy(), [3.0, 3.0])


def test_register_kernel_and_fake_and_packet():
    @jtorch.library.custom_op("jt_test_lib::twice", mutates_args=())
    def twice(x: Tensor) -> Tensor:
        return x * 2

    @twice.register_kernel("cpu")
    def _(x):
        return x * 3
    assert jtorch.ops.jt_test_lib.twice(jtorch.ones(1)).item() == 3.0
    fake = jtorch.library.register_fake("jt_test_lib::twice")(lambda x: jtorch.empty_like(x))
    assert callable(fake)
    assert jtorch.ops.jt_test_lib.twice.overloads() == ["default"]
    with pytest.raises(RuntimeError, match="does not exist"):
        jtorch.library.register_fake("jt_test_lib::missing", lambda x: x)


def test_load_library_oserror(tmp_path):
    bad = tmp_path / "libbad.so"
    bad.write_bytes(b"not an ELF file")
    with pytest.raises(OSError, match="Could not load this library"):
        jtorch.ops.load_library(str(bad))
    assert str(bad) not in jtorch.ops.loaded_libraries


def test_ops_submodules_still_importable():
    from jtorch.ops import _registry, elementwise
    assert hasattr(_registry, "REGISTRY") and elementwise.__name__ == "jtorch.ops.elementwise"
    assert jtorch.ops.aten.add.Tensor(jtorch.ones(1), jtorch.ones(1)).item() == 2.0


def test_fake_kernel_runs_for_meta_inputs():
    @jtorch.library.custom_op("jt_test_lib::needs_data", mutates_args=())
    def needs_data(x: Tensor) -> Tensor:
        return x.sum(0) + float(x.numpy().sum())  # reads values: impossible on meta

    @needs_data.register_fake
    def _(x):
        return x.new_empty(x.shape[1:])
    out = needs_data(jtorch.empty(2, 3, device="meta"))
    assert out.device.type == "meta" and tuple(out.shape) == (3,)
    assert needs_data(jtorch.ones(2, 3)).tolist() == [8.0, 8.0, 8.0]
