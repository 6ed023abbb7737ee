"""torch.autograd.graph (saved-tensor hooks, Node, multi-grad hooks), torch.utils.hooks and
torch.profiler / torch.autograd.profiler vs torch."""
from __future__ import annotations

import glob
import importlib
import time

from compat._harness import randn


def _graph(lib):
    return importlib.import_module(lib.__name__ + ".autograd.graph")


def _t(lib, *shape, seed=0):
    return lib.tensor(randn(*shape, dtype="float32", seed=seed), requires_grad=True)


def test_saved_tensors_hooks_pack_and_unpack(compat):
    def f(lib):
        g, log = _graph(lib), []

        def pack(t):
            log.append(("pack", list(t.shape)))
            return t

        def unpack(t):
            log.append(("unpack", list(t.shape)))
            return t
        x, y = _t(lib, 2, 3), _t(lib, 2, 3, seed=1)
        with g.saved_tensors_hooks(pack, unpack):
            z = (x * y).sum() + x.exp().sum()
        forward = list(log)
        z.backward()
        return forward, log[len(forward):], x.grad, y.grad
    compat.value(f)


def test_save_on_cpu_and_disable(compat):
    def f(lib):
        g = _graph(lib)
        x = _t(lib, 3)
        with g.save_on_cpu(pin_memory=False):
            (x * x).sum().backward()
        try:
            with g.disable_saved_tensors_hooks("hooks are off here"):
                with g.saved_tensors_hooks(lambda t: t, lambda t: t):
                    pass
            err = None
        except RuntimeError as e:
            err = str(e)
        return x.grad, err
    compat.value(f)


def test_node_type_multi_grad_hook_and_edge(compat):
    def f(lib):
        g = _graph(lib)
        a, b = _t(lib, 2), _t(lib, 2, seed=1)
        got = []
        h = g.register_multi_grad_hook((a, b), lambda gs: got.append(list(gs)))
        (a * 2 + b * 3).sum().backward()
        h.remove()
        (a * 2 + b * 3).sum().backward()
        y = a * 2
        edge = g.get_gradient_edge(y)
        return (isinstance(y.grad_fn, g.Node), isinstance(3, g.Node), got, type(edge.node).__name__,
                edge.output_nr, importlib.import_module(lib.__name__ + ".utils.hooks").RemovableHandle.__name__)
    compat.value(f)


def test_profiler_schedule(compat):
    def f(lib):
        P = importlib.import_module(lib.__name__ + ".profiler")
        s1 = P.schedule(wait=1, warmup=1, active=2, repeat=1)
        s2 = P.schedule(skip_first=2, wait=0, warmup=1, active=1, repeat=2)
        return [s1(i).name for i in range(7)], [s2(i).name for i in range(9)]
    compat.value(f)


def test_profiler_record_function_events(compat, tmp_path):
    def f(lib):
        P = importlib.import_module(lib.__name__ + ".profiler")
        x = lib.ones(16, 16)
        with P.profile(activities=[P.ProfilerActivity.CPU]) as prof:
            with P.record_function("outer"):
                time.sleep(0.02)
                with P.record_function("inner"):
                    x @ x
                    time.sleep(0.01)
            with P.record_function("inner"):
                pass
        avg = {e.key: e for e in prof.key_averages()}
        table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=10)
        out, inner = avg["outer"], avg["inner"]
        return (sorted(k for k in avg if not k.startswith("aten::")), out.count, inner.count,
                out.cpu_time_total >= 29000, out.self_cpu_time_total >= 19000,
                inner.cpu_time_total >= 9000, "outer" in table and "Self CPU time total" in table)
    compat.value(f)


def test_profiler_steps_and_trace_handler(compat, tmp_path):
    def f(lib):
        P = importlib.import_module(lib.__name__ + ".profiler")
        d = tmp_path / lib.__name__
        handler = P.tensorboard_trace_handler(str(d), worker_name="w")
        cycles = []

        def ready(p):
            cycles.append(sorted({e.name for e in p.events() if not e.name.startswith("aten::")}))
            handler(p)
        with P.profile(schedule=P.schedule(wait=1, warmup=1, active=2), on_trace_ready=ready) as p:
            for _ in range(9):
                with P.record_function("work"):
                    lib.ones(2) + 1
                p.step()
        return cycles, len(glob.glob(str(d / "w.*.pt.trace.json")))
    compat.value(f)


def test_autograd_profiler_legacy(compat):
    def f(lib):
        from_ = importlib.import_module(lib.__name__ + ".autograd.profiler")
        with from_.profile() as prof:
            with from_.record_function("region"):
                time.sleep(0.005)
        names = [e.name for e in prof.function_events if not e.name.startswith("aten::")]
        return names, prof.function_events[0].cpu_time_total >= 4000
    compat.value(f)
