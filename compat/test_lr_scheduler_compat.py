"""jtorch.optim.lr_scheduler against torch's: every scheduler's learning rates (and cycled
momentum) over 100 steps must be equal, bit for bit; state_dicts and warnings match."""
from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")

import jtorch  # noqa: E402

CASES = {
    "LambdaLR": lambda L, o: L.LambdaLR(o, lambda e: 0.95 ** e),
    "LambdaLR-per-group": lambda L, o: L.LambdaLR(o, [lambda e: 0.9 ** e, lambda e: 1 / (e + 1)]),
    "MultiplicativeLR": lambda L, o: L.MultiplicativeLR(o, lambda e: 0.97),
    "StepLR": lambda L, o: L.StepLR(o, 7, 0.5),
    "MultiStepLR": lambda L, o: L.MultiStepLR(o, [10, 30, 30, 60], 0.3),
    "ConstantLR": lambda L, o: L.ConstantLR(o, 0.25, 12),
    "LinearLR": lambda L, o: L.LinearLR(o, 0.1, 0.9, 40),
    "ExponentialLR": lambda L, o: L.ExponentialLR(o, 0.97),
    "PolynomialLR": lambda L, o: L.PolynomialLR(o, 60, 2.0),
    "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, 17, 0.001),
    "CosineAnnealingLR-long": lambda L, o: L.CosineAnnealingLR(o, 100),
    "ChainedScheduler": lambda L, o: L.ChainedScheduler(
        [L.ConstantLR(o, 0.5, 10), L.ExponentialLR(o, 0.98)]),
    "SequentialLR": lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, 0.1, 1.0, 10), L.CosineAnnealingLR(o, 30)], [10]),
    "SequentialLR-3": lambda L, o: L.SequentialLR(
        o, [L.ConstantLR(o, 0.1, 5), L.ExponentialLR(o, 0.9), L.StepLR(o, 4)], [5, 40]),
    "CyclicLR": lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=9),
    "CyclicLR-triangular2": lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=9,
                                                    step_size_down=5, mode="triangular2"),
    "CyclicLR-exp_range": lambda L, o: L.CyclicLR(o, [0.01, 0.02], 0.1, step_size_up=9,
                                                  mode="exp_range", gamma=0.99),
    "OneCycleLR": lambda L, o: L.OneCycleLR(o, 0.5, total_steps=100),
    "OneCycleLR-three_phase": lambda L, o: L.OneCycleLR(
        o, [0.5, 0.2], epochs=10, steps_per_epoch=10, three_phase=True,
        anneal_strategy="linear"),
    "CosineAnnealingWarmRestarts": lambda L, o: L.CosineAnnealingWarmRestarts(o, 10, 2, 0.001),
    "CosineAnnealingWarmRestarts-1": lambda L, o: L.CosineAnnealingWarmRestarts(o, 7),
}


def _optimizer(lib, adam=False):
    p = lib.zeros(2, requires_grad=True)
    q = lib.zeros(2, requires_grad=True)
    groups = [{"params": [p]}, {"params": [q], "lr": 0.3}]
    if adam:
        return lib.optim.Adam(groups, lr=0.1)
    return lib.optim.SGD(groups, lr=0.1, momentum=0.9)


def _sequence(lib, name, adam=False):
    opt = _optimizer(lib, adam)
    sched = CASES[name](lib.optim.lr_scheduler, opt)
    seq = [list(sched.get_last_lr())]
    for _ in range(100):
        opt.step()
        sched.step()
        groups = opt.param_groups
        seq.append(list(sched.get_last_lr()) + [g["lr"] for g in groups]
                   + [g["betas"][0] if adam else g["momentum"] for g in groups])
    return seq, sched


@pytest.mark.parametrize("name", list(CASES))
def test_sequence_matches(name):
    ts, tsched = _sequence(torch, name)
    js, jsched = _sequence(jtorch, name)
    assert js == ts
    tsd, jsd = tsched.state_dict(), jsched.state_dict()
    assert sorted(jsd) == sorted(tsd)


@pytest.mark.parametrize("name", ["CyclicLR", "OneCycleLR"])
def test_beta1_cycling_matches(name):
    assert _sequence(jtorch, name, adam=True)[0] == _sequence(torch, name, adam=True)[0]


def test_reduce_lr_on_plateau_matches():
    def run(lib, **kw):
        opt = lib.optim.SGD([lib.zeros(2, requires_grad=True)], lr=1.0)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
        out = []
        for i in range(100):
            sched.step(10.0 - 0.1 * (i % 7) if i < 50 else 5.0 + 0.01 * (i % 3))
            out.append(sched.get_last_lr())
        return out, sorted(sched.state_dict())
    for kw in [dict(patience=3, cooldown=2, factor=0.5, min_lr=0.01),
               dict(mode="max", threshold_mode="abs", threshold=0.05, patience=2),
               dict(threshold=0.2, eps=0.3)]:
        assert run(jtorch, **kw) == run(torch, **kw)


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
                                  "LinearLR", "PolynomialLR", "ConstantLR"])
def test_step_with_epoch_closed_form_matches(name):
    def run(lib):
        opt = _optimizer(lib)
        sched = CASES[name](lib.optim.lr_scheduler, opt)
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for e in [3, 9, 10, 20, 35, 61, 80]:
                opt.step()
                sched.step(e)
                out.append(sched.get_last_lr())
        return out
    assert run(jtorch) == run(torch)


def _warnings_of(lib, fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fn(lib)
    return [str(x.message) for x in w if x.category is UserWarning]


def test_ordering_warning_matches():
    def scheduler_first(lib):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, 3)
        sched.step()
        opt.step()

    def right_order(lib):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, 3)
        opt.step()
        sched.step()

    def get_lr_outside(lib):
        opt = _optimizer(lib)
        lib.optim.lr_scheduler.StepLR(opt, 3).get_lr()

    for fn in (scheduler_first, right_order, get_lr_outside):
        assert _warnings_of(jtorch, fn) == _warnings_of(torch, fn)


def test_resume_from_state_dict_matches():
    def run(lib):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.OneCycleLR(opt, 0.5, total_steps=60)
        for _ in range(20):
            opt.step()
            sched.step()
        sd_opt, sd = opt.state_dict(), sched.state_dict()
        opt2 = _optimizer(lib)
        opt2.load_state_dict(sd_opt)
        sched2 = lib.optim.lr_scheduler.OneCycleLR(opt2, 0.5, total_steps=60, last_epoch=19)
        sched2.load_state_dict(sd)
        out = []
        for _ in range(30):
            opt2.step()
            sched2.step()
            out.append(sched2.get_last_lr())
        return out
    assert run(jtorch) == run(torch)
