"""nn.init. Exact values (fans, gains, deterministic fills) were checked against torch 2.13;
random initialisers are checked by their distribution's moments and bounds."""
import math
import warnings

import pytest

import jtorch as torch
import jtorch.nn as nn
from jtorch.nn import init


def test_fans():
    assert init._calculate_fan_in_and_fan_out(torch.empty(5, 3)) == (3, 5)
    assert init._calculate_fan_in_and_fan_out(torch.empty(5, 3, 2, 7)) == (42, 70)
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with "
                                         "fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(torch.empty(3))


def test_gains():
    assert init.calculate_gain("conv2d") == 1 and init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == 5.0 / 3 and init.calculate_gain("selu") == 0.75
    assert init.calculate_gain("relu") == math.sqrt(2.0)
    assert init.calculate_gain("leaky_relu") == math.sqrt(2.0 / (1 + 0.01 ** 2))
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


def _moments(t):
    return t.mean().item(), t.std().item(), t.min().item(), t.max().item()


def test_kaiming_uniform_bounds_and_in_place_on_parameter():
    w = nn.Parameter(torch.empty(300, 200))
    assert init.kaiming_uniform_(w, a=math.sqrt(5)) is w
    assert w.requires_grad and w.is_leaf and w.grad_fn is None
    bound = math.sqrt(3.0) * math.sqrt(2.0 / (1 + 5)) / math.sqrt(200)
    mean, std, lo, hi = _moments(w)
    assert abs(mean) < 0.01 * bound and abs(std - bound / math.sqrt(3)) < 0.01 * bound
    assert -bound <= lo < -0.99 * bound and 0.99 * bound < hi <= bound


def test_normal_family_std():
    t = torch.empty(300, 200)
    for fill, std in [(lambda: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
                       math.sqrt(2.0) / math.sqrt(300)),
                      (lambda: init.xavier_normal_(t, gain=2.0), 2.0 * math.sqrt(2.0 / 500)),
                      (lambda: init.normal_(t, 1.0, 0.5), 0.5)]:
        fill()
        assert abs(t.std().item() - std) < 0.02 * std


def test_xavier_uniform_and_trunc_normal():
    t = torch.empty(300, 200)
    init.xavier_uniform_(t)
    bound = math.sqrt(6.0 / 500)
    assert -bound <= t.min().item() < -0.99 * bound and t.max().item() <= bound
    init.trunc_normal_(t, mean=0.1, std=0.5, a=-0.3, b=0.4)
    assert -0.3 <= t.min().item() < -0.29 and 0.39 < t.max().item() <= 0.4


def test_orthogonal():
    for shape in [(3, 5), (5, 3), (4, 2, 2)]:
        q = init.orthogonal_(torch.empty(*shape), gain=2.0).reshape(shape[0], -1)
        g = q @ q.t() if q.shape[0] <= q.shape[1] else q.t() @ q
        assert torch.allclose(g, 4 * torch.eye(g.shape[0]), atol=1e-5)


def test_deterministic_fills():
    assert init.eye_(torch.empty(2, 3)).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert init.dirac_(torch.empty(4, 2, 3), groups=2).tolist() == [
        [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]], [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
        [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]], [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0]]]
    assert init.constant_(torch.empty(2), 3.5).tolist() == [3.5, 3.5]
    assert init.ones_(torch.empty(2)).tolist() == [1.0, 1.0]
    assert init.zeros_(torch.empty(2)).tolist() == [0.0, 0.0]
    s = init.sparse_(torch.empty(10, 4), 0.35)
    assert (s == 0).sum(0).tolist() == [4, 4, 4, 4]


def test_errors_and_warnings():
    with pytest.raises(ValueError, match=r"Mode fan not supported, please use one of \['fan_in', "
                                         r"'fan_out'\]"):
        init.kaiming_uniform_(torch.empty(3, 3), mode="fan")
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(torch.empty(3))
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions are supported"):
        init.dirac_(torch.empty(3, 3))
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        init.dirac_(torch.empty(3, 3, 3), groups=2)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        init.orthogonal_(torch.empty(3))
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        init.kaiming_uniform_(torch.empty(0, 3))
        init.trunc_normal_(torch.empty(3), mean=10)
    assert [str(w.message) for w in ws] == [
        "Initializing zero-element tensors is a no-op",
        "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values "
        "may be incorrect."]
