"""torch.autocast on CPU: which ops run in bfloat16, which in float32, which are left alone."""
import pytest

from compat._harness import randn

X = randn(4, 3, dtype="float32")
Y = abs(randn(4, 3, seed=1, dtype="float32")) / 4
W = randn(2, 3, seed=2, dtype="float32")


def _ops(lib):
    F = lib.nn.functional
    x, y, w = lib.tensor(X), lib.tensor(Y), lib.tensor(W)
    t = lib.tensor([0, 1, 2, 1])
    return {
        "matmul": lambda: x @ w.T, "mm": lambda: lib.mm(x, w.T), "bmm": lambda: lib.bmm(x[None], w.T[None]),
        "linear": lambda: F.linear(x, w), "addmm": lambda: lib.addmm(lib.ones(4, 2), x, w.T),
        "baddbmm": lambda: lib.baddbmm(lib.ones(1, 4, 2), x[None], w.T[None]),
        "conv1d": lambda: F.conv1d(x[None], w[:, :, None]),
        "conv2d": lambda: F.conv2d(x[None, None], w[None, None, :2, :2]),
        "sdpa": lambda: F.scaled_dot_product_attention(x[None], x[None], x[None]),
        "mv_not_on_cpu": lambda: lib.mv(x, w[0]), "addr_not_on_cpu": lambda: lib.addr(lib.ones(4, 3), x[:, 0], w[0]),
        "mse_loss_bf16_in": lambda: F.mse_loss(x.bfloat16(), y.bfloat16()),
        "cross_entropy_bf16_in": lambda: F.cross_entropy(x.bfloat16(), t),
        "nll_loss_bf16_in": lambda: F.nll_loss(x.bfloat16(), t),
        "l1_loss_bf16_in": lambda: F.l1_loss(x.bfloat16(), y.bfloat16()),
        "bce_logits_bf16_in": lambda: F.binary_cross_entropy_with_logits(x.bfloat16(), y.bfloat16()),
        "softmax_bf16_in_unchanged": lambda: lib.softmax(x.bfloat16(), -1),
        "sum_bf16_in_unchanged": lambda: x.bfloat16().sum(),
        "layer_norm_bf16_in_unchanged": lambda: F.layer_norm(x.bfloat16(), (3,)),
        "add_unchanged": lambda: x + 1, "exp_unchanged": lambda: x.exp(),
        "float64_matmul_unchanged": lambda: x.double() @ w.double().T,
        "mixed_add_after_matmul": lambda: x @ w.T + lib.ones(2),
    }


@pytest.mark.parametrize("name", sorted(_ops(__import__("jtorch"))))
def test_autocast_cpu_dtype(compat, name):
    def run(lib):
        op = _ops(lib)[name]
        with lib.autocast("cpu", dtype=lib.bfloat16):
            out = op()
        return out.dtype, out.float() if out.is_floating_point() else out
    compat.value(run, rtol=2e-2, atol=2e-2)


def test_autocast_state_queries(compat):
    def run(lib):
        before = lib.is_autocast_enabled("cpu")
        with lib.autocast("cpu"):
            inside = (lib.is_autocast_enabled("cpu"), lib.get_autocast_dtype("cpu"),
                      lib.is_autocast_enabled())
            with lib.autocast("cpu", enabled=False):
                off = lib.is_autocast_enabled("cpu")
        return before, inside, off, lib.is_autocast_enabled("cpu")
    compat.value(run)


def test_autocast_gradients_are_float32(compat):
    def run(lib):
        w = lib.tensor(W, requires_grad=True)
        with lib.autocast("cpu", dtype=lib.bfloat16):
            out = lib.nn.functional.linear(lib.tensor(X), w)
        out.float().pow(2).sum().backward()
        return out.dtype, w.grad.dtype, w.grad
    compat.value(run, rtol=3e-2, atol=3e-2)
