"""OpInfo entries closed in issue 16: batch_norm on empty inputs, cholesky_solve's gradient
with respect to the factor, cov's normalisation with aweights, bicubic grid sampling."""
import numpy as np
import pytest

from compat._harness import randn


def _compiled(lib, fn):
    return lib.compile(fn) if lib.__name__ == "jtorch" else fn


def _bn_case(lib, shape, training, stats, affine, compiled=False):
    c = shape[1] if len(shape) > 1 else 0
    x = lib.zeros(shape, requires_grad=True)
    rm, rv = (lib.zeros(c), lib.ones(c)) if stats else (None, None)
    w = lib.ones(c, requires_grad=True) if affine else None
    b = lib.zeros(c, requires_grad=True) if affine else None

    def f():
        return lib.nn.functional.batch_norm(x, rm, rv, w, b, training=training)
    g = _compiled(lib, f) if compiled else f
    runs = []
    for _ in range(3 if compiled else 1):  # compiled: the first call and the installed program's
        y = g()
        y.sum().backward()
        # a compiled output's grad_fn is CompiledFunctionBackward (in torch.compile too)
        runs.append([y.detach() if compiled else y, x.grad, w.grad if affine else None,
                     b.grad if affine else None, rm, rv])
    return runs


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("stats", [True, False])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(0, 1), (0, 3, 4), (2, 3, 0), (2, 0), (0,), (2, 0, 4)], ids=str)
def test_batch_norm_empty(compat, shape, training, stats, affine):
    compat.value(lambda lib: _bn_case(lib, shape, training, stats, affine))


@pytest.mark.parametrize("shape", [(0, 3, 4), (2, 0)], ids=str)
def test_batch_norm_empty_compiled(compat, shape):
    compat.value(lambda lib: _bn_case(lib, shape, True, True, True, compiled=True))


@pytest.mark.parametrize("shape", [(1, 0), (1, 3, 0), (1, 2), (1,)], ids=str)
def test_batch_norm_train_batch_size(compat, shape):
    compat.value(lambda lib: lib.nn.functional.batch_norm(lib.zeros(shape), None, None, training=True))


def test_batch_norm_module_empty(compat):
    def f(lib):
        m = lib.nn.BatchNorm1d(3)
        y = m(lib.zeros(0, 3))
        return [y, m.running_mean, m.running_var, m.num_batches_tracked]
    compat.value(f)


def _factor(shape, upper, full, seed):
    a = randn(*shape, seed=seed)
    a = a if full else (np.triu(a) if upper else np.tril(a))
    return a + 3 * np.eye(shape[-1])


@pytest.mark.parametrize("full", [False, True], ids=["triangular", "upper_part_ignored"])
@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("bshape,lshape", [((3, 2), (3, 3)), ((2, 3, 2), (3, 3)), ((3, 1), (2, 3, 3))], ids=str)
def test_cholesky_solve_grad(compat, bshape, lshape, upper, full):
    """torch differentiates through all of the factor (its unread triangle too)."""
    w = randn(*np.broadcast_shapes(bshape[:-2], lshape[:-2]), lshape[-1], bshape[-1], seed=7)
    compat.same(lambda lib, b, f: lib.cholesky_solve(b, f, upper) * lib.tensor(w),
                randn(*bshape, seed=1), _factor(lshape, upper, full, 2))


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_grad_compiled(compat, upper):
    def run(lib):
        b0 = lib.tensor(randn(3, 2, seed=1)).requires_grad_()
        f0 = lib.tensor(_factor((3, 3), upper, True, 2)).requires_grad_()
        g = _compiled(lib, lambda b, f: (lib.cholesky_solve(b, f, upper) ** 2).sum())
        out = []
        for _ in range(3):
            b0.grad = f0.grad = None
            g(b0, f0).backward()
            out.append([b0.grad, f0.grad])
        return out
    compat.value(run)


# OpInfo's ill-conditioned sample: float32 aweights on float64 input, correction 2 leaves a
# normalising factor near zero, which torch computes in the weights' dtype
_AW = np.array([0.3666413426399231, 0.05830073356628418, 0.7006447315216064], dtype=np.float32)
_CX = randn(2, 3, seed=3)


@pytest.mark.parametrize("correction", [0, 1, 2, 3])
def test_cov_aweights_float32_on_float64(compat, correction):
    compat.same(lambda lib, x: lib.cov(x, correction=correction, aweights=lib.tensor(_AW)), _CX,
                rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("xd", ["float32", "float64"])
@pytest.mark.parametrize("wd", ["float32", "float64"])
@pytest.mark.parametrize("fw", [False, True])
def test_cov_weight_dtypes(compat, xd, wd, fw):
    aw = np.random.default_rng(4).random(5).astype(wd)
    f = [1, 3, 0, 2, 1] if fw else None
    compat.same(lambda lib, x: lib.cov(x, aweights=lib.tensor(aw), fweights=f and lib.tensor(f)),
                randn(3, 5, seed=5).astype(xd), rtol=1e-5 if "float32" in (xd, wd) else 1e-9, atol=1e-6)


@pytest.mark.parametrize("case", ["numel", "neg_aweights", "neg_fweights", "too_few"])
def test_cov_refusals(compat, case):
    x = randn(3, 5, seed=5)
    kw = {"numel": lambda lib: {"aweights": lib.ones(4, dtype=lib.float64)},
          "neg_aweights": lambda lib: {"aweights": -lib.ones(5, dtype=lib.float64)},
          "neg_fweights": lambda lib: {"fweights": lib.tensor([1, -1, 1, 1, 1])},
          "too_few": lambda lib: {"correction": 6}}[case]
    compat.value(lambda lib: lib.cov(lib.tensor(x), **kw(lib)))


def test_cov_compiled(compat):
    def run(lib):
        g = _compiled(lib, lambda x, w: lib.cov(x, correction=2, aweights=w))
        return [g(lib.tensor(_CX), lib.tensor(_AW)) for _ in range(3)]
    compat.value(run, rtol=1e-9, atol=1e-9)


_GX = randn(2, 3, 4, 5, seed=8)
_GG = np.random.default_rng(9).random((2, 3, 6, 2)) * 2.6 - 1.3  # some points outside [-1, 1]


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_bicubic(compat, padding_mode, align_corners):
    """Keys' cubic convolution (A = -0.75), each of the 4x4 taps padded on its own; grads to both."""
    compat.same(lambda lib, x, g: lib.nn.functional.grid_sample(
        x, g, mode="bicubic", padding_mode=padding_mode, align_corners=align_corners), _GX, _GG)


@pytest.mark.parametrize("padding", [0, 1, 2])
def test_grid_sampler_2d_bicubic(compat, padding):
    compat.same(lambda lib, x, g: lib.grid_sampler_2d(x, g, 2, padding, False), _GX, _GG)


def test_grid_sample_bicubic_5d_refused(compat):
    compat.value(lambda lib: lib.nn.functional.grid_sample(
        lib.zeros(1, 1, 2, 2, 2), lib.zeros(1, 1, 1, 1, 3), mode="bicubic", align_corners=False))


def test_grid_sample_bicubic_compiled(compat):
    def run(lib):
        x = lib.tensor(_GX).requires_grad_()
        f = _compiled(lib, lambda x, g: lib.nn.functional.grid_sample(
            x, g, mode="bicubic", padding_mode="reflection", align_corners=False))
        out = []
        for _ in range(3):
            x.grad = None
            y = f(x, lib.tensor(_GG))
            y.sum().backward()
            out.append([y.detach(), x.grad])
        return out
    compat.value(run)
