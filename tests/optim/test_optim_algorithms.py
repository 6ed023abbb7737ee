"""Each optimizer's update against values computed with torch 2.13 (float64, 3 steps).

Two parameters start at P0 and receive the gradients G; the expected parameters were
produced by running the same loop on torch.optim (see compat/test_optim_compat.py for the
live comparison over torch's full option grids).
"""
from __future__ import annotations

import numpy as np
import pytest

import jtorch

P0 = [[0.5, -1.25, 2.0], [0.75, -0.5]]
G = [[[0.1, -0.2, 0.3], [0.4, -0.5]], [[-0.3, 0.25, 0.1], [0.2, 0.6]],
     [[0.05, -0.4, -0.2], [-0.1, 0.3]]]

# (optimizer, options, parameters after the 3 steps) -- from torch.
CASES = [
    ('SGD', {'lr': 0.1}, [[0.515, -1.2149999999999999, 1.98], [0.7, -0.54]]),
    ('SGD', {'lr': 0.1, 'momentum': 0.9, 'dampening': 0.1, 'weight_decay': 0.01}, [[0.517052006495, -1.1959534202875, 1.90907913408], [0.6125661394925, -0.491564474095]]),
    ('SGD', {'lr': 0.1, 'momentum': 0.9, 'nesterov': True, 'maximize': True}, [[0.46259, -1.32703, 2.0922699999999996], [0.92276, -0.45235]]),
    ('Adam', {'lr': 0.1}, [[0.4771688089923065, -1.1242434361775049, 1.79017109101043], [0.5004159060440021, -0.447528370178433]]),
    ('Adam', {'lr': 0.1, 'amsgrad': True, 'weight_decay': 0.1, 'maximize': True}, [[0.4850536567402192, -1.287790169620745, 2.027300522311214], [0.9659543318830272, -0.533364076761119]]),
    ('AdamW', {'lr': 0.1}, [[0.47582078949119644, -1.1206808116920615, 1.7844640953949429], [0.4984612732499374, -0.4462154752016284]]),
    ('Adamax', {'lr': 0.1, 'weight_decay': 0.1}, [[0.42814066657369215, -1.0773608704105198, 1.7740936357393398], [0.5280000459341977, -0.42707682203221037]]),
    ('NAdam', {'lr': 0.1}, [[0.47866825631430393, -1.1348957311637382, 1.9084385094587288], [0.60766307717014, -0.5124175369335774]]),
    ('NAdam', {'lr': 0.1, 'weight_decay': 0.1, 'decoupled_weight_decay': True}, [[0.4649486259522305, -1.0990950563714983, 1.851529280503699], [0.5880135894678387, -0.4989068003430966]]),
    ('RAdam', {'lr': 0.1}, [[0.5061817828704603, -1.2212487861720722, 1.945618566711983], [0.6656185667119828, -0.4739463973587104]]),
    ('RAdam', {'lr': 0.1, 'weight_decay': 0.1, 'decoupled_weight_decay': True}, [[0.4914197565546708, -1.184483694066809, 1.887008303554088], [0.6444335535540879, -0.4600119499902893]]),
    ('RMSprop', {'lr': 0.1}, [[0.29214094575271765, -0.2495555126693223, 1.2205092265258641], [-0.47890875713005554, -0.6305856182371845]]),
    ('RMSprop', {'lr': 0.1, 'centered': True, 'momentum': 0.5, 'weight_decay': 0.1}, [[0.014603984020655238, 0.3935137207435016, 0.012371633753864146], [-1.1440020827983965, -0.24745365246483328]]),
    ('Adagrad', {'lr': 0.1, 'lr_decay': 0.1, 'initial_accumulator_value': 0.2}, [[0.5203954131708886, -1.2014831768716405, 1.9562768428213766], [0.6675998347755377, -0.5124227751924034]]),
    ('Adadelta', {'lr': 1.0, 'rho': 0.8, 'weight_decay': 0.1}, [[0.4990500109625337, -1.246154245021561, 1.9960061106405118], [0.7462403095138872, -0.501472570827812]]),
    ('ASGD', {'lr': 0.1, 'lambd': 0.01, 't0': 1}, [[0.5134776614856248, -1.2113127045301804, 1.9740579078754539], [0.6978537689200912, -0.5384527084468479]]),
    ('Rprop', {'lr': 0.1}, [[0.35000000000000003, -1.0999999999999999, 1.7799999999999998], [0.53, -0.45]]),
    ('Rprop', {'lr': 0.1, 'etas': (0.4, 1.5), 'maximize': True}, [[0.64, -1.3900000000000001, 2.25], [1.0, -0.5599999999999999]]),
]


@pytest.mark.parametrize("name,kwargs,expected", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_three_steps_match_torch(name, kwargs, expected):
    ps = [jtorch.tensor(p, dtype=jtorch.float64, requires_grad=True) for p in P0]
    opt = getattr(jtorch.optim, name)(ps, **kwargs)
    for grads in G:
        for p, g in zip(ps, grads):
            p.grad = jtorch.tensor(g, dtype=jtorch.float64)
        opt.step()
    for p, e in zip(ps, expected):
        np.testing.assert_allclose(p.detach().numpy(), e, rtol=1e-12, atol=1e-14)
        assert p.dtype == jtorch.float64


@pytest.mark.parametrize("name,kwargs,expected", CASES[:8],
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES[:8])])
def test_float32_params_stay_float32(name, kwargs, expected):
    ps = [jtorch.tensor(p, requires_grad=True) for p in P0]
    opt = getattr(jtorch.optim, name)(ps, **kwargs)
    for grads in G:
        for p, g in zip(ps, grads):
            p.grad = jtorch.tensor(g)
        opt.step()
    for p, e in zip(ps, expected):
        assert p.dtype == jtorch.float32
        np.testing.assert_allclose(p.detach().numpy(), e, rtol=1e-5, atol=1e-6)
    for st in opt.state.values():
        for v in st.values():
            if isinstance(v, jtorch.Tensor) and v.ndim:
                assert v.dtype == jtorch.float32


# Adafactor factors the second moment of matrices, so it gets a 2-D parameter. From torch.
ADAFACTOR = [
    ({"lr": 0.1},
     [[0.27819393371769113, -0.7113991933820599, 1.5128897921222777],
      [1.1664460589519885, 0.5027001238353832, -0.8089380964882876]],
     [0.17783422502764548, -0.46424061782723164]),
    ({"lr": 0.1, "weight_decay": 0.1, "maximize": True, "d": 1.5},
     [[0.8138181701417432, -1.3171253335077622, 2.6041973047442752],
      [1.8808946957031187, -0.14505246582419706, -0.6517393234133952]],
     [0.4449197500474309, -0.7560543985234939]),
]


@pytest.mark.parametrize("kwargs,w_expected,b_expected", ADAFACTOR)
def test_adafactor_matches_torch(kwargs, w_expected, b_expected):
    f64 = jtorch.float64
    w = jtorch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=f64, requires_grad=True)
    b = jtorch.tensor([0.3, -0.6], dtype=f64, requires_grad=True)
    opt = jtorch.optim.Adafactor([w, b], **kwargs)
    for i in range(3):
        w.grad = jtorch.tensor([[0.1 * (i + 1), -0.2, 0.3], [0.4, -0.5 * i, 0.05]], dtype=f64)
        b.grad = jtorch.tensor([0.2, -0.1 * (i + 2)], dtype=f64)
        opt.step()
    np.testing.assert_allclose(w.detach().numpy(), w_expected, rtol=1e-12)
    np.testing.assert_allclose(b.detach().numpy(), b_expected, rtol=1e-12)
    assert list(opt.state[w]) == ["step", "row_var", "col_var"]
    assert list(opt.state[b]) == ["step", "variance"]


# Muon orthogonalizes in bfloat16, so float32 parameters agree to bfloat16 rounding. From torch.
MUON = [
    ({"lr": 0.01},
     [[0.48137331008911133, -0.9805185198783875], [1.9741266965866089, 1.4725379943847656],
      [0.2689270079135895, -0.7510468363761902]]),
    ({"lr": 0.01, "nesterov": False, "adjust_lr_fn": "match_rms_adamw", "momentum": 0.8},
     [[0.4935553967952728, -0.9922459721565247], [1.9879637956619263, 1.4887585639953613],
      [0.25474876165390015, -0.7486680150032043]]),
]


@pytest.mark.parametrize("kwargs,expected", MUON)
def test_muon_matches_torch(kwargs, expected):
    w = jtorch.tensor([[0.5, -1.0], [2.0, 1.5], [0.25, -0.75]], requires_grad=True)
    opt = jtorch.optim.Muon([w], **kwargs)
    for i in range(3):
        w.grad = jtorch.tensor([[0.1 * (i + 1), -0.2], [0.3, 0.4], [-0.5 * i, 0.05]])
        opt.step()
    np.testing.assert_allclose(w.detach().numpy(), expected, rtol=0, atol=2e-5)
    with pytest.raises(ValueError, match="2D parameters"):
        jtorch.optim.Muon([jtorch.zeros(3, requires_grad=True)])
