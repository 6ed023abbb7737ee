"""OpInfo entries closed in issue 16: batch_norm on empty inputs, ..."""
import pytest


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
    runs = []
    for _ in range(3 if compiled else 1):
        y = _compiled(lib, f)() if compiled else f()
        y.sum().backward()
        runs.append([y, x.grad, w.grad if affine else None, b.grad if affine else None, rm, rv])
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
