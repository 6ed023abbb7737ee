"""nn.utils: clipping, parameter vectors, functional_call, parametrizations. Values checked
against torch 2.13."""
import math
import pickle

import pytest

import jtorch as torch
import jtorch.nn as nn
from jtorch.nn.utils import parametrizations, parametrize, stateless


def _params():
    ps = [nn.Parameter(torch.ones(3)), nn.Parameter(torch.ones(2, 2))]
    for p in ps:
        p.grad = torch.full_like(p, 2.0)
    return ps


def test_clip_grad_norm():
    ps = _params()
    total = nn.utils.clip_grad_norm_(ps, 1.0)
    assert math.isclose(total.item(), math.sqrt(28), rel_tol=1e-6)
    assert torch.allclose(ps[0].grad, torch.full((3,), 2 / (math.sqrt(28) + 1e-6)))
    ps = _params()
    assert nn.utils.clip_grad_norm_(ps, 10.0, norm_type="inf").item() == 2.0
    assert ps[1].grad.tolist() == [[2.0, 2.0], [2.0, 2.0]]  # below max_norm: unchanged
    assert nn.utils.clip_grad_norm_([], 1.0).item() == 0.0
    assert math.isclose(nn.utils.clip_grad_norm_(_params(), 1.0, norm_type=1).item(), 14.0)
    ps = _params()
    ps[0].grad[0] = float("nan")
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from "
                                           "`parameters` is non-finite"):
        nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)


def test_clip_grad_value():
    ps = _params()
    assert nn.utils.clip_grad_value_(ps, 0.1) is None
    assert torch.allclose(ps[1].grad, torch.full((2, 2), 0.1))


def test_parameters_vector_round_trip():
    ps = _params()
    v = nn.utils.parameters_to_vector(ps)
    assert v.shape == (7,)
    nn.utils.vector_to_parameters(torch.arange(7.0), ps)
    assert ps[1].tolist() == [[3.0, 4.0], [5.0, 6.0]] and type(ps[1]) is nn.Parameter
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        nn.utils.vector_to_parameters([1], ps)


class _M(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(2))
        self.register_buffer("b", torch.zeros(2))

    def forward(self, x):
        return x * self.w + self.b


def test_functional_call():
    m = _M()
    w = torch.tensor([2.0, 3.0], requires_grad=True)
    y = stateless.functional_call(m, {"w": w}, torch.ones(2))
    y.sum().backward()
    assert y.tolist() == [2.0, 3.0] and w.grad.tolist() == [1.0, 1.0]
    assert m.w.tolist() == [1.0, 1.0] and type(m.w) is nn.Parameter  # restored
    y = stateless.functional_call(m, {"w": w, "b": torch.ones(2)}, (torch.ones(2),))
    assert y.tolist() == [3.0, 4.0]
    with pytest.raises(RuntimeError, match="Error\\(s\\) in reparametrizing for _M:\n\t"
                                           "Unexpected key\\(s\\): 'z'.\n\tMissing key\\(s\\): 'b'."):
        stateless.functional_call(m, {"w": w, "z": w}, torch.ones(2), strict=True)


class _Sym(nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).transpose(-1, -2)


class _Lin(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.weight = nn.Parameter(torch.arange(float(i * o)).reshape(o, i) - 5)
        self.bias = nn.Parameter(torch.ones(o))

    def forward(self, x):
        return x @ self.weight.t() + self.bias


def test_register_and_remove_parametrization():
    m = _Lin(3, 3)
    parametrize.register_parametrization(m, "weight", _Sym())
    assert type(m).__name__ == "Parametrized_Lin"
    assert parametrize.type_before_parametrizations(m) is _Lin
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert repr(m) == ("Parametrized_Lin(\n  (parametrizations): ModuleDict(\n    (weight): "
                       "ParametrizationList(\n      (0): _Sym()\n    )\n  )\n)")
    assert m.weight.tolist() == [[-5.0, -4.0, -3.0], [-4.0, -1.0, 0.0], [-3.0, 0.0, 3.0]]
    m(torch.ones(1, 3)).sum().backward()
    assert m.parametrizations.weight.original.grad.tolist() == [[1.0, 2.0, 2.0], [0.0, 1.0, 2.0],
                                                                  [0.0, 0.0, 1.0]]
    assert parametrize.is_parametrized(m) and not parametrize.is_parametrized(m, "bias")
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules is only supported"):
        pickle.dumps(m)
    parametrize.remove_parametrizations(m, "weight")
    assert type(m) is _Lin and list(m.state_dict()) == ["bias", "weight"]
    assert m.weight.tolist()[1] == [-4.0, -1.0, 0.0] and not hasattr(m, "parametrizations")
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        parametrize.remove_parametrizations(m, "weight")


def test_weight_norm_parametrization():
    m = parametrizations.weight_norm(_Lin(3, 4))
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original0",
                                    "parametrizations.weight.original1"]
    g = m.parametrizations.weight.original0
    assert g.shape == (4, 1)
    assert torch.allclose(g.reshape(-1), torch.tensor([7.0711, 2.2361, 3.7417, 8.7750]), atol=1e-4)
    assert torch.allclose(m.weight, _Lin(3, 4).weight, atol=1e-5)
    m(torch.ones(2, 3)).sum().backward()
    assert torch.allclose(g.grad.reshape(-1), torch.tensor([-3.3941, -2.6833, 3.2071, 3.4188]),
                          atol=1e-4)
    m2 = parametrizations.weight_norm(_Lin(3, 4))
    m2.load_state_dict({"weight_g": torch.ones(4, 1), "weight_v": torch.ones(4, 3),
                        "bias": torch.zeros(4)})  # old hook-based keys load too
    assert torch.allclose(m2.weight, torch.full((4, 3), 1 / math.sqrt(3)))


def test_spectral_norm_parametrization():
    m = parametrizations.spectral_norm(_Lin(3, 4))
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original",
                                    "parametrizations.weight.0._u", "parametrizations.weight.0._v"]
    s = torch.tensor(0.0)
    for _ in range(5):  # power iteration converges to the largest singular value
        s = m.weight
    import numpy as np
    assert abs(np.linalg.norm(s.detach().numpy(), 2) - 1.0) < 1e-4


def test_hook_weight_norm():
    m = nn.utils.weight_norm(_Lin(3, 4))
    assert list(m.state_dict()) == ["bias", "weight_g", "weight_v"]
    assert type(m.weight) is torch.Tensor
    nn.utils.remove_weight_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"] and type(m.weight) is nn.Parameter


def test_hook_spectral_norm():
    import numpy as np
    m = nn.utils.spectral_norm(_Lin(3, 4))
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    assert m.state_dict()._metadata[""] == {"version": 1, "spectral_norm": {"weight.version": 1}}
    for _ in range(20):
        y = m(torch.ones(1, 3))
    assert abs(np.linalg.norm(m.weight.detach().numpy(), 2) - 1.0) < 1e-4
    y.sum().backward()
    assert m.weight_orig.grad.shape == (4, 3)
    nn.utils.remove_spectral_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"] and type(m.weight) is nn.Parameter
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found in"):
        nn.utils.remove_spectral_norm(m)


def test_fuse_linear_bn_eval():
    lin, bn = _Lin(3, 4).eval(), nn.BatchNorm1d(4).eval()
    lin.out_features = 4
    with torch.no_grad():
        bn.running_var.fill_(4.0)
        bn.running_mean.fill_(1.0)
    fused = nn.utils.fuse_linear_bn_eval(lin, bn)
    x = torch.ones(2, 3)
    assert torch.allclose(fused(x), bn(lin(x)), atol=1e-5)
    assert type(fused.weight) is nn.Parameter and fused.weight.requires_grad
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        nn.utils.fuse_linear_bn_eval(lin.train(), bn)


def test_skip_init():
    with pytest.raises(RuntimeError, match="Module must support a 'device' arg to skip initialization"):
        nn.utils.skip_init(_Lin, 3, 4)


# torch 2.13's weights and original.grad for orthogonal() without trivialization, original =
# 3 * sin(arange).reshape(shape), loss = sum(weight * arange).
_ORTH = {
    ("householder", (5, 3)): (
        [0.0, 1.0518, -0.7512, -0.0, -1.1169, -0.6874, 0.0, -0.0188, 1.6892, -0.0, 0.5859, 0.3113,
         0.0, -1.1413, 0.1124],
        [0.0, 0.0, 0.0, -6.5578, 0.0, 0.0, 7.767, 0.3404, 0.0, 5.7418, 0.1896, -2.0273, -0.876,
         0.4298, -2.9693]),
    ("matrix_exp", (4, 4)): (
        [-0.3793, 0.1494, 0.6915, -0.5964, 0.0401, -0.8577, -0.1998, -0.472, -0.9198, -0.146,
         -0.2282, 0.2837, -0.092, 0.4697, -0.6557, -0.584],
        [0.0, 0.0, 0.0, 0.0, 8.9927, 0.0, 0.0, 0.0, -0.0651, -8.908, 0.0, 0.0, -1.1707, -9.9829,
         -2.1942, 0.0]),
    ("cayley", (3, 5)): (
        [0.0128, -0.2262, 0.8741, 0.4296, 0.0092, -0.3213, -0.2387, -0.4434, 0.7823, 0.1765,
         0.3063, -0.6115, -0.0501, -0.2439, 0.6858],
        [0.0, 2.344, -3.5863, -1.9173, -2.7627, 0.0, 0.0, -3.4398, -0.7248, -3.8299, 0.0, 0.0,
         0.0, -2.549, 2.7037]),
}


@pytest.mark.parametrize("mp,shape", list(_ORTH))
def test_orthogonal_parametrization_values_and_grads(mp, shape):
    m = _Lin(shape[1], shape[0])
    parametrizations.orthogonal(m, orthogonal_map=mp, use_trivialization=False)
    o = m.parametrizations.weight.original
    with torch.no_grad():
        o.copy_(torch.arange(float(shape[0] * shape[1])).reshape(shape).sin() * 3)
    w = m.weight
    (w * torch.arange(float(w.numel())).reshape(w.shape)).sum().backward()
    exp_w, exp_g = _ORTH[(mp, shape)]
    assert torch.allclose(w.reshape(-1), torch.tensor(exp_w), atol=2e-4)
    assert torch.allclose(o.grad.reshape(-1), torch.tensor(exp_g), atol=2e-3)


def test_orthogonal_with_trivialization():
    import numpy as np
    for shape, mp in [((4, 4), None), ((5, 3), None)]:
        m = parametrizations.orthogonal(_Lin(shape[1], shape[0]), orthogonal_map=mp)
        assert list(m.state_dict()) == ["bias", "parametrizations.weight.original",
                                        "parametrizations.weight.0.base"]
        w = m.weight.detach().numpy()
        g = w @ w.T if shape[0] <= shape[1] else w.T @ w
        assert np.allclose(g, np.eye(g.shape[0]), atol=1e-5)
        q = torch.linalg.qr(torch.randn(max(shape), max(shape)))[0][: shape[0], : shape[1]]
        m.weight = q  # assigning an orthogonal matrix stores it
        assert torch.allclose(m.weight, q, atol=1e-5)
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", "cayley", '
                                         '"householder". Got: foo'):
        parametrizations.orthogonal(_Lin(3, 3), orthogonal_map="foo")
    m = parametrizations.orthogonal(_Lin(3, 3), use_trivialization=False)
    with pytest.raises(NotImplementedError, match="It is not possible to assign to the matrix "
                                                  "exponential or the Cayley parametrizations"):
        m.weight = torch.eye(3)


def test_parametrized_deepcopy_and_cache():
    import copy
    m = parametrizations.weight_norm(_Lin(3, 4))
    m2 = copy.deepcopy(m)
    assert type(m2).__name__ == "Parametrized_Lin" and torch.allclose(m2.weight, m.weight)
    assert m2.parametrizations.weight.original0 is not m.parametrizations.weight.original0
    with parametrize.cached():
        assert m.weight is m.weight
    assert m.weight is not m.weight
