"""bfloat16/float16 values and gradients equal to torch's where torch's kernel computes in float32
and rounds once, and where its backward formula (derivatives.yaml) rounds each intermediate
tensor to the half dtype: jtorch places the same roundings in the op's tangent rule
(`_opmath.step`), so the transposed rule rounds where torch's formula does. Each case was an
op_db entry failing at bfloat16/float16 (issue 16); compared element for element with torch,
eagerly and compiled (a compiled function's first call runs eagerly: it is called twice)."""
import numpy as np
import pytest

import jtorch

torch = pytest.importorskip("torch")

CASES = {
    "cumprod": (lambda L, a: L.cumprod(a, 0), [(5, 5, 5)], 1.0),
    "cumprod_dim1": (lambda L, a: a.cumprod(1), [(4, 9)], 1.0),
    "std": (lambda L, a: L.std(a), [(5, 5, 5)], 1.0),
    "std_dim": (lambda L, a: L.std(a, 1, keepdim=True), [(6, 7)], 1.0),
    "std_mean": (lambda L, a: L.stack(L.std_mean(a, 0)), [(6, 7)], 1.0),
    # sum(dtype=half) casts first, then accumulates in float32 (XLA summed in the half dtype)
    "sum_dtype": (lambda L, a: (a.float() * 40).sum(1, dtype=a.dtype), [(4, 125)], 1.0),
    # softmax's backward (grad - sum(grad * out)) * out in float32 from the rounded output
    "softmax": (lambda L, a: L.softmax(a * 3, 1), [(4, 33)], 1.0),
    "softmax_weighted": (lambda L, a: L.softmax(a * 3, 0) * a.detach(), [(33, 4)], 1.0),
    "softmin": (lambda L, a: L.nn.functional.softmin(a * 3, 1), [(4, 33)], 1.0),
    # float16 huber: torch's kernel in float32, rounded once (bfloat16: each step rounded)
    "huber_loss": (lambda L, a, b: L.nn.functional.huber_loss(a * 9, b * 9, reduction="none",
                                                              delta=8.698115367693557),
                   [(64,), (64,)], 1.0),
    # pooling/resampling: the value in float32, rounded once (linear 1-d/3-d and cubic weights
    # stored in the half dtype first, as torch's); adaptive pooling's gradient adds grad / area
    # in the half dtype, as torch's backward kernel
    "adaptive_avg_pool2d": (lambda L, a: L.nn.functional.adaptive_avg_pool2d(a * 3, (5, 7)),
                            [(2, 4, 8, 8)], 1.0),
    "interpolate_trilinear": (lambda L, a: L.nn.functional.interpolate(
        a * 3, size=(3, 5, 3), mode="trilinear", align_corners=True), [(2, 3, 4, 4, 4)], 1.0),
    "interpolate_bicubic": (lambda L, a: L.nn.functional.interpolate(
        a * 3, size=(5, 3), mode="bicubic", align_corners=False), [(2, 3, 4, 4)], 0.98),
    "interpolate_linear": (lambda L, a: L.nn.functional.interpolate(
        a * 3, size=(5,), mode="linear", align_corners=False), [(2, 3, 7)], 1.0),
    "interpolate_bilinear": (lambda L, a: L.nn.functional.interpolate(
        a * 3, size=(4, 29), mode="bilinear", align_corners=False), [(1, 2, 9, 13)], 0.98),
    # renorm: the norm and factor in float32, the factor rounded to the half dtype first
    "renorm": (lambda L, a: L.renorm(a, 2, 1, 0.5), [(5, 5, 5)], 1.0),
    # softsign is composite in torch: each step and each gradient term rounded
    "softsign": (lambda L, a: L.nn.functional.softsign(a * 3), [(256,)], 1.0),
    # multilabel_soft_margin_loss is composite in torch: jtorch runs the same ops
    "multilabel_soft_margin_loss": (lambda L, a: L.nn.functional.multilabel_soft_margin_loss(
        a * 3, (a.detach() > 0.5).to(a.dtype), reduction="none"), [(6, 9)], 1.0),
    # unary functions: value in float32 rounded once, gradient as torch's formula steps it
    "atanh": (lambda L, a: L.atanh(a / 2), [(256,)], 1.0),
    "expm1": (lambda L, a: L.expm1(a * 3), [(256,)], 1.0),
    "erfinv": (lambda L, a: L.erfinv(a / 2), [(256,)], 1.0),
    "masked_var": (lambda L, a: L.masked.var(a * 5), [(5, 5, 5)], 1.0),
}

# Resampling, renorm and multilabel_soft_margin_loss gradients: torch's half backward kernels
# (renorm: its composite renorm_backward; the loss: log_sigmoid's backward) round in another order (jtorch's gradient is computed in float32 and rounded
# once: equal on 50-100% of elements, within op_db's tolerance); the values are equal.
VALUES_ONLY = {"interpolate_trilinear", "interpolate_bicubic", "interpolate_linear",
               "interpolate_bilinear", "renorm", "multilabel_soft_margin_loss"}

# A composite of several half-precision ops compiled into one program: XLA evaluates the chain
# in float32 without rounding between the ops (as renorm(a * 3) compiled, even at float32, gives
# other values than eagerly), so only the eager values equal torch's. Reported, not fixed here.
EAGER_ONLY = {"multilabel_soft_margin_loss": "compiled: XLA fuses the composite's float16 steps "
                                             "without rounding between them (float16: 67% equal)"}


def _inputs(shapes, seed=3):
    rng = np.random.default_rng(seed)
    return [(rng.uniform(0.2, 1.8, s) * rng.choice([-1, 1], s)).astype(np.float32) for s in shapes]


def _run(L, fn, xs, dt, compiled=False):
    args = [L.tensor(x).to(getattr(L, dt)).requires_grad_() for x in xs]

    def step(*a):
        y = fn(L, *a)
        return (y,) + tuple(L.autograd.grad(y, a, L.ones_like(y)))
    f = jtorch.compile(step) if compiled else step
    out = f(*args)
    if compiled:  # the first call runs eagerly; the second runs the installed program
        out = f(*args)
    return [o.detach().float().numpy() for o in out]


@pytest.mark.parametrize("dt", ["bfloat16", "float16"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_half_values_and_gradients_equal_torch(name, dt):
    _check(name, dt, False)


# compiled: one dtype per op (the same rule serves both; the suite's time is shared)
@pytest.mark.parametrize("name", sorted(set(CASES) - {"cumprod_dim1", "std_dim", "softmax_weighted"}))
def test_half_values_and_gradients_equal_torch_compiled(name):
    _check(name, "float16", True)


def _check(name, dt, compiled):
    fn, shapes, share = CASES[name]
    if compiled and name in EAGER_ONLY:
        pytest.xfail(EAGER_ONLY[name])
    xs = _inputs(shapes)
    want, got = _run(torch, fn, xs, dt), _run(jtorch, fn, xs, dt, compiled)
    if name in VALUES_ONLY:
        want, got = want[:1], got[:1]
    for w, g in zip(want, got):
        assert w.shape == g.shape
        assert np.mean((w == g) | (np.isnan(w) & np.isnan(g))) >= share
