"""torch.export in jtorch: calling an exported module vs the same model under jtorch.compile,
export/save/load times, and a new batch size on a loaded program (compiles, no Python trace).

Models: MLP 784-512-512-10 (batch 64); a causal-attention block (d_model 128, 4 heads, batch 8,
seq 64, dynamic batch and sequence); conv+BatchNorm net (batch 32, 1x28x28, eval mode).
Calls are measured under no_grad (inference, what is deployed) and in grad mode (outputs carry
gradients to the parameters), in alternating rounds so machine noise hits both sides alike.

Run: python benchmarks/bench_export.py [--models mlp,attn,cnn] [--number 100] [--clock wall|cpu]
"""
from __future__ import annotations

import _util  # noqa: F401  (one intra-op thread)
from _util import fmt, table

import argparse
import io
import math
import time

import jtorch as torch
from jtorch.export import Dim, export


def mlp():
    nn = torch.nn
    return (nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                          nn.Linear(512, 10)), torch.randn(64, 784), {0: Dim("batch")}, (17, 784))


def attn():
    nn, F = torch.nn, torch.nn.functional

    class Block(nn.Module):
        def __init__(self, d=128, h=4):
            super().__init__()
            self.ln, self.qkv, self.proj, self.h = nn.LayerNorm(d), nn.Linear(d, 3 * d), nn.Linear(d, d), h
            self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.qkv(self.ln(x)).split(C, dim=2)
            q, k, v = (t.view(B, T, self.h, C // self.h).transpose(1, 2) for t in (q, k, v))
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(), float("-inf"))
            y = (F.softmax(att, dim=-1) @ v).transpose(1, 2).contiguous().view(B, T, C)
            x = x + self.proj(y)
            return x + self.mlp(x)
    return Block(), torch.randn(8, 64, 128), {0: Dim("batch"), 1: Dim("seq", max=256)}, (3, 40, 128)


def cnn():
    nn = torch.nn
    m = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Flatten(), nn.Linear(32 * 7 * 7, 10)).eval()
    return m, torch.randn(32, 1, 28, 28), {0: Dim("batch")}, (5, 1, 28, 28)


CLOCK = time.perf_counter


def _alternate(fns, number, rounds=7):
    """Median time per call (us) of each fn, measured in alternating rounds."""
    res = [[] for _ in fns]
    for f in fns:
        for _ in range(5):
            f()
    for _ in range(rounds):
        for i, f in enumerate(fns):
            t = CLOCK()
            for _ in range(number):
                f()
            res[i].append((CLOCK() - t) / number * 1e6)
    return [sorted(r)[len(r) // 2] for r in res]


def run(name, make, number):
    torch.manual_seed(0)
    model, x, dyn, new_shape = make()
    t = time.perf_counter()
    ep = export(model, (x,), dynamic_shapes=(dyn,))
    t_export = time.perf_counter() - t
    buf = io.BytesIO()
    t = time.perf_counter()
    torch.export.save(ep, buf)
    t_save = time.perf_counter() - t
    t = time.perf_counter()
    loaded = torch.export.load(io.BytesIO(buf.getvalue())).module()
    t_load = time.perf_counter() - t
    mod, comp = ep.module(), torch.compile(model)
    rows = []
    for mode in ("no_grad", "grad"):
        ctx = torch.no_grad if mode == "no_grad" else torch.enable_grad
        with ctx():
            for f in (mod, loaded, comp):
                f(x), f(x), f(x)  # warm: compile, trace, replay
            e, ld, c = _alternate([lambda: mod(x), lambda: loaded(x), lambda: comp(x)], number)
        rows.append([name, mode, fmt(e), fmt(ld), fmt(c), fmt(e / c), fmt(ld / c)])
    # a new batch size on the loaded program: XLA compiles it again; no Python forward runs
    calls = [0]
    orig = type(model).forward
    type(model).forward = lambda self, *a, **k: (calls.__setitem__(0, calls[0] + 1), orig(self, *a, **k))[1]
    try:
        with torch.no_grad():
            xn = torch.randn(*new_shape)
            t = time.perf_counter()
            loaded(xn)
            t_new = time.perf_counter() - t
            mod(xn)
    finally:
        type(model).forward = orig
    info = [name, f"{t_export * 1e3:.0f}", f"{t_save * 1e3:.0f}", f"{t_load * 1e3:.0f}",
            f"{len(buf.getvalue()) / 1e6:.2f}", f"{t_new * 1e3:.0f}", str(calls[0])]
    return rows, info


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="mlp,attn,cnn")
    ap.add_argument("--number", type=int, default=100)
    ap.add_argument("--clock", default="wall", choices=["wall", "cpu"],
                    help="cpu: process CPU time (less sensitive to other processes on a shared machine)")
    args = ap.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    makers = {"mlp": mlp, "attn": attn, "cnn": cnn}
    calls, infos = [], []
    for name in args.models.split(","):
        rows, info = run(name, makers[name], args.number)
        calls += rows
        infos.append(info)
    table("Call time per forward (us): ep.module(), a loaded program's module(), jtorch.compile(model)",
          ["model", "mode", "exported", "loaded", "compiled", "exported/compiled", "loaded/compiled"], calls)
    table("Export, save, load (ms), file size (MB); a new batch size on the loaded program",
          ["model", "export", "save", "load", "MB", "new-batch first call", "python traces"], infos)


if __name__ == "__main__":
    main()
