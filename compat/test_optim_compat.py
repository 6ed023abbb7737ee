"""jtorch.optim against torch.optim: PyTorch's own `optim_db` option grids, run on both.

Same initial parameters (numpy copies) and the same synthetic gradients every step; the
parameters after N steps must agree (rtol 1e-5 in float64, 1e-4 in float32). The state_dict
layout (ids, keys, tensor types, dtypes, shapes, group options) must be torch's.
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("expecttest")  # torch.testing._internal needs it
from torch.testing._internal.common_optimizers import optim_db  # noqa: E402

import jtorch  # noqa: E402

# Optimizers torch 2.13 has that jtorch does not implement (yet).
MISSING: dict = {}
SHAPES = [(3, 4), (5,)]
STEPS = 12


def _cases():
    for info in optim_db:
        name = info.optim_cls.__name__
        if name in ("SparseAdam", "LBFGS"):
            continue
        for inp in info.optim_inputs_func(device="cpu"):
            marks = [pytest.mark.skip(reason=MISSING[name])] if name in MISSING else []
            yield pytest.param(info.optim_cls, inp.kwargs, id=f"{name}-{inp.desc}", marks=marks)


def _to_jtorch(v):
    if isinstance(v, torch.Tensor):
        return jtorch.tensor(v.numpy())
    return v


def _np(t):
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t)


def _run(torch_cls, kwargs, dtype, steps=STEPS, complex_=False):
    rng = np.random.default_rng(0)

    def draw(shape):
        a = rng.standard_normal(shape)
        if complex_:
            a = a + 1j * rng.standard_normal(shape)
        return a.astype(dtype)

    shapes = [(3, 4), (5, 2)] if torch_cls.__name__ == "Muon" else SHAPES  # Muon: 2-D only
    init = [draw(s) for s in shapes]
    tp = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    jp = [jtorch.tensor(a.copy(), requires_grad=True) for a in init]
    topt = torch_cls(tp, **kwargs)
    jopt = getattr(jtorch.optim, torch_cls.__name__)(
        jp, **{k: _to_jtorch(v) for k, v in kwargs.items()})
    for _ in range(steps):
        grads = [draw(s) for s in shapes]
        for p, g in zip(tp, grads):
            p.grad = torch.tensor(g)
        for p, g in zip(jp, grads):
            p.grad = jtorch.tensor(g)
        topt.step()
        jopt.step()
    return tp, jp, topt, jopt


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("cls,kwargs", list(_cases()))
def test_optim_db_parameters_match(cls, kwargs, dtype):
    tp, jp, topt, jopt = _run(cls, kwargs, dtype)
    tol = 1e-5 if dtype == "float64" else 1e-4
    for a, b in zip(tp, jp):
        assert str(b.dtype) == str(a.dtype)
        np.testing.assert_allclose(_np(b), _np(a), rtol=tol, atol=tol * 1e-2)
    if dtype == "float32":
        _check_state_dict_layout(topt.state_dict(), jopt.state_dict())


# Complex parameters go through one generic (real, imag) view; only the defaults and the
# optimizers whose state starts non-zero (Adagrad, Rprop) need every option.
@pytest.mark.parametrize("cls,kwargs", [c for c in _cases() if c.id.endswith("-default")
                                        or c.id.startswith(("Adagrad", "Rprop"))])
def test_optim_db_complex_parameters_match(cls, kwargs):
    if any(isinstance(v, torch.Tensor) for v in kwargs.values()):
        pytest.skip("tensor lr")
    try:
        tp, jp, _, _ = _run(cls, kwargs, "complex128", steps=6, complex_=True)
    except RuntimeError as e:
        if "complex" not in str(e):
            raise
        # torch refuses complex parameters for this optimizer: so must jtorch.
        jp = [jtorch.zeros(2, 2, dtype=jtorch.complex128, requires_grad=True)]
        jp[0].grad = jtorch.ones(2, 2, dtype=jtorch.complex128)
        with pytest.raises(RuntimeError, match="complex"):
            getattr(jtorch.optim, cls.__name__)(jp, **kwargs).step()
        return
    for a, b in zip(tp, jp):
        np.testing.assert_allclose(_np(b), _np(a), rtol=1e-9, atol=1e-12)


def _layout(value):
    """A comparable description of a state_dict value: structure, types, dtypes, shapes."""
    if isinstance(value, (torch.Tensor, jtorch.Tensor)):
        return ("tensor", str(value.dtype).split(".")[-1], tuple(value.shape))
    if isinstance(value, dict):
        return {k: _layout(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_layout(v) for v in value])
    return value


def _check_state_dict_layout(tsd, jsd):
    assert list(jsd) == list(tsd)
    assert _layout(jsd["state"]) == _layout(tsd["state"])
    assert [list(g) for g in jsd["param_groups"]] == [list(g) for g in tsd["param_groups"]]
    assert _layout(jsd["param_groups"]) == _layout(tsd["param_groups"])
    for k, v in tsd["state"].items():
        for key, tv in v.items():
            np.testing.assert_allclose(_np(jsd["state"][k][key]), _np(tv), rtol=1e-4,
                                       atol=1e-6)


def test_load_torch_state_dict_then_continue():
    """A state_dict taken from torch (converted to numpy) resumes identically in jtorch."""
    tp, jp, topt, _ = _run(torch.optim.AdamW, {"amsgrad": True}, "float64", steps=3)
    sd = topt.state_dict()
    jsd = {"state": {k: {kk: jtorch.tensor(vv.numpy()) for kk, vv in v.items()}
                     for k, v in sd["state"].items()},
           "param_groups": sd["param_groups"]}
    jp = [jtorch.tensor(_np(p).copy(), requires_grad=True) for p in tp]
    jopt = jtorch.optim.AdamW(jp, amsgrad=True)
    jopt.load_state_dict(jsd)
    assert jopt.state[jp[0]]["step"].dtype == jtorch.float32
    rng = np.random.default_rng(5)
    for _ in range(3):
        grads = [rng.standard_normal(s) for s in SHAPES]
        for p, g in zip(tp, grads):
            p.grad = torch.tensor(g)
        for p, g in zip(jp, grads):
            p.grad = jtorch.tensor(g)
        topt.step()
        jopt.step()
    for a, b in zip(tp, jp):
        np.testing.assert_allclose(_np(b), _np(a), rtol=1e-12)


def test_sparse_adam_is_a_clear_error():
    p = jtorch.zeros(3, requires_grad=True)
    with pytest.raises(NotImplementedError, match="sparse"):
        jtorch.optim.SparseAdam([p])


# ---- LBFGS: a closure over a small smooth loss ---------------------------------------------

def _lbfgs_run(lib, kwargs, dtype, steps):
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.standard_normal((4, 3)).astype(dtype))
    b = lib.tensor(rng.standard_normal(4).astype(dtype))
    p = lib.tensor(rng.standard_normal(3).astype(dtype), requires_grad=True)
    q = lib.tensor(rng.standard_normal((2, 2)).astype(dtype), requires_grad=True)
    opt = lib.optim.LBFGS([p, q], **kwargs)

    def closure():
        opt.zero_grad()
        loss = ((a @ p - b) ** 2).sum() + (q ** 4).sum() * 0.1 + (q.sum() * p.sum()) ** 2 * 0.01
        loss.backward()
        return loss

    losses = [float(opt.step(closure)) for _ in range(steps)]
    st = opt.state[p]
    return [_np(p), _np(q)], losses, (st["func_evals"], st["n_iter"])


LBFGS_CASES = [pytest.param(i.kwargs, id=i.desc) for info in optim_db
               if info.optim_cls.__name__ == "LBFGS"
               for i in info.optim_inputs_func(device="cpu")]


@pytest.mark.parametrize("kwargs", LBFGS_CASES)
def test_lbfgs_matches_float64(kwargs):
    jk = {k: _to_jtorch(v) for k, v in kwargs.items()}
    tp, tl, tc = _lbfgs_run(torch, kwargs, "float64", 3)
    jp, jl, jc = _lbfgs_run(jtorch, jk, "float64", 3)
    assert jc == tc
    np.testing.assert_allclose(jl, tl, rtol=1e-10)
    for a, b in zip(tp, jp):
        np.testing.assert_allclose(b, a, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("kwargs", LBFGS_CASES)
def test_lbfgs_matches_float32_first_step(kwargs):
    # One step only: near the optimum float32 rounding noise steers later line searches.
    jk = {k: _to_jtorch(v) for k, v in kwargs.items()}
    tp, tl, tc = _lbfgs_run(torch, kwargs, "float32", 1)
    jp, jl, jc = _lbfgs_run(jtorch, jk, "float32", 1)
    np.testing.assert_allclose(jl, tl, rtol=1e-6)
    for a, b in zip(tp, jp):
        np.testing.assert_allclose(b, a, rtol=1e-3, atol=1e-4)


# ---- a short training run: nn.Module parameters, optimizer and scheduler together ----------

@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
                                         ("AdamW", dict(lr=0.01, amsgrad=True)),
                                         ("RMSprop", dict(lr=0.01, centered=True))])
def test_training_run_matches(name, kwargs):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 4)).astype("float32")
    y = rng.standard_normal((16, 1)).astype("float32")

    def model(lib):
        return lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Linear(8, 1))

    tm, jm = model(torch), model(jtorch)
    jm.load_state_dict({k: jtorch.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    losses = {}
    for lib, m in ((torch, tm), (jtorch, jm)):
        opt = getattr(lib.optim, name)(m.parameters(), **kwargs)
        sched = lib.optim.lr_scheduler.CosineAnnealingLR(opt, 20)
        out = losses[lib.__name__] = []
        for _ in range(20):
            opt.zero_grad()
            loss = ((m(lib.tensor(x)) - lib.tensor(y)) ** 2).mean()
            loss.backward()
            opt.step()
            sched.step()
            out.append(float(loss))
    np.testing.assert_allclose(losses["jtorch"], losses["torch"], rtol=1e-5)
    for (k, a), (k2, b) in zip(tm.state_dict().items(), jm.state_dict().items()):
        assert k == k2
        np.testing.assert_allclose(_np(b), _np(a), rtol=1e-4, atol=1e-6)


# ---- swa_utils ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["swa", "ema_multi", "ema"])
def test_swa_utils_match(kind):
    def run(lib):
        rng = np.random.default_rng(0)
        m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.Linear(4, 1))
        with lib.no_grad():
            for p in m.parameters():
                p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)).astype("float32")))
        su = lib.optim.swa_utils
        kw = {"swa": {}, "ema_multi": dict(multi_avg_fn=su.get_ema_multi_avg_fn(0.9)),
              "ema": dict(avg_fn=su.get_ema_avg_fn(0.9))}[kind]
        avg = su.AveragedModel(m, **kw)
        opt = lib.optim.SGD(m.parameters(), lr=0.1)
        sched = su.SWALR(opt, swa_lr=0.05, anneal_epochs=3,
                         anneal_strategy="linear" if kind == "ema" else "cos")
        x = lib.tensor(rng.standard_normal((8, 3)).astype("float32"))
        lrs = []
        for _ in range(6):
            opt.zero_grad()
            m(x).pow(2).mean().backward()
            opt.step()
            sched.step()
            avg.update_parameters(m)
            lrs.append(sched.get_last_lr()[0])
        su.update_bn([x[:4], x[4:]], avg)
        return lrs, {k: _np(v) for k, v in avg.state_dict().items()}

    (tl, tsd), (jl, jsd) = run(torch), run(jtorch)
    assert jl == tl
    assert list(jsd) == list(tsd)
    for k in tsd:
        np.testing.assert_allclose(jsd[k], tsd[k], rtol=1e-5, atol=1e-6)


# ---- checkpoints: optimizer and scheduler state cross between the libraries ------------------

@pytest.mark.parametrize("direction", ["jtorch->torch", "torch->jtorch"])
def test_checkpoint_resumes_across_libraries(direction):
    import io
    src, dst = (jtorch, torch) if direction == "jtorch->torch" else (torch, jtorch)

    def setup(lib, init):
        p = lib.tensor(init, requires_grad=True)
        opt = lib.optim.AdamW([p], lr=0.1, amsgrad=True)
        sched = lib.optim.lr_scheduler.OneCycleLR(opt, 0.5, total_steps=12)
        return p, opt, sched

    def train(lib, p, opt, sched, n):
        for _ in range(n):
            opt.zero_grad()
            (p * p * p).sum().backward()
            opt.step()
            sched.step()

    p, opt, sched = setup(src, [1.0, -2.0, 0.5])
    train(src, p, opt, sched, 4)
    buf = io.BytesIO()
    src.save({"p": p.detach(), "opt": opt.state_dict(), "sched": sched.state_dict()}, buf)
    buf.seek(0)
    ck = dst.load(buf)
    q, opt2, sched2 = setup(dst, _np(ck["p"]).tolist())
    opt2.load_state_dict(ck["opt"])
    sched2.load_state_dict(ck["sched"])
    train(src, p, opt, sched, 5)
    train(dst, q, opt2, sched2, 5)
    np.testing.assert_allclose(_np(q), _np(p), rtol=1e-5)
    assert sched2.get_last_lr() == sched.get_last_lr()


def test_swap_in_optimizer_params_and_state_matches():
    import copy

    def run(lib):
        m = lib.nn.Linear(2, 1)
        with lib.no_grad():
            m.weight.copy_(lib.tensor([[1.0, 2.0]]))
            m.bias.fill_(0.5)
        opt = lib.optim.Adam(m.parameters(), lr=0.1)
        m(lib.ones(1, 2)).sum().backward()
        opt.step()
        params = {n: p.detach().clone() for n, p in m.named_parameters()}
        for p in params.values():
            p.grad = lib.ones(tuple(p.shape))
        osd = copy.deepcopy(opt.state_dict())
        with lib.optim.swap_in_optimizer_params_and_state(opt, params, osd):
            opt.step()
        return ([_np(p) for p in params.values()], [_np(p) for p in m.parameters()],
                float(osd["state"][0]["step"]), float(opt.state_dict()["state"][0]["step"]),
                _np(osd["state"][0]["exp_avg"]))

    t, j = run(torch), run(jtorch)
    for a, b in zip(t[0] + t[1], j[0] + j[1]):
        np.testing.assert_allclose(b, a, rtol=1e-6)
    assert j[2:4] == t[2:4]
    np.testing.assert_allclose(j[4], t[4], rtol=1e-6)


# ---- low-precision parameters: state and updates stay in the parameter's dtype -------------

@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)),
                                         ("AdamW", dict(lr=0.01)), ("RMSprop", dict(lr=0.01)),
                                         ("NAdam", {}), ("Adafactor", {})])
def test_low_precision_parameters_match(name, kwargs, dtype):
    rng = np.random.default_rng(0)
    init = rng.standard_normal((4, 5)).astype("float32")
    tp = torch.tensor(init).to(getattr(torch, dtype)).requires_grad_()
    jp = jtorch.tensor(init).to(getattr(jtorch, dtype)).requires_grad_()
    topt = getattr(torch.optim, name)([tp], **kwargs)
    jopt = getattr(jtorch.optim, name)([jp], **kwargs)
    for _ in range(5):
        g = rng.standard_normal((4, 5)).astype("float32")
        tp.grad = torch.tensor(g).to(tp.dtype)
        jp.grad = jtorch.tensor(g).to(jp.dtype)
        topt.step()
        jopt.step()
    assert str(jp.dtype) == str(tp.dtype)
    # torch rounds after every op, XLA may keep a fused float32 intermediate: allow ~1 ulp.
    ulp = 2.0 ** -7 if dtype == "bfloat16" else 2.0 ** -10
    a, b = tp.detach().float().numpy(), jp.detach().float().numpy()
    np.testing.assert_allclose(b, a, rtol=ulp, atol=ulp)
