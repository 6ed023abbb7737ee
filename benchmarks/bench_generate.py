"""Autoregressive generation over a growing context: tokens/s, jtorch vs torch eager (issue 15).

A small nanoGPT-style model (token + position embeddings, pre-LayerNorm blocks with
`scaled_dot_product_attention(is_causal=True)`, GELU MLP, tied head that reads `x[:, [-1], :]`)
generates greedily (argmax) under `no_grad`, the context growing by one token per step and never
cropped (as nanoGPT's `sample.py` does below `block_size`): every step runs every op at a new
length. Each library runs in its own process:
* torch: eager;
* jtorch "cold, no host path": an empty cache directory, `JTORCH_HOST_FIRST_SHAPE=0` (every op
  compiles at every new length: the behaviour before `_first_shape.py`);
* jtorch "cold": another empty cache directory (compile + write every entry), data movement at
  first-seen shapes on the host;
* jtorch "warm": the same directory again, a new process (every program read from disk);
* "hot": a second generation in the same process as "warm" (every shape seen: the steady state).
Printed: tokens/s, the ratio of jtorch's time to torch's, backend compiles and disk-cache hits
per token, and whether the generated tokens equal torch's (same weights, greedy).

`--block B` crops the context to its last B tokens once it is longer (nanoGPT's `sample.py`
past `block_size`): from then on every step runs at one shape. `--units`: the jtorch rows again
with eager units on (`JTORCH_EAGER_UNITS=2`: the model's forward as one program from the third
call of a length), each state in its own cache directory; column "= eager" says whether their
logits equal the rows without units bit for bit.

Run: python benchmarks/bench_generate.py [--tokens 24] [--layers 2] [--embd 64] [--block B]
     [--units]

Measured (Dec 7, `--tokens 40 --block 16 --units`, load average 12.7; one process per row, so
single samples): ratio to torch cold, no host path 384x; cold 265x; warm 47x; hot 4.2x; with
units cold 240x, warm 57x, hot 4.2x: growing lengths run eagerly (ski rental: no whole-forward
compile per length), so cold and warm are the per-op path's; at the cropped length the unit's
program runs, but under this load the 40-token hot run is dominated by noise. Per step, measured
alone (load ~10, third generation): the 24 steps at the cropped length took 178-191 ms with
units and 560-1118 ms without. Every step's logits equal bit for bit with and without units.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time

import _gpt  # benchmarks/, the script's directory

HERE = os.path.dirname(os.path.abspath(__file__))


def model(lib, V, E, H, L, block):
    nn = lib.nn

    Block = functools.partial(_gpt.block, lib, E, H)

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = nn.Embedding(V, E), nn.Embedding(block, E)
            self.blocks = nn.ModuleList([Block() for _ in range(L)])
            self.lnf, self.head = nn.LayerNorm(E), nn.Linear(E, V, bias=False)
            self.head.weight = self.tok.weight

        def forward(self, idx):
            T = idx.shape[1]
            x = self.tok(idx) + self.pos(lib.arange(0, T, dtype=lib.long))
            for b in self.blocks:
                x = b(x)
            return self.head(self.lnf(x)[:, [-1], :])
    return GPT()


def generate(lib, m, idx, n, block):
    """Greedy tokens and a digest of every step's logits (their bytes, for bit equality)."""
    import hashlib
    digest = hashlib.sha256()
    with lib.no_grad():
        for _ in range(n):
            cond = idx if idx.shape[1] <= block else idx[:, -block:]
            logits = m(cond)[:, -1, :]
            nxt = lib.argmax(logits, dim=-1, keepdim=True)
            idx = lib.cat((idx, nxt), dim=1)
            digest.update(logits.numpy().tobytes())
    return idx, digest.hexdigest()


def child(lib_name, a):
    sys.path[:0] = [HERE, os.path.dirname(HERE)]
    import _util  # noqa: F401  (one intra-op thread, set before jax/torch load)
    import numpy as np
    if lib_name == "torch":
        import torch as lib
        lib.set_num_threads(1)
        events = None
    else:
        import jax
        import jtorch as lib
        events = {"compiles": 0, "hits": 0}

        def on_duration(name, secs, **kw):
            if name == "/jax/core/compile/backend_compile_duration":
                events["compiles"] += 1

        def on_event(name, **kw):
            if name == "/jax/compilation_cache/cache_hits":
                events["hits"] += 1
        jax.monitoring.register_event_duration_secs_listener(on_duration)
        jax.monitoring.register_event_listener(on_event)
    block = a.block or a.tokens + 8
    m = model(lib, 65, a.embd, 4, a.layers, max(block, a.tokens + 8))
    rng = np.random.default_rng(0)
    with lib.no_grad():  # the same weights in both libraries
        for p in m.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)).astype("float32") * 0.2))
    m.eval()
    idx = lib.tensor([[1]])
    out = {}
    for run in ("first", "hot"):
        before = dict(events) if events else None
        t = time.perf_counter()
        res, digest = generate(lib, m, idx, a.tokens, block)
        secs = time.perf_counter() - t
        out[run] = {"secs": secs, "tokens": [int(v) for v in res[0].tolist()], "digest": digest}
        if events:
            out[run]["compiles"] = events["compiles"] - before["compiles"]
            out[run]["hits"] = events["hits"] - before["hits"]
    return out


def run_child(lib_name, a, cache=None, host=True, units=False):
    env = dict(os.environ)
    env.pop("JTORCH_EAGER_UNITS", None)
    if units:
        env["JTORCH_EAGER_UNITS"] = "2"
    if cache is not None:
        env["JTORCH_CACHE_DIR"] = cache
    env.pop("JTORCH_HOST_FIRST_SHAPE", None)  # the default count
    if not host:
        env["JTORCH_HOST_FIRST_SHAPE"] = "0"
    cmd = [sys.executable, os.path.abspath(__file__), "--child", lib_name, "--tokens", str(a.tokens),
           "--layers", str(a.layers), "--embd", str(a.embd), "--block", str(a.block)]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if p.returncode:
        sys.exit(f"child failed:\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=24)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--embd", type=int, default=64)
    ap.add_argument("--block", type=int, default=0, help="crop the context to this many tokens")
    ap.add_argument("--units", action="store_true", help="also the jtorch rows with eager units on")
    ap.add_argument("--child")
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(a.child, a)))
        return
    sys.path.insert(0, HERE)
    from _util import table
    load = os.getloadavg()[0]
    torch_res = run_child("torch", a)
    with tempfile.TemporaryDirectory() as cache:
        before = run_child("jtorch", a, cache, host=False)
    with tempfile.TemporaryDirectory() as cache:
        cold = run_child("jtorch", a, cache)
        warm = run_child("jtorch", a, cache)
    states = [("cold, no host path", before, "first"), ("cold", cold, "first"),
              ("warm", warm, "first"), ("hot", warm, "hot")]
    if a.units:
        with tempfile.TemporaryDirectory() as cache:
            ucold = run_child("jtorch", a, cache, units=True)
            uwarm = run_child("jtorch", a, cache, units=True)
        states += [("units, cold", ucold, "first"), ("units, warm", uwarm, "first"),
                   ("units, hot", uwarm, "hot")]
    t_first, t_hot = torch_res["first"]["secs"], torch_res["hot"]["secs"]
    ref = torch_res["first"]["tokens"]
    rows = [["torch", "eager", f"{a.tokens / t_first:.1f}", "1.00", "-", "-", "yes", "-"],
            ["torch", "hot", f"{a.tokens / t_hot:.1f}", "1.00", "-", "-", "yes", "-"]]
    for state, res, run in states:
        r, base = res[run], t_hot if run == "hot" else t_first
        rows.append(["jtorch", state, f"{a.tokens / r['secs']:.1f}", f"{r['secs'] / base:.1f}",
                     f"{r['compiles'] / a.tokens:.1f}", f"{r['hits'] / a.tokens:.1f}",
                     "yes" if r["tokens"] == ref else "NO",
                     "yes" if r["digest"] == cold[run]["digest"] else "NO"])
    crop = f", context cropped to {a.block}" if a.block else ""
    table(f"greedy generation of {a.tokens} tokens from 1{crop}, GPT {a.layers} layers x {a.embd} "
          f"(load average {load:.1f} on {os.cpu_count()} cores); ratio = jtorch time / torch time "
          f"(hot: vs torch's second run)",
          ["lib", "state", "tokens/s", "ratio", "compiles/token", "disk hits/token", "= torch",
           "= eager"], rows)


if __name__ == "__main__":
    main()
