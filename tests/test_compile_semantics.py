"""Compiled means the same as eager (issue 22): aliasing, identity, generators, value checks,
side effects and small semantic details, each run eagerly and under jtorch.compile.

(Eager jtorch is pinned to torch elsewhere; compat/test_compile_semantics_compat.py compares
the autograd and side-effect patterns with torch itself.)
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import jtorch as torch
import jtorch.nn as nn
import jtorch.nn.functional as F
from jtorch.compile_errors import UntraceableError


def _both(fn, make_args, calls=3):
    """[eager results, compiled results] of `calls` calls, each on fresh arguments."""
    out = []
    for compiled in (False, True):
        f = torch.compile(fn) if compiled else fn
        res = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(calls):
                args = make_args()
                r = f(*args)
                res.append((r, args))
        out.append(res)
    return out


def _np(t):
    return np.asarray(t.detach().numpy())


# ---- B: aliasing -------------------------------------------------------------------------

@pytest.mark.parametrize("pair", ["same", "slice"])
def test_arguments_sharing_storage_alias_inside(pair):
    def f(a, b):
        a.add_(1)
        return b * 2

    def args():
        x = torch.arange(5.0)
        return (x, x) if pair == "same" else (x, x[1:3])
    eager, comp = _both(f, args)
    for (re, ae), (rc, ac) in zip(eager, comp):
        np.testing.assert_array_equal(_np(rc), _np(re))
        np.testing.assert_array_equal(_np(ac[0]), _np(ae[0]))


def test_write_through_a_view_argument_reaches_its_base():
    def f(a, b):
        b.mul_(10)
        return a.sum()
    x = torch.arange(5.0)
    c = torch.compile(f)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = [float(c(x, x[1:3])) for _ in range(3)]
    y = torch.arange(5.0)
    want = [float(f(y, y[1:3])) for _ in range(3)]
    assert got == want
    np.testing.assert_array_equal(_np(x), _np(y))


def test_outputs_that_are_inputs_or_state_keep_identity():
    lin = nn.Linear(2, 2)
    bn = nn.BatchNorm1d(2)
    same = torch.compile(lambda x: x)
    inplace = torch.compile(lambda x: x.add_(1))
    weight = torch.compile(lambda: lin.weight)
    buf = torch.compile(lambda: bn.running_mean)
    x = torch.ones(2)
    for _ in range(3):
        assert same(x) is x
        assert inplace(x) is x
        assert weight() is lin.weight
        assert buf() is bn.running_mean
    np.testing.assert_array_equal(_np(x), [4.0, 4.0])


def test_transposed_argument_keeps_its_strides():
    def f(x):
        return x.is_contiguous(), x.stride()
    x = torch.arange(6.0).reshape(2, 3)
    c = torch.compile(f)
    want = f(x.t())
    assert [c(x.t()) for _ in range(3)] == [want] * 3


# ---- C: generators -------------------------------------------------------------------------

def test_generator_argument_is_program_state():
    def f(x, g):
        return x + torch.rand(3, generator=g)
    res = []
    for compiled in (False, True):
        g = torch.Generator().manual_seed(0)
        h = torch.compile(f) if compiled else f
        draws = [_np(h(torch.zeros(3), g)) for _ in range(4)]
        draws.append(_np(torch.rand(2, generator=g)))  # eager use afterwards works and continues
        res.append(draws)
    for a, b in zip(*res):
        np.testing.assert_array_equal(b, a)


# ---- D: errors stay errors -------------------------------------------------------------------

def test_out_of_range_ids_raise_inside_compiled_code():
    emb = nn.Embedding(10, 4)

    @torch.compile
    def f(ids, target):
        return F.cross_entropy(emb(ids), target)
    ok, t = torch.tensor([1, 2, 3]), torch.tensor([0, 1, 2])
    for _ in range(3):
        f(ok, t)
    with pytest.raises(IndexError, match="index out of range in self"):
        f(torch.tensor([1, 12, 3]), t)
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        f(ok, torch.tensor([0, 1, 7]))

    g = torch.compile(lambda x, i: x[i])
    x = torch.arange(5.0)
    for _ in range(3):
        g(x, torch.tensor([1, 2]))
    with pytest.raises(IndexError, match="index 9 is out of bounds for dimension 0 with size 5"):
        g(x, torch.tensor([1, 9]))


def test_compiled_checks_can_be_turned_off():
    torch.compiler.set_compiled_checks(False)
    try:
        g = torch.compile(lambda x, i: torch.gather(x, 0, i))
        x = torch.arange(5.0)
        for _ in range(3):
            g(x, torch.tensor([1, 2]))
        g(x, torch.tensor([1, 9]))  # XLA clamps: no error when the user opted out
    finally:
        torch.compiler.set_compiled_checks(True)


# ---- E: side effects -------------------------------------------------------------------------

def test_history_list_gets_every_call_and_no_tracer():
    lin = nn.Linear(3, 1)
    hist = []

    def f(x):
        y = lin(x).sum()
        hist.append(y.detach())
        return y
    c = torch.compile(f)
    with pytest.warns(UserWarning, match="stores a list"):
        outs = [float(c(torch.ones(3) * i)) for i in range(4)]
    assert len(hist) == 4
    np.testing.assert_allclose([float(h) for h in hist], outs, rtol=1e-6)


def test_print_inside_compiled_function_runs_every_call(capsys):
    @torch.compile
    def f(x):
        print("step")
        return x * 2
    with pytest.warns(UserWarning, match="print"):
        for _ in range(3):
            f(torch.ones(2))
    assert capsys.readouterr().out.count("step") == 3


def test_fullgraph_raises_on_print():
    @torch.compile(fullgraph=True)
    def f(x):
        print("step")
        return x * 2
    with pytest.raises(UntraceableError):  # at the first call, as torch
        f(torch.ones(2))


def test_compiler_disable_runs_every_call():
    seen = []

    @torch.compiler.disable
    def log(v):
        seen.append(float(v))

    @torch.compile
    def f(x):
        y = (x * 2).sum()
        log(y)
        return y
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(3):
            f(torch.ones(2) * i)
    assert seen == [0.0, 4.0, 8.0]


# ---- F/G: structure and details --------------------------------------------------------------

def test_compiled_module_is_an_nn_module():
    lin = nn.Linear(2, 2)
    cm = torch.compile(lin)
    assert isinstance(cm, nn.Module) and cm._orig_mod is lin
    assert list(cm.state_dict()) == ["_orig_mod.weight", "_orig_mod.bias"]
    seq = nn.Sequential()
    seq.add_module("c", cm)
    assert [n for n, _ in seq.named_parameters()] == ["c._orig_mod.weight", "c._orig_mod.bias"]
    cm.tag = 3
    assert lin.tag == 3 and cm.weight is lin.weight
    assert cm.to(torch.float64) is cm and lin.weight.dtype == torch.float64
    cm.eval()
    assert not lin.training


def test_returned_dict_keeps_insertion_order_and_mixed_keys():
    lin = nn.Linear(2, 2)

    def f(x):
        y = lin(x)
        return {"loss": y.sum(), "acc": y.mean(), 0: y.max()}
    c = torch.compile(f)
    for _ in range(3):
        out = c(torch.ones(2))
        assert list(out) == ["loss", "acc", 0]


def test_is_compiling_true_on_every_compiled_call():
    # torch 2.13 (backend="eager"): True in the compiled function on every call, also where
    # it replays a side effect; False inside a compiler.disable helper it calls.
    g = torch.compile(lambda x: x + 1 if torch.compiler.is_compiling() else x)
    assert [g(torch.zeros(1)).item() for _ in range(3)] == [1.0, 1.0, 1.0]  # traced, replayed
    seen = []

    @torch.compiler.disable
    def helper():
        seen.append(torch.compiler.is_compiling())

    @torch.compile
    def f(x):
        seen.append(torch.compiler.is_compiling())  # a side effect: runs eagerly from call 2
        helper()
        return x + 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(3):
            f(torch.ones(1))
    assert seen == [True, False] * 3
    assert not torch.compiler.is_compiling()


def test_outputs_under_inference_mode_are_inference_tensors():
    c = torch.compile(lambda x: x * 2)
    with torch.inference_mode():
        assert all(c(torch.ones(2)).is_inference() for _ in range(3))


def test_dynamo_reset_retraces():
    c = torch.compile(lambda x: x * 2)
    for _ in range(3):
        c(torch.ones(2))
    assert len(c.cache) == 1
    torch._dynamo.reset()
    assert len(c.cache) == 0
    for _ in range(2):  # eager again first, then a new trace
        np.testing.assert_array_equal(_np(c(torch.ones(2))), [2.0, 2.0])
    assert len(c.cache) == 1


def test_recompile_limit_falls_back_to_eager_with_one_warning():
    c = torch.compile(lambda x, k: x * k, dynamic=False)
    old = torch._dynamo.config.cache_size_limit
    torch._dynamo.config.cache_size_limit = 3
    try:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            outs = [float(c(torch.ones(1), k)) for k in range(12)]
        assert outs == [float(k) for k in range(12)]
        assert len(c.cache) <= 3
        assert sum("recompile limit" in str(x.message) for x in w) == 1
    finally:
        torch._dynamo.config.cache_size_limit = old


def test_fullgraph_raises_at_a_graph_break_before_the_first_call_runs():
    calls = []

    @torch.compile(fullgraph=True)
    def f(x):
        calls.append(1)
        if x.sum() > 0:  # data-dependent Python branch: a graph break
            return x * 2
        return x
    with pytest.raises(UntraceableError):
        f(torch.ones(2))
    assert calls == []  # the trace that found the break was undone; nothing ran eagerly


def test_set_stance_force_eager_and_fail_on_recompile():
    seen = []

    def f(x):
        seen.append(torch.compiler.is_compiling())
        return x * 2
    c = torch.compile(f)
    with torch.compiler.set_stance("force_eager"):
        for _ in range(3):
            c(torch.ones(2))
    assert seen == [False, False, False] and not c.cache
    c2 = torch.compile(lambda x: x * 2, dynamic=False)
    for _ in range(3):
        c2(torch.ones(2))
    with torch.compiler.set_stance("fail_on_recompile"):
        c2(torch.ones(2))
        with pytest.raises(RuntimeError, match="fail_on_recompile"):
            c2(torch.ones(3))
    assert torch.compiler.allow_in_graph(f) is f
