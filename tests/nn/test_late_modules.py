"""Lazy norms, SyncBatchNorm, CrossMapLRN2d, AdaptiveLogSoftmaxWithLoss and the init aliases."""
import warnings

import pytest

import jtorch as torch
import jtorch.nn as nn


def test_lazy_batchnorm_becomes_batchnorm():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = nn.LazyBatchNorm2d()
    assert m.has_uninitialized_params()
    y = m(torch.randn(4, 3, 2, 2))
    assert type(m) is nn.BatchNorm2d and m.num_features == 3 and y.shape == (4, 3, 2, 2)
    assert m.running_mean.shape == (3,) and int(m.num_batches_tracked) == 1


def test_sync_batchnorm_is_batchnorm_in_one_process():
    torch.manual_seed(0)
    x = torch.randn(4, 3, 2, 2)
    a, b = nn.SyncBatchNorm(3), nn.BatchNorm2d(3)
    assert torch.allclose(a(x), b(x)) and torch.allclose(a.running_var, b.running_var)
    s = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.BatchNorm1d(3)))
    assert type(s[0]) is nn.SyncBatchNorm


def test_cross_map_lrn_single_channel_window():
    x = torch.ones(1, 1, 1, 1) * 2.0
    y = nn.CrossMapLRN2d(1, alpha=1.0, beta=1.0, k=1.0)(x)
    assert y.item() == pytest.approx(2.0 / (1.0 + 4.0))  # x / (k + alpha/size * x^2)^beta


def test_adaptive_log_softmax_is_a_distribution():
    torch.manual_seed(0)
    m = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4, 8], div_value=2.0)
    x, t = torch.randn(5, 8), torch.tensor([0, 3, 5, 9, 8])
    out = m(x, t)
    lp = m.log_prob(x)
    assert torch.allclose(lp.exp().sum(1), torch.ones(5), atol=1e-5)
    assert torch.allclose(out.output, lp.gather(1, t[:, None]).squeeze(1), atol=1e-5)
    assert torch.allclose(out.loss, -out.output.mean())
    out.loss.backward()
    assert m.head.weight.grad is not None
    with pytest.raises(RuntimeError, match="Target values"):
        m(x, torch.tensor([0, 1, 2, 3, 10]))


def test_init_aliases_warn():
    w = torch.empty(3, 3)
    with pytest.warns(FutureWarning):
        nn.init.eye(w)
    assert torch.equal(w, torch.eye(3))
