"""autograd.graph hooks and the profilers (torch.profiler, torch.autograd.profiler)."""
from __future__ import annotations

import json
import time

import jtorch
from jtorch import profiler as P
from jtorch.autograd import graph


def test_pack_unpack_counts_follow_saved_tensors():
    log = []
    x = jtorch.ones(3, requires_grad=True)
    with graph.saved_tensors_hooks(lambda t: log.append("pack") or t, lambda t: log.append("unpack") or t):
        y = (x * x).sum()   # mul keeps both inputs, sum nothing
        z = x.exp().sum()   # exp keeps its output
    assert log == ["pack"] * 3
    (y + z).backward()
    assert log == ["pack"] * 3 + ["unpack"] * 3
    assert jtorch.allclose(x.grad, 2 * x.detach() + x.detach().exp())


def test_profile_nesting_self_time_and_chrome_trace(tmp_path):
    with P.profile() as prof:
        with P.record_function("outer"):
            time.sleep(0.01)
            with P.record_function("inner"):
                jtorch.ones(4) * 2
    ev = {e.name: e for e in prof.events()}
    assert ev["inner"].cpu_parent is ev["outer"]
    assert ev["outer"].self_cpu_time_total < ev["outer"].cpu_time_total
    assert ev["outer"].cpu_time_total >= 10000
    assert "aten::mul" in ev  # ops are timed too
    path = tmp_path / "t.json"
    prof.export_chrome_trace(str(path))
    names = {e["name"] for e in json.loads(path.read_text())["traceEvents"]}
    assert {"outer", "inner"} <= names


def test_record_function_outside_profiling_and_as_decorator():
    @P.record_function("deco")
    def f(v):
        return v + 1
    assert f(1) == 2
    with P.profile() as prof:
        f(2)
    assert [e.name for e in prof.events()] == ["deco"]


def test_profile_under_compile_records_eagerly_only():
    lin = jtorch.nn.Linear(4, 4)
    step = jtorch.compile(lambda t: lin(t).sum())
    x = jtorch.ones(2, 4)
    for _ in range(2):
        step(x)
    with P.profile() as prof:
        with P.record_function("step"):
            v = step(x)
    assert [e.name for e in prof.events()][:1] == ["step"]
    assert abs(v.item() - lin(x).sum().item()) < 1e-5


def test_legacy_record_types_and_profiler_util():
    from jtorch.autograd.profiler_util import EventList
    push = jtorch.autograd.ProfilerEvent("a", "push", 1.0)
    pop = jtorch.autograd.ProfilerEvent("a", "pop", 3.5)
    assert push.name() == "a" and pop.kind() == "pop" and push.cpu_elapsed_us(pop) == 2.5
    assert not jtorch.autograd.ProfilerConfig().with_flops
    with P.profile() as prof:
        with P.record_function("r"):
            pass
    assert isinstance(prof.events(), EventList)
