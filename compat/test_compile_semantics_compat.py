"""Compiled means the same as eager (issue 22): each pattern runs three calls under torch (eager,
the reference: torch's compiled result equals its eager one for all of these) and under
`jtorch.compile`; gradients, requires_grad, side effects and structure must agree."""
import warnings

import numpy as np

from compat._harness import randn


def _compiled(lib, fn, **kw):
    return lib.compile(fn, **kw) if lib.__name__ == "jtorch" else fn


def _quiet(f, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*a, **k)


def _lin(lib, i=3, o=2, seed=0):
    m = lib.nn.Linear(i, o)
    with lib.no_grad():
        m.weight.copy_(lib.tensor(randn(o, i, dtype="float32", seed=seed)))
        m.bias.copy_(lib.tensor(randn(o, dtype="float32", seed=seed + 1)))
    return m


def _x(lib, seed=5, rg=True):
    x = lib.tensor(randn(3, dtype="float32", seed=seed))
    return x.requires_grad_() if rg else x


def _grads_of(lib, f, n=3):
    g = _compiled(lib, f)
    out = []
    for i in range(n):
        x = _x(lib, seed=i)
        _quiet(g, x).sum().backward()
        out.append(x.grad)
    return out


# ---- A: gradients of a compiled forward, differentiated from outside -----------------------

def test_custom_function_backward_every_call(compat):
    def run(lib):
        class Sq(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * 3 * x  # deliberately not the true derivative
        return _grads_of(lib, lambda x: Sq.apply(x))
    compat.value(run)


def test_detach_inside_compiled_forward(compat):
    compat.value(lambda lib: _grads_of(lib, lambda x: x.detach() * x))


def test_straight_through_estimator(compat):
    def run(lib):
        lin = _lin(lib)
        f = _compiled(lib, lambda x: lin(x + (lib.round(x * 1.3) - x).detach()))
        out = []
        for i in range(3):
            lin.zero_grad()
            _quiet(f, _x(lib, seed=i, rg=False)).sum().backward()
            out.append(lin.weight.grad.clone())
        return out
    compat.value(run)


def test_full_backward_hook_fires_every_call(compat):
    def run(lib):
        lin = _lin(lib)
        calls = []
        lin.register_full_backward_hook(lambda m, gi, go: calls.append(go[0].clone()))
        f = _compiled(lib, lin)
        for i in range(4):
            _quiet(f, _x(lib, seed=i)).sum().backward()
        return len(calls), calls
    compat.value(run)


def test_requires_grad_of_outputs(compat):
    def run(lib):
        lin = _lin(lib)

        def f(x):
            y = lin(x)
            with lib.no_grad():
                z = y * 2
            return y, y.detach(), z
        g = _compiled(lib, f)
        flags = [[t.requires_grad for t in _quiet(g, _x(lib, seed=i, rg=False))] for i in range(3)]

        def h(x):
            with lib.enable_grad():
                return lin(x)
        k = _compiled(lib, h)
        with lib.no_grad():
            flags.append([_quiet(k, _x(lib, seed=i, rg=False)).requires_grad for i in range(3)])
        return flags
    compat.value(run)


def test_backward_inside_sets_argument_grad(compat):
    def run(lib):
        lin = _lin(lib)

        def fgsm(x):
            loss = lin(x).pow(2).sum()
            loss.backward()
            return loss
        f = _compiled(lib, fgsm)
        out = []
        for i in range(3):
            x = _x(lib, seed=i)
            _quiet(f, x)
            out.append(x.grad)
        return out
    compat.value(run)


# ---- E: side effects run every call --------------------------------------------------------

def test_history_list_and_attribute_stores(compat):
    def run(lib):
        lin = _lin(lib)
        hist = []

        def f(x):
            y = lin(x).sum()
            hist.append(y.detach())
            return y
        g = _compiled(lib, f)
        for i in range(4):
            _quiet(g, _x(lib, seed=i, rg=False))

        class M(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.l = _lin(lib)

            def forward(self, x):
                self.h = self.l(x)
                return self.h.sum()
        m = M()
        cm = _compiled(lib, m)
        hs = []
        for i in range(3):
            _quiet(cm, _x(lib, seed=i, rg=False))
            hs.append(m.h.detach())
        return hist, hs
    compat.value(run)


def test_forward_hook_collects_features(compat):
    def run(lib):
        m = lib.nn.Sequential(_lin(lib, 3, 3), lib.nn.ReLU())
        feats = []
        m[0].register_forward_hook(lambda mod, i, o: feats.append(o.detach()))
        cm = _compiled(lib, m)
        for i in range(3):
            _quiet(cm, _x(lib, seed=i, rg=False))
        return feats
    compat.value(run)


def test_compiler_disable_helper_runs_every_call(compat):
    def run(lib):
        seen = []

        @lib.compiler.disable
        def log(v):
            seen.append(float(v))

        def f(x):
            y = (x * 2).sum()
            log(y)
            return y
        g = _compiled(lib, f)
        for i in range(3):
            _quiet(g, _x(lib, seed=i, rg=False))
        return seen
    compat.value(run)


# ---- F: structure ------------------------------------------------------------------------

def test_compiled_module_is_a_module(compat):
    def run(lib):
        lin = _lin(lib)
        cm = lib.compile(lin)
        seq = lib.nn.Sequential()
        seq.add_module("c", cm)
        cm.tag = 1
        return (isinstance(cm, lib.nn.Module), list(cm.state_dict()), [n for n, _ in seq.named_parameters()],
                cm._orig_mod is lin, getattr(lin, "tag", None), cm.weight is lin.weight,
                cm.to(lib.float64) is cm, lin.weight.dtype == lib.float64)
    compat.value(run)


def test_returned_dict_keeps_insertion_order(compat):
    def run(lib):
        lin = _lin(lib)

        def f(x):
            y = lin(x)
            return {"loss": y.sum(), "acc": y.mean(), 0: y.max()}
        g = _compiled(lib, f)
        out = [_quiet(g, _x(lib, seed=i, rg=False)) for i in range(3)]
        return [list(o.keys()) for o in out], [[v.detach() for v in o.values()] for o in out]
    compat.value(run)


def test_dynamo_config_and_reset(compat):
    def run(lib):
        import importlib
        d = importlib.import_module(lib.__name__ + "._dynamo")
        old = d.config.cache_size_limit
        d.config.cache_size_limit = 4
        now = d.config.cache_size_limit
        d.config.cache_size_limit = old
        d.reset()
        return old, now
    compat.value(run)


def test_is_exporting_and_is_compiling_inside_export(compat):
    def run(lib):
        seen = []

        class M(lib.nn.Module):
            def forward(self, x):
                seen.append([lib.compiler.is_exporting(), lib.compiler.is_compiling()])
                return x * 2
        lib.export.export(M(), (lib.ones(2),))
        M()(lib.ones(2))
        return seen[0], seen[-1]
    compat.value(run)
