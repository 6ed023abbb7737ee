"""jtorch.compile: compiled steps behave exactly like eager ones."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import jtorch as torch
import jtorch.nn as nn
import jtorch.nn.functional as F
from jtorch.compile_errors import UntraceableError


def _setup(seed=0, dropout=0.0, bn=False):
    torch.manual_seed(seed)
    layers = [nn.Linear(4, 16)]
    if bn:
        layers.append(nn.BatchNorm1d(16))
    layers += [nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 3)]
    model = nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        sched.step()
        return loss
    return model, opt, sched, step


def _data(n=8, seed=0):
    rng = np.random.default_rng(seed)
    return (torch.tensor(rng.standard_normal((n, 4)).astype(np.float32)),
            torch.tensor(rng.integers(0, 3, n)))


def _run(compiled, steps=6, **kw):
    model, opt, sched, step = _setup(**kw)
    f = torch.compile(step) if compiled else step
    x, y = _data()
    losses = [f(x, y).item() for _ in range(steps)]
    return losses, model, opt, sched, f


@pytest.mark.parametrize("kw", [{}, {"dropout": 0.5}, {"bn": True}])
def test_compiled_training_matches_eager(kw):
    le, me, oe, se, _ = _run(False, **kw)
    lc, mc, oc, sc, f = _run(True, **kw)
    np.testing.assert_allclose(lc, le, rtol=1e-5, atol=1e-6)
    for (n, a), (_, b) in zip(me.state_dict().items(), mc.state_dict().items()):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-5, atol=1e-6, err_msg=n)
    assert sc.get_last_lr() == se.get_last_lr()
    assert oc.state_dict()["param_groups"][0]["lr"] == oe.state_dict()["param_groups"][0]["lr"]
    for p_e, p_c in zip(me.parameters(), mc.parameters()):
        # .grad after compiled steps is a concrete tensor equal to eager's (written back).
        np.testing.assert_allclose(p_c.grad.numpy(), p_e.grad.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(oc.state[p_c]["momentum_buffer"].numpy(),
                                   oe.state[p_e]["momentum_buffer"].numpy(), rtol=1e-5, atol=1e-6)
    # The learning rate changed every other step, and nothing was retraced for it.
    assert len(f.cache) == 1


def test_shape_change_retraces_and_reports():
    _, _, _, step = _setup()
    f = torch.compile(step)
    x, y = _data(8)
    for _ in range(3):
        f(x, y)
    x2, y2 = _data(5)
    f(x2, y2)
    assert len(f.cache) == 2
    assert torch.compiler.recompile_reasons(f)


def test_item_falls_back_to_eager_with_a_warning_naming_the_line():
    w = torch.ones(3, requires_grad=True)

    def step(x):
        loss = (w * x).sum()
        if loss.item() > 0:  # needs a concrete value
            loss = loss * 2
        return loss
    f = torch.compile(step)
    x = torch.ones(3)
    f(x)
    with pytest.warns(UserWarning, match="test_compile.py"):
        out = f(x)
    assert out.item() == 6.0
    assert f.eager_only


def test_fullgraph_raises_instead():
    w = torch.ones(3)

    def step(x):
        return (w * x).sum() if bool((x > 0).all()) else x.sum()
    f = torch.compile(step, fullgraph=True)
    with pytest.raises(UntraceableError, match="fullgraph"):
        f(torch.ones(3))  # at the first call, before anything runs (as torch)


def test_inplace_writes_through_views_are_written_back():
    buf = torch.zeros(4, 4)
    counter = torch.zeros(())

    def step(v):
        buf[:, 1] = v
        buf.t()[2].add_(1.0)
        counter.add_(1)
        return buf.sum()
    f = torch.compile(step)
    v = torch.arange(4.0)
    for _ in range(3):
        f(v)
    expected = np.zeros((4, 4), np.float32)  # what torch gives for the same three steps
    expected[:, 1] = np.arange(4.0)
    expected[:, 2] = 3.0  # buf.t()[2] is column 2
    np.testing.assert_allclose(buf.numpy(), expected)
    assert counter.item() == 3
    assert len(f.cache) == 1


def test_compiled_module_and_eval_under_no_grad():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    cm = torch.compile(model)
    assert cm._orig_mod is model
    assert list(cm.state_dict()) == ["_orig_mod." + k for k in model.state_dict()]
    x, _ = _data()
    model.eval()
    with torch.no_grad():
        ref = model(x).numpy()
        for _ in range(3):
            out = cm(x)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-6)
    assert not out.requires_grad


def test_randomness_matches_eager_stream():
    def draw():
        return torch.randn(3) + torch.rand(3)
    torch.manual_seed(123)
    eager = [draw().numpy() for _ in range(4)]
    f = torch.compile(draw)
    torch.manual_seed(123)
    comp = [f().numpy() for _ in range(4)]
    np.testing.assert_allclose(np.stack(comp), np.stack(eager), rtol=1e-6)


def test_grads_set_to_none_and_recreated():
    w = torch.ones(3, requires_grad=True)

    def step(x):
        w.grad = None
        (w * x).sum().backward()
        return w.grad.clone()
    f = torch.compile(step)
    for i in range(3):
        g = f(torch.full((3,), float(i)))
    np.testing.assert_allclose(g.numpy(), [2.0, 2.0, 2.0])
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 2.0, 2.0])


def test_decorator_forms_and_disable():
    @torch.compile
    def f(x):
        return x * 2

    @torch.compile(fullgraph=True)
    def g(x):
        return x + 1

    def h(x):
        return x
    assert torch.compile(h, disable=True) is h
    x = torch.ones(2)
    for _ in range(3):
        assert f(x).tolist() == [2.0, 2.0]
        assert g(x).tolist() == [2.0, 2.0]


def test_compiled_module_forward_is_differentiable():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    ref = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    ref.load_state_dict(m.state_dict())
    cm = torch.compile(m)
    x = torch.randn(5, 4, requires_grad=True)
    xr = x.detach().clone().requires_grad_()
    for _ in range(3):
        m.zero_grad()
        ref.zero_grad()
        x.grad = xr.grad = None
        out = cm(x)
        out.pow(2).sum().backward()
        ref(xr).pow(2).sum().backward()
    assert type(out.grad_fn).__name__ == "CompiledFunctionBackward"
    for p, q in zip(m.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), xr.grad.numpy(), rtol=1e-5, atol=1e-6)


# ---- the cheap per-call check must never miss a change a full state walk would see ----------

def _twin(actions, make):
    """Run the same calls and in-between changes eagerly and compiled; return both results."""
    results = []
    for compiled in (False, True):
        torch.manual_seed(0)
        env = make()
        f = torch.compile(env["step"]) if compiled else env["step"]
        outs = []
        for act in actions:
            if act is not None:
                act(env)
            outs.append(f(*env["args"]).detach().numpy().copy())
        results.append((outs, env, f))
    (oe, ee, _), (oc, ec, fc) = results
    for i, (a, b) in enumerate(zip(oe, oc)):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6, err_msg=f"call {i}")
    return ee, ec, fc


def _sgd_env(momentum=0.9):
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=momentum)
    x, y = _data()
    env = {"model": model, "opt": opt, "args": (x, y), "extra": None}

    def step(x, y):
        opt.zero_grad()
        out = model(x)
        if env["extra"] is not None:
            out = out + env["extra"]
        loss = F.cross_entropy(out, y)
        loss.backward()
        opt.step()
        return loss
    env["step"] = step
    return env


def test_new_parameter_registered_mid_training_is_state():
    def add(env):
        env["model"].bias_out = nn.Parameter(torch.full((3,), 0.5))
        env["extra"] = env["model"].bias_out
        env["opt"].add_param_group({"params": [env["model"].bias_out]})
    ee, ec, fc = _twin([None] * 3 + [add] + [None] * 3, _sgd_env)
    np.testing.assert_allclose(ec["model"].bias_out.detach().numpy(),
                               ee["model"].bias_out.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert len(fc.cache) == 2


def test_training_flag_and_momentum_changes_retrace():
    env_make = lambda: _sgd_env()  # noqa: E731

    def to_eval(env):
        env["model"].eval()

    def momentum(env):
        env["opt"].param_groups[0]["momentum"] = 0.5
    ee, ec, fc = _twin([None, None, None, momentum, None, to_eval, None], env_make)
    for p, q in zip(ee["model"].parameters(), ec["model"].parameters()):
        np.testing.assert_allclose(q.detach().numpy(), p.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert len(fc.cache) == 3


def test_replaced_grad_and_rebound_data_are_read():
    w = {}

    def make():
        t = torch.ones(3, requires_grad=True)
        w["t"] = t

        def step(x):  # accumulates into .grad: the current .grad value matters
            (t * x).sum().backward()
            with torch.no_grad():
                t.sub_(0.1 * t.grad)
            return t.grad.clone()
        return {"step": step, "args": (torch.arange(3.0),)}

    def new_grad(env):
        w["t"].grad = torch.full((3,), 5.0)

    def drop_grad(env):
        w["t"].grad = None

    def rebind(env):
        w["t"].data = torch.full((3,), -2.0)

    def scale_in_place(env):
        with torch.no_grad():
            w["t"].mul_(3.0)
    _twin([None, None, None, new_grad, None, drop_grad, None, rebind, None, scale_in_place, None],
          make)


def test_closure_number_and_state_tensor_passed_as_argument():
    box = {"scale": 2.0}
    buf = torch.ones(3)

    def make():
        b = buf.clone()
        s = {"v": 2.0}

        def step(x):
            b.add_(x)
            return b * s["v"]
        env = {"step": step, "args": (torch.ones(3),), "s": s, "b": b}
        return env

    def rescale(env):
        env["s"]["v"] = 3.0

    def pass_state(env):  # the state tensor itself as the argument: now an input
        env["args"] = (env["b"],)
    _twin([None, None, rescale, None, pass_state, None, None], make)
    del box


def test_steady_state_calls_skip_the_state_walk(monkeypatch):
    from jtorch import _compile
    model, _, _, step = _setup(bn=True)  # SGD with momentum, StepLR, BatchNorm running stats
    f = torch.compile(step)
    x, y = _data()
    f(x, y)
    f(x, y)
    walks = []
    real = _compile._discover
    monkeypatch.setattr(_compile, "_discover", lambda *a: walks.append(1) or real(*a))
    for _ in range(4):
        f(*_data(seed=len(walks) + 1))  # new input tensors each call, as from a DataLoader
    assert walks == [] and len(f.cache) == 1
    model.eval()  # a flag the cheap check must notice: a full walk, then a retrace
    f(x, y)
    assert walks == [1] and len(f.cache) == 2


# ---- dynamic batch sizes ----------------------------------------------------------------------

def _batches(sizes):
    return [_data(n, seed=i) for i, n in enumerate(sizes)]


def _run_sizes(dynamic, sizes, **kw):
    out = {}
    for compiled in (False, True):
        model, _, sched, step = _setup(**kw)
        f = torch.compile(step, dynamic=dynamic) if compiled else step
        losses = [f(x, y).item() for x, y in _batches(sizes)]
        out[compiled] = (losses, model, f)
    (le, me, _), (lc, mc, f) = out[False], out[True]
    np.testing.assert_allclose(lc, le, rtol=1e-5, atol=1e-6)
    for (k, a), (_, b) in zip(me.state_dict().items(), mc.state_dict().items()):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-5, atol=1e-6, err_msg=k)
    return f, f.traces  # Python traces of the function (a list appended to inside the function
    # would now count calls: such side effects run on every call, as in torch)


def test_dynamic_true_traces_once_for_all_batch_sizes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no recompile or cache-limit warnings
        f, traces = _run_sizes(True, [8, 8, 5, 8, 3, 6], dropout=0.5)  # dropout: same stream
    assert traces == 1 and len(f.cache) == 1 and f.recompiles == []


def test_dynamic_default_goes_symbolic_at_the_first_batch_change():
    f, traces = _run_sizes(None, [8, 8, 5, 3, 8, 6])
    assert traces == 2 and len(f.cache) == 2  # static for 8, then one symbolic trace
    assert len(f.recompiles) == 1 and "symbolic batch sizes" in f.recompiles[0]


def test_dynamic_false_keeps_exact_shape_guards():
    f, traces = _run_sizes(False, [8, 8, 5, 3])
    assert traces == 3 and len(f.cache) == 3


def test_dynamic_true_with_batchnorm_traces_per_shape():
    # BatchNorm's batch-size check (`> 1` in training) needs a concrete size.
    f, traces = _run_sizes(True, [8, 8, 5, 8], dropout=0.5, bn=True)
    assert traces == 3 and any("symbolic" in r for r in f.recompiles)  # attempt + 2 shapes


def test_dynamic_true_with_a_shape_dependent_branch_traces_per_shape():
    w = torch.ones(4)

    def f_(x):
        if x.shape[0] > 4:  # a Python branch on the batch size: not polymorphic
            return (x * w).sum(1) * 2
        return (x * w).sum(1)
    f = torch.compile(f_, dynamic=True)
    for n in (6, 6, 3, 6):
        x = torch.arange(n * 4.0).reshape(n, 4)
        np.testing.assert_allclose(f(x).numpy(), f_(x).numpy())
    assert len(f.cache) == 2 and any("symbolic" in r for r in f.recompiles)


# ---- mixed precision: GradScaler inside the compiled step ------------------------------------

def _amp_run(compiled, booms):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**4, growth_interval=2)

    def step(x, y, boom):
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = F.cross_entropy(model(x), y)
        scaler.scale(loss * boom).backward()  # boom = inf: non-finite grads, a skipped step
        scaler.step(opt)
        scaler.update()
        return loss
    f = torch.compile(step, fullgraph=True) if compiled else step
    x, y = _data()
    losses, scales = [], []
    for b in booms:
        losses.append(f(x, y, torch.tensor(b)).float().item())
        scales.append(scaler.get_scale())
    return losses, scales, model, opt, f


def test_grad_scaler_step_compiles_to_one_program_like_eager():
    booms = [1.0, 1.0, 1.0, float("inf"), 1.0, 1.0, 1.0]
    le, se, me, oe, _ = _amp_run(False, booms)
    lc, sc, mc, oc, f = _amp_run(True, booms)
    assert se == [16.0, 32.0, 32.0, 16.0, 16.0, 32.0, 32.0]  # torch: grow every 2, halve on inf
    assert sc == se and len(f.cache) == 1 and not f.eager_only
    np.testing.assert_allclose(lc, le, rtol=1e-6)
    for p, q in zip(me.parameters(), mc.parameters()):
        np.testing.assert_allclose(q.detach().numpy(), p.detach().numpy(), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(oc.state[q]["momentum_buffer"].numpy(),
                                   oe.state[p]["momentum_buffer"].numpy(), rtol=1e-6, atol=1e-7)


def test_donated_buffers_never_free_what_the_user_still_holds():
    model, _, _, step = _setup()
    f = torch.compile(step)
    x, y = _data()
    f(x, y)
    f(x, y)
    p = next(model.parameters())
    old_grad = p.grad  # zero_grad() in the next step replaces it; torch keeps its values
    old_grad_val = old_grad.numpy().copy()
    alias = p.detach()  # shares storage: follows the update
    view = p.detach().numpy()  # a numpy view of the current buffer
    view_val = view.copy()
    f(x, y)
    np.testing.assert_array_equal(old_grad.numpy(), old_grad_val)
    np.testing.assert_array_equal(view, view_val)
    assert not np.array_equal(alias.numpy(), view_val)
    np.testing.assert_array_equal(alias.numpy(), p.detach().numpy())
    assert p.grad is not old_grad


def test_numbers_guarded_on_modules_not_on_plain_objects():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 2)
            self.temperature = 2.0  # read by forward: baked into the trace, so guarded

        def forward(self, x):
            return self.lin(x) / self.temperature

    class Trainer:  # a plain object: its counters change every call (lifted after one retrace)
        def __init__(self):
            torch.manual_seed(0)
            self.model = Scaled()
            self.step_count, self.running_loss, self.history = 0, 0.0, []

        def step(self, x):
            return self.model(x).pow(2).mean()

    tr = Trainer()
    f = torch.compile(tr.step)
    x = _data()[0]
    for i in range(5):
        loss = f(x)
        tr.step_count += 1
        tr.running_loss = 0.9 * tr.running_loss + loss.item()
        tr.history.append(loss.item())
    assert len(f.cache) == 2  # the first change is seen once, then the counters are traced
    tr.model.temperature = 4.0
    np.testing.assert_allclose(f(x).item(), tr.step(x).item(), rtol=1e-6)
    assert len(f.cache) == 3


def test_freezing_and_replacing_a_parameter_retrace():
    def freeze(env):
        env["model"][0].weight.requires_grad_(False)

    def replace(env):
        env["model"][2].bias = nn.Parameter(torch.full((3,), 0.25))
        env["opt"].add_param_group({"params": [env["model"][2].bias]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "donated buffers were not usable" from jax
        ee, ec, fc = _twin([None, None, freeze, None, None, replace, None, None], _sgd_env)
    for p, q in zip(ee["model"].parameters(), ec["model"].parameters()):
        np.testing.assert_allclose(q.detach().numpy(), p.detach().numpy(), rtol=1e-5, atol=1e-6)
    # freeze; then the frozen weight has no .grad any more; then the new parameter
    assert len(fc.cache) == 4
