"""jtorch.compile finds a training step's state however the code reaches it (issue 21).

Each route: 5 SGD steps eager and compiled from the same start; losses and final parameters
must agree. Before the trace audit, every route below except closures, globals, bound methods
and arguments froze training after call 2 (the program baked the parameters in as constants).
"""
from __future__ import annotations

import dataclasses
import functools
import importlib
import random
import sys
import types
import warnings

import numpy as np
import pytest

import jtorch as torch
import jtorch.nn as nn

STEPS = 5


def _make():
    torch.manual_seed(0)
    m = nn.Linear(4, 1)
    return m, torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)


_X = torch.tensor(np.random.default_rng(1).standard_normal((8, 4)).astype(np.float32))
_Y = torch.tensor(np.random.default_rng(2).standard_normal((8, 1)).astype(np.float32))


def body(m, o, x, y):
    o.zero_grad()
    loss = ((m(x) - y) ** 2).mean()
    loss.backward()
    o.step()
    return loss


def _run(build, compiled):
    m, o = _make()
    step = build(m, o)
    if compiled:
        step = torch.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a found route needs no warning
        losses = [float(step(_X, _Y)) for _ in range(STEPS)]
    return losses, [p.detach().numpy().copy() for p in m.parameters()]


def _same(build):
    (le, pe), (lc, pc) = _run(build, False), _run(build, True)
    np.testing.assert_allclose(lc, le, rtol=1e-5, atol=1e-6)
    assert le[-1] < le[1]  # it trains
    for a, b in zip(pc, pe):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


class Holder:
    pass


class Stepper:
    def __init__(self, m, o):
        self.m, self.o = m, o

    def __call__(self, x, y):
        return body(self.m, self.o, x, y)

    def step(self, x, y):
        return body(self.m, self.o, x, y)


class Static:
    @staticmethod
    def step(x, y):
        return body(Static.model, Static.opt, x, y)

    @classmethod
    def cstep(cls, x, y):
        return body(cls.model, cls.opt, x, y)


@dataclasses.dataclass
class Bundle:
    model: object
    opt: object


def r_closure(m, o):
    return lambda x, y: body(m, o, x, y)


def r_default(m, o):
    def step(x, y, m=m, o=o):
        return body(m, o, x, y)
    return step


def r_kwdefault(m, o):
    def step(x, y, *, m=m, o=o):
        return body(m, o, x, y)
    return step


def r_partial(m, o):
    return functools.partial(body, m, o)


def r_partial_kw(m, o):
    def b(x, y, model, opt):
        return body(model, opt, x, y)
    return functools.partial(b, model=m, opt=o)


def r_class_attr(m, o):
    Holder.model, Holder.opt = m, o
    return lambda x, y: body(Holder.model, Holder.opt, x, y)


def r_staticmethod(m, o):
    Static.model, Static.opt = m, o
    return Static.step


def r_classmethod(m, o):
    Static.model, Static.opt = m, o
    return Static.cstep


def r_callable_object(m, o):
    return Stepper(m, o)


def r_bound_method(m, o):
    return Stepper(m, o).step


def r_dataclass_in_closure(m, o):
    b = Bundle(m, o)
    return lambda x, y: body(b.model, b.opt, x, y)


def r_dict_in_closure(m, o):
    d = {"model": m, "opt": o}
    return lambda x, y: body(d["model"], d["opt"], x, y)


def r_nested_attributes(m, o):
    outer = types.SimpleNamespace(inner=types.SimpleNamespace(parts=[m, o]))
    return lambda x, y: body(outer.inner.parts[0], outer.inner.parts[1], x, y)


def r_partial_of_bound_method_in_class_attr(m, o):
    Holder.stepper = Stepper(m, o)
    return functools.partial(Holder.stepper.step)


def r_module_attribute(m, o):
    mod = types.ModuleType("jtorch_test_state_mod")
    mod.model, mod.opt = m, o
    sys.modules[mod.__name__] = mod
    g = {"mod_ref": mod, "body": body}
    return types.FunctionType((lambda x, y: body(mod_ref.model, mod_ref.opt, x, y)).__code__,  # noqa: F821
                              g)


ROUTES = [v for k, v in list(globals().items()) if k.startswith("r_")]


@pytest.mark.parametrize("build", ROUTES, ids=lambda f: f.__name__[2:])
def test_route_trains_as_eager(build):
    _same(build)


def test_global_route():
    global G_MODEL, G_OPT
    G_MODEL, G_OPT = _make()

    def step(x, y):
        return body(G_MODEL, G_OPT, x, y)
    m0 = [p.detach().numpy().copy() for p in G_MODEL.parameters()]
    eager = [float(step(_X, _Y)) for _ in range(STEPS)]
    G_MODEL, G_OPT = _make()
    f = torch.compile(step)
    comp = [float(f(_X, _Y)) for _ in range(STEPS)]
    np.testing.assert_allclose(comp, eager, rtol=1e-5)
    assert not np.allclose(m0[0], G_MODEL.weight.detach().numpy())


def test_route_the_walk_cannot_follow_is_found_by_the_audit(tmp_path, monkeypatch):
    """A module found at run time (`importlib.import_module(name)`): the trace audit finds the
    tensors, the step trains as eagerly, and a warning says the route is not guarded."""
    name = "jtorch_audit_state_mod"
    (tmp_path / f"{name}.py").write_text("model = opt = None\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = importlib.import_module(name)
    which = [name]

    def step(x, y):
        s = importlib.import_module(which[0])
        return body(s.model, s.opt, x, y)
    mod.model, mod.opt = _make()
    eager = [float(step(_X, _Y)) for _ in range(STEPS)]
    w_eager = mod.model.weight.detach().numpy().copy()
    mod.model, mod.opt = _make()
    f = torch.compile(step)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        comp = [float(f(_X, _Y)) for _ in range(STEPS)]
    np.testing.assert_allclose(comp, eager, rtol=1e-5)
    np.testing.assert_allclose(mod.model.weight.detach().numpy(), w_eager, rtol=1e-5)
    assert any("route the state walk does not follow" in str(x.message) for x in w)
    sys.modules.pop(name, None)


def test_audit_leaves_no_tracer_behind():
    """A trace that touched tensors outside the state puts them back as they were."""
    name = "jtorch_audit_state_mod2"
    mod = types.ModuleType(name)
    sys.modules[name] = mod
    mod.model, mod.opt = _make()
    w0 = mod.model.weight.detach().numpy().copy()

    def step(x, y):
        s = importlib.import_module(name)
        return body(s.model, s.opt, x, y)
    f = torch.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f(_X, _Y)
        f(_X, _Y)
    w = mod.model.weight.detach().numpy()  # a concrete value, not a leaked tracer
    assert w.shape == w0.shape and not np.allclose(w, w0)
    sys.modules.pop(name, None)


def test_changes_between_calls_are_seen():
    """Parameter replaced, LR changed, load_state_dict, requires_grad_(False) between calls."""
    results = []
    for compiled in (False, True):
        m, o = _make()
        other, _ = _make()
        with torch.no_grad():
            for p in other.parameters():
                p.mul_(0.5)
        step = (lambda x, y: body(m, o, x, y))
        step = torch.compile(step) if compiled else step
        out = [float(step(_X, _Y)) for _ in range(2)]
        o.param_groups[0]["lr"] = 0.01
        out += [float(step(_X, _Y)) for _ in range(2)]
        m.load_state_dict(other.state_dict())
        out += [float(step(_X, _Y)) for _ in range(2)]
        m.bias.requires_grad_(False)
        out += [float(step(_X, _Y)) for _ in range(2)]
        results.append((out, m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy()))
    (le, we, be), (lc, wc, bc) = results
    np.testing.assert_allclose(lc, le, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(wc, we, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bc, be, rtol=1e-5, atol=1e-6)


def test_parameter_replaced_between_calls():
    results = []
    for compiled in (False, True):
        m, o = _make()
        step = (lambda x, y: body(m, o, x, y))
        step = torch.compile(step) if compiled else step
        out = [float(step(_X, _Y)) for _ in range(3)]
        m.weight = nn.Parameter(torch.ones(1, 4))
        o.param_groups[0]["params"][0] = m.weight
        out += [float(step(_X, _Y)) for _ in range(3)]
        results.append(out)
    np.testing.assert_allclose(results[1], results[0], rtol=1e-5, atol=1e-6)


def test_gradient_accumulation_with_an_eager_optimizer_step():
    results = []
    for compiled in (False, True):
        m, o = _make()

        def fwd_bwd(x, y):
            loss = ((m(x) - y) ** 2).mean()
            loss.backward()
            return loss
        f = torch.compile(fwd_bwd) if compiled else fwd_bwd
        out = []
        for _ in range(3):
            o.zero_grad()
            out += [float(f(_X[:4], _Y[:4])), float(f(_X[4:], _Y[4:]))]
            o.step()
        results.append((out, m.weight.detach().numpy().copy()))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-5, atol=1e-6)


def test_nested_compiled_functions_inline():
    m, o = _make()
    inner = torch.compile(lambda x: m(x))

    @torch.compile
    def outer(x, y):
        o.zero_grad()
        loss = ((inner(x) - y) ** 2).mean()
        loss.backward()
        o.step()
        return loss
    got = [float(outer(_X, _Y)) for _ in range(STEPS)]
    m2, o2 = _make()
    want = [float(body(m2, o2, _X, _Y)) for _ in range(STEPS)]
    np.testing.assert_allclose(got, want, rtol=1e-5)
    # the inner function still works standalone afterwards
    np.testing.assert_allclose(inner(_X).detach().numpy(), m(_X).detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(inner(_X).detach().numpy(), m(_X).detach().numpy(), rtol=1e-6)


def test_compiled_module_inside_compiled_step():
    m, o = _make()
    cm = torch.compile(m)

    @torch.compile
    def step(x, y):
        o.zero_grad()
        loss = ((cm(x) - y) ** 2).mean()
        loss.backward()
        o.step()
        return loss
    got = [float(step(_X, _Y)) for _ in range(STEPS)]
    m2, o2 = _make()
    want = [float(body(m2, o2, _X, _Y)) for _ in range(STEPS)]
    np.testing.assert_allclose(got, want, rtol=1e-5)


# ---- property-style: random compositions of routes ------------------------------------------

def _wrap_closure(f):
    return lambda x, y: f(x, y)


def _wrap_default(f):
    def g(x, y, f=f):
        return f(x, y)
    return g


def _wrap_partial(f):
    return functools.partial(f)


def _wrap_object(f):
    return Stepper2(f)


def _wrap_class_attr(f):
    cls = type("H", (), {"f": staticmethod(f)})
    return lambda x, y: cls.f(x, y)


def _wrap_dict(f):
    d = {"f": f}
    return lambda x, y: d["f"](x, y)


class Stepper2:
    def __init__(self, f):
        self.f = f

    def __call__(self, x, y):
        return self.f(x, y)


WRAPS = [_wrap_closure, _wrap_default, _wrap_partial, _wrap_object, _wrap_class_attr, _wrap_dict]
BASES = [r_default, r_partial, r_class_attr, r_callable_object, r_bound_method, r_kwdefault]


@pytest.mark.parametrize("seed", range(6))
def test_random_compositions_of_routes(seed):
    rng = random.Random(seed)
    base = rng.choice(BASES)
    wraps = [rng.choice(WRAPS) for _ in range(rng.randint(1, 3))]

    def build(m, o):
        f = base(m, o)
        for w in wraps:
            f = w(f)
        return f
    _same(build)
