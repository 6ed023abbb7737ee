"""Cost of value checks inside compiled programs (issue 14 §3): a small GPT-style training step
(token embedding, 2 transformer blocks, cross_entropy over the vocabulary, AdamW) compiled with
the checks on (default: ids and targets come back from the program and are range-checked after
every call) and off (`jtorch.compiler.set_compiled_checks(False)`), side by side in one process.

Run: python benchmarks/bench_compiled_checks.py [--steps 30] [--rounds 5] [--batch 16]
"""
from __future__ import annotations

import _util  # noqa: F401  (one intra-op thread)
from _util import table

import argparse
import statistics
import time

import numpy as np

import jtorch as torch
import jtorch.nn as nn
import jtorch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, h, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x, mask):
        h = self.ln1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self, vocab=512, d=128, heads=4, layers=2, ctx=64):
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(ctx, d)
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.head = nn.Linear(d, vocab)
        self.register_buffer("mask", torch.triu(torch.ones(ctx, ctx, dtype=torch.bool), 1))

    def forward(self, ids):
        t = ids.shape[1]
        x = self.tok(ids) + self.pos(torch.arange(t))
        for b in self.blocks:
            x = b(x, self.mask[:t, :t])
        return self.head(x)


def make_step(checks, batch, ctx=64, vocab=512):
    torch.manual_seed(0)
    torch.compiler.set_compiled_checks(checks)
    model = GPT(vocab=vocab, ctx=ctx)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    ids = torch.tensor(rng.integers(0, vocab, (batch, ctx)))
    tgt = torch.tensor(rng.integers(0, vocab, (batch, ctx)))

    @torch.compile
    def step(ids, tgt):
        opt.zero_grad()
        loss = F.cross_entropy(model(ids).reshape(-1, vocab), tgt.reshape(-1))
        loss.backward()
        opt.step()
        return loss
    for _ in range(3):  # eager call, trace + compile, one warm call
        step(ids, tgt).item()
    torch.compiler.set_compiled_checks(True)
    return lambda: step(ids, tgt).item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batch", type=int, default=16)
    a = ap.parse_args()
    fns = {"checks on": make_step(True, a.batch), "checks off": make_step(False, a.batch)}
    times = {k: [] for k in fns}
    for _ in range(a.rounds):  # interleaved rounds: both see the same machine load
        for k, f in fns.items():
            t = time.perf_counter()
            for _ in range(a.steps):
                f()
            times[k].append((time.perf_counter() - t) / a.steps * 1e3)
    med = {k: statistics.median(v) for k, v in times.items()}
    rows = [[k, f"{med[k]:.2f}", f"{med[k] / med['checks off']:.3f}"] for k in fns]
    table(f"GPT step (batch {a.batch}, context 64, vocab 512), jtorch.compile, median of "
          f"{a.rounds} rounds x {a.steps} steps", ["variant", "ms/step", "ratio to off"], rows)


if __name__ == "__main__":
    main()
