"""Small-tensor eager loops, per step: jtorch vs torch eager (issue 15), and JAX's CPU dispatch mode.

Workloads (the issue's programs written by others, in miniature; shapes repeat, so no compiles
after warm-up):
* bigram: a bigram language model's training step (Embedding(65, 65), cross_entropy, backward,
  AdamW), batch 32 x 8 drawn with numpy each step, `loss.item()`;
* rnn cell: `nn.RNNCell(16, 32)` stepped 20 times in Python under `no_grad`, then `float(h.sum())`;
* policy: REINFORCE on a 4 -> 64 -> 2 MLP policy, 16 environment steps of one observation each
  (forward, softmax, `multinomial`, `log`), then returns, loss, backward, Adam;
* mid-size checks (so a change that helps tiny ops does not slow larger ones): a 2-block causal
  transformer forward+backward (B 8, T 32, E 64) and an MLP training step (batch 256,
  784 -> 512 -> 512 -> 10, SGD);
* inference loops (`no_grad`, where eager units apply): the policy acting for 16 steps (a
  rollout), and 8 tokens of greedy sampling from a 2-layer GPT (E 64) whose context is cropped to
  32 tokens (nanoGPT's `sample.py` once the context exceeds `block_size`: one shape every step).
Each library/mode runs in its own long-lived process; the parent asks each in turn for a block of
steps of one workload, so neighbouring blocks share the machine's load (ratio per round: the
median over rounds of jtorch's block time / torch's adjacent block time); printed: median ms per step over rounds, the jtorch/torch ratio, and CPU time per step
(process time: all threads, which also shows work that only moved to another thread).
Configurations: "jtorch" = the default; "units" = eager units on (`JTORCH_EAGER_UNITS=2`:
a Module call under `no_grad` runs as one program from its third call of a signature; see
jtorch/_eager_units.py); "sync" (`--sync`) = JAX's CPU dispatch inline in the calling thread
(`jax_cpu_enable_async_dispatch=False`; the default enqueues every executable on another thread);
"before" (`--before DIR`) = the jtorch package of another checkout (e.g. `git archive HEAD`), for
before/after figures in one run. Column "= jtorch": whether every block's last result equals the
default jtorch process's, bit for bit (same seeds, same calls).

Run: python benchmarks/bench_small_loops.py [--rounds 15] [--number 10] [--threads 1]
     [--sync] [--before DIR]

Measured (Dec 7, `--rounds 9 --before` HEAD without units; load average 12.7-14.3 on 2 cores, so
wall ratios swing 2x between runs and CPU ms/step is steadier): gpt sample x8 at context 32,
jtorch 5.07x torch (82.3 CPU ms/step), units 1.66x (25.5; torch 12.6); policy rollout 7.59x,
units 7.06x (the trial rejected the unit: a 3-op MLP is not faster as a program); training rows
unchanged by units (no unit applies to recording calls): bigram 3.2x/1.9x/1.6x (jtorch, units,
before; noise), RNN cell ~5x, REINFORCE 5.5-7.5x, transformer 1.0-2.5x, MLP 0.84-0.97x. Every
jtorch configuration's results equal the default's bit for bit.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import time

import _gpt  # benchmarks/, the script's directory

HERE = os.path.dirname(os.path.abspath(__file__))


def workloads(lib):
    import numpy as np
    nn, F = lib.nn, lib.nn.functional
    rng = np.random.default_rng(0)
    lib.manual_seed(0)
    out = {}

    V, B, T = 65, 32, 8
    data = rng.integers(0, V, 10000)
    tok = nn.Embedding(V, V)
    opt = lib.optim.AdamW(tok.parameters(), lr=1e-3)

    def bigram():
        ix = rng.integers(0, len(data) - T - 1, B)
        x = lib.from_numpy(np.stack([data[i:i + T] for i in ix]))
        y = lib.from_numpy(np.stack([data[i + 1:i + T + 1] for i in ix]))
        loss = F.cross_entropy(tok(x).view(B * T, V), y.view(B * T))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()
    out["bigram step"] = bigram

    cell, xs = nn.RNNCell(16, 32), lib.randn(20, 4, 16)

    def rnn_cell():
        h = lib.zeros(4, 32)
        with lib.no_grad():
            for i in range(20):
                h = cell(xs[i], h)
        return float(h.sum())
    out["rnn cell x20"] = rnn_cell

    policy = nn.Sequential(nn.Linear(4, 64), nn.Tanh(), nn.Linear(64, 2))
    popt = lib.optim.Adam(policy.parameters(), lr=1e-2)
    obs = rng.standard_normal((16, 4)).astype("float32")

    def reinforce():
        logps, rewards = [], []
        for t in range(16):
            probs = F.softmax(policy(lib.from_numpy(obs[t:t + 1])), dim=-1)
            a = lib.multinomial(probs, 1)
            logps.append(lib.log(probs.gather(1, a)))
            rewards.append(1.0 if int(a) == 0 else 0.0)
        ret = lib.tensor([sum(rewards[i:]) for i in range(16)])
        loss = -(lib.cat(logps).view(-1) * (ret - ret.mean())).sum()
        popt.zero_grad()
        loss.backward()
        popt.step()
        return float(loss)
    out["policy episode x16"] = reinforce

    E, H = 64, 4

    Block = functools.partial(_gpt.block, lib, E, H)

    emb, blocks, head = nn.Embedding(64, E), nn.Sequential(Block(), Block()), nn.Linear(E, 64)
    seq = lib.tensor(rng.integers(0, 64, (8, 33)))

    def gpt():
        for m in (emb, blocks, head):
            m.zero_grad()
        loss = F.cross_entropy(head(blocks(emb(seq[:, :-1]))).reshape(-1, 64), seq[:, 1:].reshape(-1))
        loss.backward()
        return loss.item()
    out["transformer fwd+bwd"] = gpt

    def rollout():
        total = 0
        with lib.no_grad():
            for t in range(16):
                probs = F.softmax(policy(lib.from_numpy(obs[t:t + 1])), dim=-1)
                total += int(lib.multinomial(probs, 1))
        return total
    out["policy rollout x16 (no_grad)"] = rollout

    import bench_generate
    gpt = bench_generate.model(lib, 64, E, H, 2, 32)
    gpt.eval()
    ctx = lib.tensor(rng.integers(0, 64, (1, 32)))

    def sample():
        idx = ctx
        with lib.no_grad():
            for _ in range(8):
                logits = gpt(idx[:, -32:])[:, -1, :]
                idx = lib.cat((idx, lib.argmax(logits, dim=-1, keepdim=True)), dim=1)
        return idx[0, -8:].tolist() + [float(logits.sum())]
    out["gpt sample x8, context 32 (no_grad)"] = sample

    mlp = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    mopt = lib.optim.SGD(mlp.parameters(), lr=0.01, momentum=0.9)
    mx = lib.tensor(rng.standard_normal((256, 784)).astype("float32"))
    my = lib.tensor(rng.integers(0, 10, 256))

    def mlp_step():
        mopt.zero_grad()
        loss = F.cross_entropy(mlp(mx), my)
        loss.backward()
        mopt.step()
        return loss.item()
    out["MLP 256x784 train step"] = mlp_step
    return out


def child(lib_name, a):
    """Serve measurements: read a workload name per line, run it `number` times, answer
    [wall ms, cpu ms] per step (the parent interleaves the libraries step block by block)."""
    sys.path.insert(0, HERE)
    if a.threads == 1:
        import _util  # noqa: F401  (one intra-op thread, set before jax/torch load)
    if lib_name == "torch":
        import torch as lib
        if a.threads:
            lib.set_num_threads(a.threads)
    else:
        import jtorch as lib
    fns = workloads(lib)
    for fn in fns.values():  # past the first-shape host paths' 64 calls and a unit's trial
        for _ in range(12):
            fn()
    print(json.dumps(list(fns)), flush=True)
    for line in sys.stdin:
        fn, n = fns[line.strip()], a.number
        w, c = time.perf_counter(), time.process_time()
        for _ in range(n):
            r = fn()
        print(json.dumps([(time.perf_counter() - w) / n * 1e3, (time.process_time() - c) / n * 1e3,
                          r]), flush=True)


def start_child(lib_name, mode, a):
    env = dict(os.environ)
    env.pop("JTORCH_EAGER_UNITS", None)
    if mode == "sync":
        env["JAX_CPU_ENABLE_ASYNC_DISPATCH"] = "0"
    elif mode == "units":
        env["JTORCH_EAGER_UNITS"] = "2"
    elif mode == "before":
        env["PYTHONPATH"] = os.pathsep.join([os.path.abspath(a.before), env.get("PYTHONPATH", "")])
    cmd = [sys.executable, os.path.abspath(__file__), "--child", lib_name, "--number", str(a.number),
           "--threads", str(a.threads)]
    return subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def ask(p, name):
    p.stdin.write(name + "\n")
    p.stdin.flush()
    return json.loads(p.stdout.readline())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--number", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1, help="intra-op threads (0: each library's default)")
    ap.add_argument("--sync", action="store_true", help="also jtorch with synchronous CPU dispatch")
    ap.add_argument("--before", help="also the jtorch package found in this directory")
    ap.add_argument("--child")
    a = ap.parse_args()
    if a.child:
        child(a.child, a)
        return
    sys.path.insert(0, HERE)
    from _util import table
    configs = [("torch", None), ("jtorch", None), ("jtorch", "units")]
    configs += [("jtorch", "sync")] * a.sync + [("jtorch", "before")] * bool(a.before)
    procs = {c: start_child(*c, a) for c in configs}
    names = [json.loads(p.stdout.readline()) for p in procs.values()][0]
    loads, runs = [], {(c, n): [] for c in configs for n in names}
    for r in range(a.rounds):
        loads.append(os.getloadavg()[0])
        for n in names:
            for c in (configs if r % 2 else configs[::-1]):
                runs[(c, n)].append(ask(procs[c], n))
    for p in procs.values():
        p.stdin.close()
        p.wait()
    rows = []
    for n in names:
        base, ref = runs[(configs[0], n)], [r for _, _, r in runs[(configs[1], n)]]
        for c in configs:
            rs = runs[(c, n)]
            med = statistics.median(w for w, _, _ in rs)
            per_round = statistics.median(w / b for (w, _, _), (b, _, _) in zip(rs, base))
            rows.append([n, c[0] + ("" if c[1] is None else f" {c[1]}"), f"{med:.3f}",
                         f"{med / statistics.median(w for w, _, _ in base):.2f}", f"{per_round:.2f}",
                         f"{statistics.median(u for _, u, _ in rs):.3f}",
                         "-" if c[0] == "torch" else "yes" if [r for _, _, r in rs] == ref else "NO"])
    table(f"ms per step, median of {a.rounds} interleaved rounds x {a.number} steps (load average "
          f"{min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} cores, intra-op threads "
          f"{a.threads or 'default'})",
          ["workload", "lib/config", "ms/step", "ratio", "ratio per round", "cpu ms/step",
           "= jtorch"], rows)


if __name__ == "__main__":
    main()
