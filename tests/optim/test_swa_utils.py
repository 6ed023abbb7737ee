"""swa_utils: averaging rules and SWALR's annealing (values checked against torch 2.13)."""
from __future__ import annotations

import numpy as np
import pytest

import jtorch
from jtorch.optim import swa_utils


def _model(value):
    m = jtorch.nn.Linear(2, 1)
    with jtorch.no_grad():
        m.weight.fill_(value)
        m.bias.fill_(value)
    return m


def test_swa_is_the_running_mean():
    m = _model(1.0)
    avg = swa_utils.AveragedModel(m)
    for v in (1.0, 2.0, 6.0):
        with jtorch.no_grad():
            m.weight.fill_(v)
        avg.update_parameters(m)
    np.testing.assert_allclose(avg.module.weight.detach().numpy(), [[3.0, 3.0]])
    assert int(avg.n_averaged) == 3
    assert avg.module.weight is not m.weight


@pytest.mark.parametrize("use_multi", [False, True])
def test_ema(use_multi):
    m = _model(0.0)
    kw = ({"multi_avg_fn": swa_utils.get_ema_multi_avg_fn(0.5)} if use_multi
          else {"avg_fn": swa_utils.get_ema_avg_fn(0.5)})
    avg = swa_utils.AveragedModel(m, **kw)
    for v in (0.0, 4.0, 8.0):
        with jtorch.no_grad():
            m.weight.fill_(v)
        avg.update_parameters(m)
    # 0 -> 0.5*0 + 0.5*4 = 2 -> 0.5*2 + 0.5*8 = 5
    np.testing.assert_allclose(avg.module.weight.detach().numpy(), [[5.0, 5.0]])


def test_swalr_anneals_to_swa_lr():
    m = _model(1.0)
    opt = jtorch.optim.SGD(m.parameters(), lr=0.1)
    sched = swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=3)
    lrs = []
    for _ in range(5):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    # torch 2.13 gives these values for the same schedule.
    assert lrs == pytest.approx([0.08750000000000001, 0.06250000000000001, 0.05, 0.05, 0.05])
    with pytest.raises(ValueError, match="anneal_strategy"):
        swa_utils.SWALR(opt, 0.05, anneal_strategy="exp")
