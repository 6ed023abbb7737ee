"""In-place samplers cauchy_, log_normal_, geometric_ (and the argument checks of uniform_ and
exponential_): support and rough moments of the draws, torch's errors."""
import math

import pytest

import jtorch


def test_draws_follow_their_distributions():
    jtorch.manual_seed(0)
    x = jtorch.empty(20000)
    assert abs(x.cauchy_(1.0, 0.5).median().item() - 1.0) < 0.05
    assert abs(x.log_normal_(0.0, 0.25).log().std().item() - 0.25) < 0.01
    g = jtorch.empty(20000, dtype=jtorch.int64).geometric_(0.2)
    assert g.dtype is jtorch.int64 and g.min().item() >= 1
    assert abs(g.double().mean().item() - 5.0) < 0.2  # mean 1/p
    assert x.log_normal_().min().item() > 0


@pytest.mark.parametrize("call", [
    lambda: jtorch.empty(3).cauchy_(0, -1),
    lambda: jtorch.empty(3).log_normal_(0, 0),
    lambda: jtorch.empty(3).geometric_(1.5),
    lambda: jtorch.empty(3).uniform_(3, -1),
    lambda: jtorch.empty(3).exponential_(0),
    lambda: jtorch.empty(3, dtype=jtorch.int64).cauchy_(),
])
def test_bad_arguments_raise_runtime_error(call):
    with pytest.raises(RuntimeError):
        call()


def test_returns_self():
    x = jtorch.empty(4, dtype=jtorch.float64)
    assert x.cauchy_() is x and x.dtype is jtorch.float64 and not math.isnan(x.sum().item())
