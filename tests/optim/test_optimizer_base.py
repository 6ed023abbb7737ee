"""The Optimizer base class: groups, zero_grad, in-place writes, state_dict, hooks, jit reuse.

Expected behaviours and messages were checked against torch 2.13.
"""
from __future__ import annotations

import copy
import inspect

import numpy as np
import pytest

import jtorch
from jtorch.optim import optimizer as optimizer_mod


def _param(values=(1.0, 2.0, 3.0)):
    return jtorch.tensor(list(values), requires_grad=True)


def _loss_step(opt, params):
    opt.zero_grad()
    loss = sum((p * p).sum() for p in params)
    loss.backward()
    opt.step()
    return loss


# ---- construction and groups -----------------------------------------------------------------

def test_defaults_fill_every_group_in_torch_order():
    a, b = _param(), _param()
    opt = jtorch.optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["params"] == [b] or opt.param_groups[1]["params"][0] is b
    assert list(opt.param_groups[0]) == ["params", "lr", "momentum", "dampening",
                                         "weight_decay", "nesterov", "maximize", "foreach",
                                         "differentiable", "fused"]


def test_add_param_group_and_errors():
    a, b = _param(), _param()
    opt = jtorch.optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 0.01})
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="empty parameter list"):
        jtorch.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        jtorch.optim.SGD([a * 2], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        opt.add_param_group({"params": {_param()}})
    with pytest.raises(ValueError, match="Invalid learning rate"):
        jtorch.optim.Adam([a], lr=-1.0)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1"):
        jtorch.optim.Adam([a], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Nesterov"):
        jtorch.optim.SGD([a], lr=0.1, nesterov=True)


def test_named_parameters_keep_their_names():
    a = _param()
    opt = jtorch.optim.SGD([("w", a)], lr=0.1)
    assert opt.param_groups[0]["params"][0] is a
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w"]


def test_constructor_signatures_are_torchs():
    names = list(inspect.signature(jtorch.optim.AdamW).parameters)
    assert names == ["params", "lr", "betas", "eps", "weight_decay", "amsgrad", "maximize",
                     "foreach", "capturable", "differentiable", "fused"]
    sgd = inspect.signature(jtorch.optim.SGD).parameters
    assert sgd["fused"].kind is inspect.Parameter.KEYWORD_ONLY
    assert sgd["lr"].default == 1e-3


def test_sparse_adam_raises_a_clear_error():
    with pytest.raises(NotImplementedError, match="sparse"):
        jtorch.optim.SparseAdam([_param()])


# ---- stepping ----------------------------------------------------------------------------------

def test_zero_grad_set_to_none_and_zero():
    a = _param()
    opt = jtorch.optim.SGD([a], lr=0.1)
    (a * 2).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert a.grad is not None and a.grad.tolist() == [0.0, 0.0, 0.0]
    opt.zero_grad()
    assert a.grad is None


def test_step_writes_in_place_through_views():
    a = _param()
    view = a[1:]
    data = a.data
    version = a._version
    opt = jtorch.optim.SGD([a], lr=0.1)
    _loss_step(opt, [a])
    # torch: 1 - 0.1 * 2 * x
    expected = [0.8, 1.6, 2.4]
    np.testing.assert_allclose(a.detach().numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(view.detach().numpy(), expected[1:], rtol=1e-6)
    np.testing.assert_allclose(data.numpy(), expected, rtol=1e-6)
    assert a._version > version
    assert a.requires_grad and a.is_leaf and a.grad_fn is None


def test_params_without_grad_are_skipped():
    a, b = _param(), _param()
    opt = jtorch.optim.Adam([a, b], lr=0.1)
    (a * a).sum().backward()
    opt.step()
    assert b.tolist() == [1.0, 2.0, 3.0]
    assert b not in opt.state and a in opt.state


def test_closure_runs_with_grad_enabled_and_its_loss_is_returned():
    a = _param()
    opt = jtorch.optim.SGD([a], lr=0.1)

    def closure():
        opt.zero_grad()
        assert jtorch.is_grad_enabled()
        loss = (a * a).sum()
        loss.backward()
        return loss

    with jtorch.no_grad():
        loss = opt.step(closure)
    assert float(loss) == 14.0


def test_tensor_lr_is_accepted():
    a = _param()
    opt = jtorch.optim.Adam([a], lr=jtorch.tensor(0.1))
    _loss_step(opt, [a])
    # Adam's first step moves every coordinate by lr.
    np.testing.assert_allclose(a.detach().numpy(), [0.9, 1.9, 2.9], rtol=1e-6)


def test_changing_lr_every_step_does_not_retrace():
    traces = []

    def update(p, g, s, h, o):
        traces.append(1)
        return p - h["lr"].astype(p.dtype) * g, {}

    a = _param()
    opt = jtorch.optim.SGD([a], lr=0.1)
    (a * a).sum().backward()
    for lr in (0.1, 0.05, 0.025, 0.3):
        opt.param_groups[0]["lr"] = lr
        optimizer_mod.update_group(opt, opt.param_groups[0], update, lambda p, g: {},
                                   {"lr": optimizer_mod.hyper(lr)}, (), ())
    assert len(traces) == 1


# ---- state dicts --------------------------------------------------------------------------------

def test_state_dict_layout_is_torchs():
    a, b = _param(), _param((4.0, 5.0))
    opt = jtorch.optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    _loss_step(opt, [a, b])
    sd = opt.state_dict()
    assert list(sd) == ["state", "param_groups"]
    assert sorted(sd["state"]) == [0, 1]
    assert list(sd["state"][0]) == ["step", "exp_avg", "exp_avg_sq"]
    step = sd["state"][0]["step"]
    assert isinstance(step, jtorch.Tensor) and step.dtype == jtorch.float32 and step.ndim == 0
    assert float(step) == 1.0
    assert sd["param_groups"][1]["params"] == [1]
    assert list(sd["param_groups"][0])[-1] == "params"
    # The state tensors are returned by reference, as torch does.
    assert sd["state"][0]["exp_avg"] is opt.state[a]["exp_avg"]


def test_load_state_dict_resumes_identically():
    def make():
        a, b = _param(), _param((4.0, 5.0))
        return [a, b], jtorch.optim.Adam([a, b], lr=0.1, amsgrad=True)

    ps1, opt1 = make()
    for _ in range(3):
        _loss_step(opt1, ps1)
    ps2, opt2 = make()
    with jtorch.no_grad():
        for p, q in zip(ps2, ps1):
            p.copy_(q)
    # Like torch, loading keeps the given state tensors (no copy): deepcopy to detach them.
    opt2.load_state_dict(copy.deepcopy(opt1.state_dict()))
    assert opt2.state[ps2[0]]["step"].tolist() == 3.0
    for _ in range(2):
        _loss_step(opt1, ps1)
        _loss_step(opt2, ps2)
    for p, q in zip(ps1, ps2):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_load_state_dict_checks_groups():
    a, b = _param(), _param()
    sd = jtorch.optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        jtorch.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size"):
        jtorch.optim.SGD([a], lr=0.1).load_state_dict(sd)


def test_load_state_dict_casts_state_to_param_dtype_but_not_step():
    a = jtorch.tensor([1.0, 2.0], dtype=jtorch.float64, requires_grad=True)
    opt = jtorch.optim.Adam([a], lr=0.1)
    sd = {"state": {0: {"step": jtorch.tensor(2.0), "exp_avg": jtorch.tensor([0.1, 0.2]),
                        "exp_avg_sq": jtorch.tensor([0.01, 0.04])}},
          "param_groups": opt.state_dict()["param_groups"]}
    opt.load_state_dict(sd)
    assert opt.state[a]["exp_avg"].dtype == jtorch.float64
    assert opt.state[a]["step"].dtype == jtorch.float32


# ---- hooks ---------------------------------------------------------------------------------------

def test_step_hooks_run_in_order_and_can_be_removed():
    calls = []
    a = _param()
    opt = jtorch.optim.SGD([a], lr=0.1)
    h1 = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o is opt)))
    h2 = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", o is opt)))
    g = optimizer_mod.register_optimizer_step_pre_hook(lambda o, a_, k: calls.append("global"))
    _loss_step(opt, [a])
    assert calls == ["global", ("pre", True), ("post", True)]
    h1.remove(), h2.remove(), g.remove()
    _loss_step(opt, [a])
    assert len(calls) == 3


def test_state_dict_hooks():
    a = _param()
    opt = jtorch.optim.SGD([a], lr=0.1)
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    assert opt.state_dict()["extra"] == 1


def test_user_defined_optimizer_in_torch_style():
    class Momentum(jtorch.optim.Optimizer):
        def __init__(self, params, lr=0.01, momentum=0.9):
            super().__init__(params, dict(lr=lr, momentum=momentum))

        @jtorch.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    st = self.state[p]
                    if "buf" not in st:
                        st["buf"] = jtorch.zeros_like(p)
                    st["buf"].mul_(group["momentum"]).add_(p.grad)
                    p.add_(st["buf"], alpha=-group["lr"])

    p = jtorch.tensor([1.0, 2.0], requires_grad=True)
    opt = Momentum([p], lr=0.1)
    sched = jtorch.optim.lr_scheduler.StepLR(opt, 1, 0.5)
    posts = []
    opt.register_step_post_hook(lambda o, a, k: posts.append(1))
    for _ in range(3):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
        sched.step()
    # torch 2.13 gives these for the same class and loop.
    np.testing.assert_allclose(p.detach().numpy(), [0.5220000147819519, 1.0440000295639038],
                               rtol=1e-6)
    np.testing.assert_allclose(opt.state_dict()["state"][0]["buf"].numpy(), [4.32, 8.64],
                               rtol=1e-6)
    assert posts == [1, 1, 1]


def test_swap_in_params_and_state():
    a = _param((1.0, 2.0))
    opt = jtorch.optim.SGD([a], lr=0.5, momentum=0.9)
    _loss_step(opt, [a])  # a = [0, 0], buffer = [2, 4]
    other = jtorch.tensor([1.0, 1.0], requires_grad=True)
    other.grad = jtorch.tensor([1.0, 1.0])
    osd = copy.deepcopy(opt.state_dict())
    with jtorch.optim.swap_in_optimizer_params_and_state(opt, {"w": other}, osd):
        opt.step()
    # buffer 0.9 * [2, 4] + 1 = [2.8, 4.6]; other = 1 - 0.5 * buffer (checked with torch).
    np.testing.assert_allclose(other.detach().numpy(), [-0.4, -1.3], rtol=1e-6)
    np.testing.assert_allclose(osd["state"][0]["momentum_buffer"].numpy(), [2.8, 4.6], rtol=1e-6)
    np.testing.assert_allclose(a.detach().numpy(), [0.0, 0.0], atol=1e-7)
    assert opt.state[a]["momentum_buffer"].tolist() == [2.0, 4.0]


def test_legacy_integer_step_is_loaded_as_a_tensor():
    a = _param()
    opt = jtorch.optim.Adam([a], lr=0.1)
    _loss_step(opt, [a])
    sd = copy.deepcopy(opt.state_dict())
    sd["state"][0]["step"] = 1  # torch < 1.12 saved a Python int
    opt2 = jtorch.optim.Adam([_param()], lr=0.1)
    opt2.load_state_dict(sd)
    step = opt2.state_dict()["state"][0]["step"]
    assert isinstance(step, jtorch.Tensor) and step.dtype == jtorch.float32 and float(step) == 1
