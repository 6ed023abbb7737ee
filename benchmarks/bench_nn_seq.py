"""Eager forward+backward of sequence models: jtorch vs torch (1 intra-op thread each).

Models: an LSTM classifier (2 layers, T=32, B=8, 32 -> 64), a small causal transformer
(Embedding, LayerNorm, SDPA attention, GELU, tied head; 2 blocks, E=64, T=32, B=8) and one
nn.TransformerEncoderLayer (d_model=64, 4 heads, T=32, B=8). Prints microseconds per step
and the jtorch/torch ratio.

Run: python benchmarks/bench_nn_seq.py [--number 20]
"""
from __future__ import annotations

import _gpt
import _util  # noqa: F401  (one intra-op thread)
from _util import fmt, median_us, table, try_torch

import argparse
import functools

import numpy as np

import jtorch

torch = try_torch()


def lstm_step(lib):
    lib.manual_seed(0)
    m = lib.nn.LSTM(32, 64, num_layers=2, batch_first=True)
    head = lib.nn.Linear(64, 10)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((8, 32, 32)).astype("float32"))
    y = lib.tensor(rng.integers(0, 10, 8))
    params = list(m.parameters()) + list(head.parameters())

    def step():
        for p in params:
            p.grad = None
        out, _ = m(x)
        lib.nn.functional.cross_entropy(head(out[:, -1]), y).backward()
    return step


def gpt_step(lib, V=64, T=32, E=64, H=4):
    nn, F = lib.nn, lib.nn.functional

    Block = functools.partial(_gpt.block, lib, E, H)

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = nn.Embedding(V, E), nn.Embedding(T, E)
            self.blocks = nn.ModuleList([Block(), Block()])
            self.lnf, self.head = nn.LayerNorm(E), nn.Linear(E, V, bias=False)
            self.head.weight = self.tok.weight

        def forward(self, idx, tgt):
            x = self.tok(idx) + self.pos(lib.arange(idx.shape[1]))
            for b in self.blocks:
                x = b(x)
            return F.cross_entropy(self.head(self.lnf(x)).reshape(-1, V), tgt.reshape(-1))

    lib.manual_seed(0)
    m = GPT()
    rng = np.random.default_rng(0)
    data = lib.tensor(rng.integers(0, V, (8, T + 1)))
    x, y = data[:, :-1], data[:, 1:]

    def step():
        m.zero_grad()
        m(x, y).backward()
    return step


def encoder_layer_step(lib):
    lib.manual_seed(0)
    m = lib.nn.TransformerEncoderLayer(64, 4, 128, dropout=0.0, batch_first=True)
    x = lib.tensor(np.random.default_rng(0).standard_normal((8, 32, 64)).astype("float32"))
    mask = lib.nn.Transformer.generate_square_subsequent_mask(32)

    def step():
        m.zero_grad()
        m(x, src_mask=mask).pow(2).mean().backward()
    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--number", type=int, default=20)
    args = ap.parse_args()
    rows = []
    for name, make in [("LSTM 2x64", lstm_step), ("causal transformer", gpt_step),
                       ("TransformerEncoderLayer", encoder_layer_step)]:
        j = median_us(make(jtorch), number=args.number, repeat=5, warmup=3)
        t = median_us(make(torch), number=args.number, repeat=5, warmup=3) if torch else None
        rows.append([name, f"{j:.0f}", "-" if t is None else f"{t:.0f}",
                     fmt(None if t is None else j / t)])
    table("eager forward+backward, us per step", ["model", "jtorch", "torch", "ratio"], rows)


if __name__ == "__main__":
    main()
