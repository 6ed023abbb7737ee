"""torch.masked reductions and normalizations on both libraries (dense tensors, mask= kwarg)."""
import numpy as np
import pytest

from compat._harness import randn

X = randn(3, 4)
Y = randn(3, 4, seed=1)
MASK = np.array([[True, False, True, True], [False, False, False, False], [True, True, False, True]])
ROW = np.array([True, False, True, True])

CASES = {
    "sum": lambda lib, x, m: lib.masked.sum(x, 1, mask=m),
    "sum_all_keepdim": lambda lib, x, m: lib.masked.sum(x, keepdim=True, mask=m),
    "prod": lambda lib, x, m: lib.masked.prod(x, 0, mask=m),
    "cumsum": lambda lib, x, m: lib.masked.cumsum(x, 1, mask=m),
    "cumprod": lambda lib, x, m: lib.masked.cumprod(x, 0, mask=m),
    "amax": lambda lib, x, m: lib.masked.amax(x, 1, mask=m),
    "amin": lambda lib, x, m: lib.masked.amin(x, (0, 1), mask=m),
    "argmax": lambda lib, x, m: lib.masked.argmax(x, 1, mask=m),
    "argmin": lambda lib, x, m: lib.masked.argmin(x, 0, keepdim=True, mask=m),
    "mean": lambda lib, x, m: lib.masked.mean(x, 1, mask=m),
    "median": lambda lib, x, m: lib.masked.median(x, 1, mask=m),
    "logsumexp": lambda lib, x, m: lib.masked.logsumexp(x, 1, mask=m),
    "norm": lambda lib, x, m: lib.masked.norm(x, 2.0, 1, mask=m),
    "norm_inf": lambda lib, x, m: lib.masked.norm(x, float("inf"), 0, mask=m),
    "var": lambda lib, x, m: lib.masked.var(x, 1, mask=m),
    "std_correction0": lambda lib, x, m: lib.masked.std(x, 0, correction=0, mask=m),
    "softmax": lambda lib, x, m: lib.masked.softmax(x, 1, mask=m),
    "log_softmax": lambda lib, x, m: lib.masked.log_softmax(x, 0, mask=m),
    "softmin": lambda lib, x, m: lib.masked.softmin(x, 1, mask=m),
    "normalize": lambda lib, x, m: lib.masked.normalize(x, 2.0, 1, mask=m),
}
NO_GRAD = {"argmax", "argmin", "median"}  # index outputs; median's grad at nan rows is torch's choice


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("mask", ["full", "row", "none"])
def test_masked(compat, name, mask):
    m = {"full": MASK, "row": ROW, "none": None}[mask]
    fn = CASES[name]
    if m is None:
        compat.same(lambda lib, x: fn(lib, x, None), X, grad=name not in NO_GRAD, grad_fn=False,
                    rtol=1e-6, atol=1e-7)
    else:
        compat.same(lambda lib, x, mm: fn(lib, x, mm.bool()), X, m, grad=name not in NO_GRAD,
                    grad_fn=False, rtol=1e-6, atol=1e-7)


def test_logaddexp(compat):
    compat.same(lambda lib, x, y, m: lib.masked.logaddexp(x, y, input_mask=m.bool(), other_mask=m.bool()),
                X, Y, MASK, grad_fn=False, rtol=1e-6, atol=1e-7)
