"""Memory and time of eager ops over many distinct shapes (issue 14 §7).

Run: python benchmarks/bench_shape_memory.py [--shapes 1000] [--limits 4096,1000]

Each configuration runs in its own child process: for n = 1..shapes, a forward and backward
at a new shape (`x` of n elements: `((x * 2 + 1).tanh()).sum().backward()`), then one call
at a fixed "hot" shape. Printed per configuration: resident memory (RSS) at the end and its
peak, the median time of a new-shape step, backend compiles counted by `jax.monitoring`, the
compiles the hot shape needed after its first call (recompiles a full reset of the executable
caches causes), and the ratio of RSS growth to torch's. jtorch runs with the disk cache off
(`JTORCH_CACHE_DIR=0`), so every new shape pays XLA's compile: memory, not the cache, is measured.
`JTORCH_MAX_EXECUTABLES` (the bound in jtorch/_op_cache_bound.py) is set per configuration.

Measured (2-core machine at load ~8, 200 shapes, `--limits 512,256`): torch +0 MiB; jtorch with
the default bound 512 (4 resets, 1,843 compiles) +449 MiB at the end, peak +730 MiB; bound 256
(8 resets) +137 MiB, peak +362 MiB; the hot shape recompiled once per reset. Before the reset
cleared JAX's caches and trimmed the heap (300 shapes): the old default 4096 +3,094 MiB, 256
+749 MiB.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CHILD = r"""
import json, os, resource, sys, time
lib_name, shapes = sys.argv[1], int(sys.argv[2])
def rss():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1]) * 1024
if lib_name == "torch":
    import torch as lib
    lib.set_num_threads(1)
    compiles = [0]
else:
    import jax.monitoring
    import jtorch as lib
    compiles = [0]
    jax.monitoring.register_event_duration_secs_listener(
        lambda name, d, **k: name == "/jax/core/compile/backend_compile_duration"
        and compiles.__setitem__(0, compiles[0] + 1))
import numpy as np

def step(n):
    x = lib.tensor(np.linspace(-1, 1, n), dtype=lib.float32, requires_grad=True)
    y = ((x * 2 + 1).tanh()).sum()
    y.backward()
    return float(y) + float(x.grad[0])

step(64)  # the hot shape, first seen: its compiles are not counted as recompiles
base = rss()
times, hot_recompiles = [], 0
for n in range(65, 65 + shapes):
    t = time.perf_counter()
    step(n)
    times.append(time.perf_counter() - t)
    before = compiles[0]
    step(64)
    hot_recompiles += compiles[0] > before
end = rss()
peak = int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]) * 1024
times.sort()
print(json.dumps({"base": base, "end": end, "peak": peak, "median_s": times[len(times) // 2],
                  "total_s": sum(times), "compiles": compiles[0], "hot_recompiles": hot_recompiles}))
"""


def run(lib, shapes, limit=None):
    env = dict(os.environ, OMP_NUM_THREADS="1", JTORCH_CACHE_DIR="0")
    if limit is not None:
        env["JTORCH_MAX_EXECUTABLES"] = str(limit)
    r = subprocess.run([sys.executable, "-c", CHILD, lib, str(shapes)], env=env,
                       capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(r.stderr[-3000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--shapes", type=int, default=1000)
    p.add_argument("--limits", default="512,256", help="JTORCH_MAX_EXECUTABLES values to run")
    a = p.parse_args()
    configs = [("torch", None)] + [("jtorch", int(v)) for v in a.limits.split(",")]
    results = {}
    for lib, limit in configs:
        results[(lib, limit)] = r = run(lib, a.shapes, limit)
        print(f"{lib:6} limit={str(limit):5} shapes={a.shapes}: RSS {r['base'] / 2**20:7.0f} -> "
              f"{r['end'] / 2**20:7.0f} MiB (peak {r['peak'] / 2**20:7.0f}), new-shape step median "
              f"{r['median_s'] * 1e3:8.2f} ms, total {r['total_s']:7.1f} s, compiles {r['compiles']}, "
              f"hot-shape recompiles {r['hot_recompiles']}", flush=True)
    t = results[("torch", None)]
    growth_t = max(t["end"] - t["base"], 2**20)  # torch's growth is often 0: floor at 1 MiB
    for (lib, limit), r in results.items():
        if lib == "jtorch":
            print(f"jtorch limit={limit}: RSS growth {(r['end'] - r['base']) / 2**20:.0f} MiB, "
                  f"{(r['end'] - r['base']) / growth_t:.1f}x torch's "
                  f"({growth_t / 2**20:.0f} MiB); new-shape step {r['median_s'] / t['median_s']:.0f}x torch's")


if __name__ == "__main__":
    main()
