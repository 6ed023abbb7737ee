"""First call of one eager op at a new shape, and its parts (issue 15).

Run: python benchmarks/bench_first_call.py [--reps 5] [--options] [--phases]

For each op, autograd on (inputs require grad) and off (`no_grad`), every repetition uses shapes
not seen before in the process (one warm-up shape first, not counted):
* total: wall time of the eager call at a fresh shape, until the result is ready;
* parts, at another fresh shape: each `jax.jit` that `_dispatch.apply` calls is replayed through
  the public AOT API, `jit.trace(...)` (jtorch's body: Python + JAX tracing), `.lower()`
  (StableHLO), `.compile()` (XLA, or the disk-cache read when warm), timed by wall clock;
* other = total - parts: dispatch, jit's cache-miss bookkeeping, running, wrapping.
Three child processes run the same shapes: "none" (`JTORCH_CACHE_DIR=0`: XLA compile alone),
then "cold" and "warm" with `JTORCH_CACHE_DIR` at one new temporary directory (empty: compile +
cache key + entry write; then every program on disk: compile is the cache read).
`jax.monitoring` counts the backend compiles and disk-cache hits of each timed call.
`--options` also compiles each program of the "none" run with cheaper XLA options and checks
that its outputs are bit-identical to the default executable's.
`--phases` splits XLA's compile in the "none" run by XLA:CPU's own log timers: HLO passes, IR
emission of the kernels, LLVM codegen (on a thread pool), the rest.
"other" is a difference of medians taken at different shapes: on a loaded machine it can be < 0.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# XLA options tried by --options (DebugOptions fields accepted by `Lowered.compile`).
OPTIONS = {
    "O0": {"xla_backend_optimization_level": 0},
    "O1": {"xla_backend_optimization_level": 1},
    "noexp": {"xla_llvm_disable_expensive_passes": True},
    "nofe": {"xla_cpu_use_fusion_emitters": False},
}


def cases(torch, F):
    """(name, make(n, rg) -> inputs, fn(*inputs)); n sizes a fresh shape."""
    import numpy as np
    rng = np.random.default_rng(0)

    def t(*shape, rg=False):
        x = torch.tensor(rng.standard_normal(shape).astype(np.float32))
        return x.requires_grad_() if rg else x

    def tgt(n):
        return torch.tensor(rng.integers(0, 10, n).astype(np.int64))

    return [
        ("add", lambda n, rg: (t(n, 64, rg=rg), t(n, 64, rg=rg)), lambda a, b: a + b),
        ("matmul", lambda n, rg: (t(n, 64, rg=rg), t(64, 32, rg=rg)), lambda a, b: a @ b),
        ("conv2d", lambda n, rg: (t(2, 3, n, 16, rg=rg), t(8, 3, 3, 3, rg=rg)),
         lambda x, w: F.conv2d(x, w, padding=1)),
        ("layer_norm", lambda n, rg: (t(n, 64, rg=rg), t(64, rg=rg), t(64, rg=rg)),
         lambda x, w, b: F.layer_norm(x, (64,), w, b)),
        ("cross_entropy", lambda n, rg: (t(n, 10, rg=rg), tgt(n)), lambda x, y: F.cross_entropy(x, y)),
        ("x[:, 1:5] * 1", lambda n, rg: (t(n, 64, rg=rg),), lambda x: x[:, 1:5] * 1),
        ("sum(dim=1)", lambda n, rg: (t(n, 64, rg=rg),), lambda x: x.sum(1)),
    ]


# ---------------------------------------------------------------- child: one process, one cache state

class Recorder:
    """Stands in for one of an op's jits: calls through; in AOT mode first times trace/lower/compile."""

    def __init__(self, op, jit, vjp):
        self.op, self.jit, self.vjp = op, jit, vjp

    def __call__(self, *args, **kwargs):
        if AOT is not None:
            aot(self, args, kwargs)
        return self.jit(*args, **kwargs)


AOT = None  # dict of part -> seconds while parts are being timed


def aot(rec, args, kwargs):
    import jax
    import numpy as np
    t0 = time.perf_counter()
    try:
        traced = rec.jit.trace(*args, **kwargs)
    except (TypeError, ValueError):
        return  # dispatch retries (a list as a static argument); the retry is timed
    t1 = time.perf_counter()
    lowered = traced.lower()
    t2 = time.perf_counter()
    global FLIP
    FLIP = not FLIP
    if OPTS and FLIP:  # every other program compiles the options first: no order advantage
        variants = {name: compile_variant(lowered, opts) for name, opts in OPTIONS.items()}
    t = time.perf_counter()
    compiled = lowered.compile()
    t3 = time.perf_counter()
    for k, v in (("trace", t1 - t0), ("lower", t2 - t1), ("compile", t3 - t)):
        AOT[k] = AOT.get(k, 0.0) + v
    if not OPTS:
        return
    if not FLIP:
        variants = {name: compile_variant(lowered, opts) for name, opts in OPTIONS.items()}
    statics = rec.op.static_names
    names = list(rec.op.sig.parameters)
    skip = 1 if rec.vjp else 0  # jit_vjp's first argument: the static input paths
    dyn = [a for j, a in enumerate(args)
           if j >= skip and not (j - skip < len(names) and names[j - skip] in statics)]
    dkw = {k: v for k, v in kwargs.items() if k not in statics}
    ref = jax.tree_util.tree_leaves(compiled(*dyn, **dkw))
    AOT["run"] = AOT.get("run", 0.0) + run_time(compiled, dyn, dkw)
    for name, (c, secs) in variants.items():
        AOT["compile_" + name] = AOT.get("compile_" + name, 0.0) + secs
        AOT["run_" + name] = AOT.get("run_" + name, 0.0) + run_time(c, dyn, dkw)
        got = jax.tree_util.tree_leaves(c(*dyn, **dkw))
        same = all(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True) for a, b in zip(ref, got))
        AOT["diff_" + name] = AOT.get("diff_" + name, 0) + (0 if same and len(ref) == len(got) else 1)


def run_time(compiled, args, kwargs, n=21):
    """Median seconds of one call of an executable, until its outputs are ready."""
    import jax
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        jax.block_until_ready(compiled(*args, **kwargs))
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def compile_variant(lowered, opts):
    t = time.perf_counter()
    c = lowered.compile(compiler_options=opts)
    return c, time.perf_counter() - t


def install():
    """Put a Recorder in front of every op's jits (built now or later)."""
    from jtorch import _dispatch
    from jtorch.ops._registry import REGISTRY

    def wrap(op):
        if op.jit_plain is None or isinstance(op.jit_plain, Recorder):
            return
        donate_same = op.jit_donate is op.jit_nograd
        op.jit_plain = Recorder(op, op.jit_plain, False)
        op.jit_nograd = Recorder(op, op.jit_nograd, False)
        op.jit_donate = op.jit_nograd if donate_same else Recorder(op, op.jit_donate, False)
        op.jit_vjp = Recorder(op, op.jit_vjp, True)

    build = _dispatch._build

    def build_and_wrap(op):
        build(op)
        wrap(op)
    _dispatch._build = build_and_wrap
    for op in REGISTRY.values():
        wrap(op)


def child(reps):
    global AOT
    sys.path.insert(0, HERE)
    import _util  # noqa: F401  (one intra-op thread, set before jax loads)
    import jax
    import jtorch
    import jtorch.nn.functional as F
    from jtorch import _dispatch

    events = {"compiles": 0, "hits": 0}

    def on_duration(name, secs, **kw):
        if name == "/jax/core/compile/backend_compile_duration":
            events["compiles"] += 1

    def on_event(name, **kw):
        if name == "/jax/compilation_cache/cache_hits":
            events["hits"] += 1
    jax.monitoring.register_event_duration_secs_listener(on_duration)
    jax.monitoring.register_event_listener(on_event)
    install()

    def ready(out):
        arrs = [_dispatch.array_of(o) for o in (out if isinstance(out, (tuple, list)) else [out])]
        jax.block_until_ready(arrs)

    res = {}
    for name, make, fn in cases(jtorch, F):
        for rg in (True, False):
            key = f"{name}|{'on' if rg else 'off'}"
            rows = []
            base = 8 if rg else 8 + 4 * (reps + 1)  # off and on never share a shape
            for r in range(reps + 1):
                n_parts, n_total = base + 2 * r, base + 2 * r + 1
                ctx = jtorch.enable_grad() if rg else jtorch.no_grad()
                with ctx:
                    inputs = make(n_parts, rg)
                    AOT = {}
                    ready(fn(*inputs))
                    parts, AOT = AOT, None
                    inputs = make(n_total, rg)
                    before = dict(events)
                    t = time.perf_counter()
                    ready(fn(*inputs))
                    total = time.perf_counter() - t
                    t = time.perf_counter()
                    ready(fn(*inputs))
                    again = time.perf_counter() - t
                if r:  # r == 0 warms up the op (first use of its jits, imports)
                    rows.append(dict(parts, total=total, again=again,
                                     compiles=events["compiles"] - before["compiles"],
                                     hits=events["hits"] - before["hits"]))
            res[key] = rows
    return res


# ---------------------------------------------------------------- parent: two runs, one table

def run_child(cache, reps, options, phases=False):
    env = dict(os.environ, JTORCH_CACHE_DIR=cache)
    if phases:  # XLA:CPU logs the time of its compile phases (parsed by xla_phases)
        env.update(TF_CPP_MIN_LOG_LEVEL="0", TF_CPP_VMODULE="cpu_compiler=1,ir_compiler=1")
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--reps", str(reps)]
    if options:
        cmd.append("--options")
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode:
        sys.exit(f"child failed:\n{out.stderr[-3000:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    if phases:
        res["_phases"] = xla_phases(out.stderr)
    return res


def _stamp(line):
    """Seconds since midnight of an absl log line (`I1207 19:57:43.483386 ...`)."""
    h, m, s = line.split()[1].split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def _ms(line):
    v, unit = re.search(r"time: ([0-9.]+) (us|ms|s) ", line).groups()
    return float(v) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def xla_phases(log):
    """XLA:CPU's compile of each program split into its phases, from its log: HLO passes,
    emitting the kernels' IR (from 'Compiling:' to the first LLVM verifier run), LLVM codegen of
    the kernel modules (wall time until 'Compilation finished'; the modules compile on a thread
    pool, `llvm_cpu` is their summed time) and the rest of the backend compile."""
    progs, cur = [], None
    for line in log.splitlines():
        if "Running HLO passes on" in line:
            cur = {"hlo": _ms(line), "kernels": 0, "llvm_cpu": 0.0}
        elif cur is None:
            continue
        elif "] Compiling: " in line:
            cur["t_emit"] = _stamp(line)
        elif "LLVM verifier" in line and "t_llvm" not in cur:
            cur["t_llvm"] = _stamp(line)
        elif "Compiled LLVM module" in line:
            cur["kernels"] += 1
            cur["llvm_cpu"] += _ms(line)
        elif "Compilation finished" in line:
            cur["t_end"] = _stamp(line)
        elif "for CPU using JIT time" in line:
            cur["total"] = _ms(line)
            if {"t_emit", "t_end"} <= set(cur):
                t_llvm = cur.get("t_llvm", cur["t_end"])
                cur["emit"] = (t_llvm - cur["t_emit"]) * 1e3
                cur["llvm"] = (cur["t_end"] - t_llvm) * 1e3
                progs.append(cur)
            cur = None
    return progs


def med(rows, k):
    return statistics.median(r.get(k, 0.0) for r in rows) * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--child", action="store_true")
    ap.add_argument("--options", action="store_true")
    ap.add_argument("--phases", action="store_true",
                    help="split XLA's compile (no-cache run) into HLO passes, IR emission, LLVM")
    a = ap.parse_args()
    global OPTS
    OPTS = a.options
    if a.child:
        print(json.dumps(child(a.reps)))
        return
    sys.path.insert(0, HERE)
    from _util import table
    load = os.getloadavg()[0]
    t = time.perf_counter()
    none = run_child("0", a.reps, a.options, a.phases)
    phases = none.pop("_phases", None)
    with tempfile.TemporaryDirectory() as cache:
        cold = run_child(cache, a.reps, False)
        warm = run_child(cache, a.reps, False)
    wall = time.perf_counter() - t
    print(f"first eager call at a new shape, median of {a.reps} fresh shapes (ms); "
          f"load average {load:.1f} on {os.cpu_count()} cores; {wall:.0f} s")
    head = ["op", "autograd", "cache", "total", "trace", "lower", "compile", "other",
            "trace%", "lower%", "compile%", "other%", "2nd call", "progs", "hits"]
    rows = []
    for key in cold:
        op, ag = key.split("|")
        for state, res in (("none", none), ("cold", cold), ("warm", warm)):
            rs = res[key]
            tot, tr, lo, co = (med(rs, k) for k in ("total", "trace", "lower", "compile"))
            other = tot - tr - lo - co
            pct = [f"{100 * v / tot:.0f}" for v in (tr, lo, co, other)]
            rows.append([op, ag, state, f"{tot:.1f}", f"{tr:.1f}", f"{lo:.1f}", f"{co:.1f}",
                         f"{other:.1f}", *pct, f"{med(rs, 'again'):.2f}",
                         f"{statistics.median(r['compiles'] for r in rs):.0f}",
                         f"{statistics.median(r['hits'] for r in rs):.0f}"])
    table("compile = XLA compile alone (none), + cache key and entry write (cold), or the "
          "disk-cache read (warm); "
          "progs/hits: backend compiles / disk hits in the timed call", head, rows)
    for state, res in (("none", none), ("cold", cold), ("warm", warm)):
        all_rows = [r for rs in res.values() for r in rs]
        tot = sum(r["total"] for r in all_rows)
        shares = {k: sum(r.get(k, 0.0) for r in all_rows) / tot for k in ("trace", "lower", "compile")}
        print(f"{state}: all ops, sum of totals {tot * 1e3:.0f} ms; shares " +
              ", ".join(f"{k} {100 * v:.0f}%" for k, v in shares.items()) +
              f", other {100 * (1 - sum(shares.values())):.0f}%")
    if phases:
        tot = sum(p["total"] for p in phases)
        parts = {k: sum(p[k] for p in phases) for k in ("hlo", "emit", "llvm")}
        print(f"XLA compile phases over {len(phases)} programs of the no-cache run ({tot:.0f} ms, "
              f"median {statistics.median(p['total'] for p in phases):.0f} ms, "
              f"{statistics.median(p['kernels'] for p in phases):.0f} kernels per program): " +
              ", ".join(f"{k} {100 * v / tot:.0f}%" for k, v in parts.items()) +
              f", other {100 * (1 - sum(parts.values()) / tot):.0f}%; LLVM CPU time "
              f"{sum(p['llvm_cpu'] for p in phases):.0f} ms (kernels compile on a thread pool)")
    if a.options:
        orows, ratios = [], {}
        for key in none:
            rs = none[key]
            base = med(rs, "compile")
            run = med(rs, "run") * 1e3
            line = [key.replace("|", " "), f"{base:.1f}", f"{run:.0f}"]
            for name in OPTIONS:
                c = med(rs, "compile_" + name)
                line += [f"{c:.1f}", f"{c / base:.2f}" if base else "-",
                         f"{med(rs, 'run_' + name) * 1e3 / run:.2f}",
                         "yes" if all(r.get("diff_" + name, 0) == 0 for r in rs) else "NO"]
                ratios.setdefault(name, []).extend(r["compile_" + name] / r["compile"] for r in rs)
            orows.append(line)
        head = ["op autograd", "compile ms", "run us"] + [
            f"{n} {h}" for n in OPTIONS for h in ("compile ms", "compile ratio", "run ratio", "bit-same")]
        table("XLA compile with options (no disk cache; ratio to the default compile): "
              + "; ".join(f"{n} = {o}" for n, o in OPTIONS.items()), head, orows)
        for name, rs in ratios.items():
            gm = math.exp(statistics.mean(math.log(r) for r in rs))
            print(f"{name}: compile-time ratio over {len(rs)} first calls, geometric mean {gm:.2f}, "
                  f"median {statistics.median(rs):.2f}")


OPTS = False
FLIP = False

if __name__ == "__main__":
    main()
