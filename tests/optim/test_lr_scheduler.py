"""Learning-rate schedulers: sequences computed with torch 2.13 (one SGD group, lr=0.1,
15 values: the initial one and 14 steps), warnings, state dicts and edge cases."""
from __future__ import annotations

import warnings

import pytest

import jtorch
from jtorch.optim import lr_scheduler as L  # noqa: F401 (used by the expressions)

# name: (scheduler expression over `L` and optimizer `o`, torch's get_last_lr()[0] sequence)
SEQUENCES = {
    'LambdaLR': ('L.LambdaLR(o, lambda e: 0.95 ** e)',
        [0.1, 0.095, 0.09025, 0.0857375, 0.081450625, 0.07737809374999999, 0.07350918906249998, 0.06983372960937498, 0.06634204312890622, 0.0630249409724609, 0.05987369392383787, 0.05688000922764597, 0.05403600876626367, 0.051334208327950485, 0.04876749791155296]),
    'MultiplicativeLR': ('L.MultiplicativeLR(o, lambda e: 0.97)',
        [0.1, 0.097, 0.09409000000000001, 0.09126730000000001, 0.088529281, 0.08587340257, 0.08329720049289999, 0.08079828447811299, 0.0783743359437696, 0.0760231058654565, 0.0737424126894928, 0.07153014030880801, 0.06938423609954376, 0.06730270901655745, 0.06528362774606072]),
    'StepLR': ('L.StepLR(o, 3, 0.5)',
        [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.0125, 0.00625, 0.00625, 0.00625]),
    'MultiStepLR': ('L.MultiStepLR(o, [2, 5, 5, 9], 0.3)',
        [0.1, 0.1, 0.03, 0.03, 0.03, 0.0026999999999999997, 0.0026999999999999997, 0.0026999999999999997, 0.0026999999999999997, 0.0008099999999999998, 0.0008099999999999998, 0.0008099999999999998, 0.0008099999999999998, 0.0008099999999999998, 0.0008099999999999998]),
    'ConstantLR': ('L.ConstantLR(o, 0.25, 4)',
        [0.025, 0.025, 0.025, 0.025, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]),
    'LinearLR': ('L.LinearLR(o, 0.1, 0.9, 6)',
        [0.010000000000000002, 0.023333333333333334, 0.03666666666666667, 0.05, 0.06333333333333334, 0.07666666666666667, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001]),
    'ExponentialLR': ('L.ExponentialLR(o, 0.9)',
        [0.1, 0.09000000000000001, 0.08100000000000002, 0.07290000000000002, 0.06561000000000002, 0.05904900000000002, 0.05314410000000002, 0.04782969000000002, 0.043046721000000024, 0.03874204890000002, 0.03486784401000002, 0.03138105960900001, 0.028242953648100012, 0.025418658283290013, 0.022876792454961013]),
    'PolynomialLR': ('L.PolynomialLR(o, 8, 2.0)',
        [0.1, 0.0765625, 0.05625, 0.03906250000000001, 0.02500000000000001, 0.014062500000000006, 0.006250000000000002, 0.0015625000000000005, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    'CosineAnnealingLR': ('L.CosineAnnealingLR(o, 5, 0.001)',
        [0.1, 0.0905463412215599, 0.06579634122155989, 0.035203658778440096, 0.010453658778440105, 0.001, 0.010453658778440102, 0.03520365877844012, 0.06579634122155993, 0.09054634122155995, 0.10000000000000005, 0.09054634122155998, 0.06579634122155995, 0.03520365877844014, 0.010453658778440116]),
    'ChainedScheduler': ('L.ChainedScheduler([L.ConstantLR(o, 0.5, 3), L.ExponentialLR(o, 0.9)])',
        [0.05, 0.045000000000000005, 0.04050000000000001, 0.07290000000000002, 0.06561000000000002, 0.05904900000000002, 0.05314410000000002, 0.04782969000000002, 0.043046721000000024, 0.03874204890000002, 0.03486784401000002, 0.03138105960900001, 0.028242953648100012, 0.025418658283290013, 0.022876792454961013]),
    'SequentialLR': ('L.SequentialLR(o, [L.LinearLR(o, 0.1, 1.0, 4), L.CosineAnnealingLR(o, 6)], [4])',
        [0.010000000000000002, 0.03250000000000001, 0.055000000000000014, 0.07750000000000003, 0.1, 0.09330127018922195, 0.07500000000000001, 0.05, 0.025000000000000012, 0.006698729810778065, 0.0, 0.006698729810778065, 0.025, 0.05000000000000004, 0.07500000000000008]),
    'CyclicLR': ("L.CyclicLR(o, 0.01, 0.1, step_size_up=3, step_size_down=2, mode='triangular2')",
        [0.01, 0.039999999999999994, 0.06999999999999999, 0.09999999999999999, 0.055, 0.01, 0.025000000000000015, 0.039999999999999994, 0.055, 0.03250000000000002, 0.01, 0.01750000000000001, 0.024999999999999998, 0.0325, 0.021250000000000012]),
    'OneCycleLR': ('L.OneCycleLR(o, 0.5, total_steps=15)',
        [0.020000000000000018, 0.11036244755390395, 0.31340502414951543, 0.4762325282965806, 0.49720771772545586, 0.47524231600673683, 0.4332632349055847, 0.3750005, 0.30563101096814466, 0.23131855133348753, 0.15866610924942562, 0.09412917302511849, 0.043442132659775645, 0.01110875412627059, 2e-06]),
    'CosineAnnealingWarmRestarts': ('L.CosineAnnealingWarmRestarts(o, 3, 2, 0.001)',
        [0.1, 0.07525000000000001, 0.025750000000000012, 0.1, 0.09336825748732973, 0.07525000000000001, 0.0505, 0.025750000000000012, 0.007631742512670284, 0.1, 0.09831332840130888, 0.09336825748732973, 0.0855017856687341, 0.07525000000000001, 0.06331154273257478]),
}


def _sgd(lr=0.1):
    return jtorch.optim.SGD([jtorch.zeros(2, requires_grad=True)], lr=lr, momentum=0.9)


@pytest.mark.parametrize("name", list(SEQUENCES))
def test_sequence_matches_torch(name):
    expr, expected = SEQUENCES[name]
    o = _sgd()
    s = eval(expr)
    seq = [s.get_last_lr()[0]]
    for _ in range(14):
        o.step()
        s.step()
        seq.append(s.get_last_lr()[0])
    assert seq == pytest.approx(expected, rel=1e-15, abs=1e-18)
    assert o.param_groups[0]["lr"] == seq[-1]


def test_initial_lr_and_base_lrs():
    o = _sgd(0.2)
    s = L.StepLR(o, 2)
    assert o.param_groups[0]["initial_lr"] == 0.2
    assert s.base_lrs == [0.2] and s.last_epoch == 0
    with pytest.raises(KeyError, match="initial_lr"):
        L.StepLR(_sgd(), 2, last_epoch=3)


def _warned(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fn()
    return [str(x.message) for x in w]


def test_ordering_warning():
    o = _sgd()
    s = L.StepLR(o, 2)
    msgs = _warned(s.step)
    assert len(msgs) == 1 and msgs[0].startswith(
        "Detected call of `lr_scheduler.step()` before `optimizer.step()`.")
    o2 = _sgd()
    s2 = L.StepLR(o2, 2)
    assert _warned(lambda: (o2.step(), s2.step())) == []


def test_get_lr_outside_step_warns():
    s = L.StepLR(_sgd(), 2)
    assert _warned(s.get_lr) == [
        "To get the last learning rate computed by the scheduler, please use `get_last_lr()`."]


def test_state_dict_round_trip():
    o = _sgd()
    s = L.CosineAnnealingLR(o, 10)
    for _ in range(4):
        o.step()
        s.step()
    sd = s.state_dict()
    assert "optimizer" not in sd and sd["last_epoch"] == 4 and sd["T_max"] == 10
    o2 = _sgd()
    o2.load_state_dict(o.state_dict())
    s2 = L.CosineAnnealingLR(o2, 10, last_epoch=3)
    s2.load_state_dict(sd)
    for _ in range(3):
        o.step(), s.step(), o2.step(), s2.step()
    assert s2.get_last_lr() == s.get_last_lr()


def test_reduce_on_plateau():
    o = _sgd(1.0)
    s = L.ReduceLROnPlateau(o, patience=1, factor=0.5, min_lr=0.2)
    lrs = []
    for metric in [5, 4, 4, 4, 4, 4, 4, 4, 3]:
        s.step(metric)
        lrs.append(s.get_last_lr()[0])
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2]


def test_cyclic_lr_cycles_momentum():
    o = _sgd()
    L.CyclicLR(o, 0.01, 0.1, step_size_up=2, base_momentum=0.8, max_momentum=0.9)
    assert o.param_groups[0]["momentum"] == 0.9
    with pytest.raises(ValueError, match="momentum"):
        L.CyclicLR(jtorch.optim.Adagrad([jtorch.zeros(1, requires_grad=True)]), 0.01, 0.1)


def test_tensor_lr_is_filled_in_place():
    lr = jtorch.tensor(0.1)
    o = jtorch.optim.SGD([jtorch.zeros(2, requires_grad=True)], lr=lr)
    s = L.ExponentialLR(o, 0.5)
    o.step()
    s.step()
    assert o.param_groups[0]["lr"] is lr
    assert float(lr) == pytest.approx(0.05)
