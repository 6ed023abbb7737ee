"""Eager optimizer.step() time: jtorch (one jitted call per parameter group) vs torch.

Parameters: 8 matrices 256x256 and 8 vectors of 256 (about 0.5M floats), float32, fixed
gradients; the learning rate changes every step (as under a scheduler), which must not
recompile. Prints microseconds per step and the jtorch/torch ratio.

Run: python benchmarks/bench_optim.py [--number 50]
"""
from __future__ import annotations

import _util  # noqa: F401  (one intra-op thread)
from _util import fmt, median_us, table, try_torch

import argparse

import numpy as np

import jtorch

torch = try_torch()

CASES = [("SGD", dict(lr=0.01, momentum=0.9, nesterov=True)), ("Adam", dict(lr=1e-3)),
         ("AdamW", dict(lr=1e-3, amsgrad=True)), ("RMSprop", dict(lr=1e-3, centered=True)),
         ("Adagrad", dict(lr=1e-2)), ("NAdam", dict(lr=1e-3)), ("Adafactor", dict(lr=1e-2))]


def step_fn(lib, name, kwargs):
    rng = np.random.default_rng(0)
    shapes = [(256, 256)] * 8 + [(256,)] * 8
    params = [lib.tensor(rng.standard_normal(s).astype("float32"), requires_grad=True)
              for s in shapes]
    for p in params:
        p.grad = lib.tensor(rng.standard_normal(tuple(p.shape)).astype("float32"))
    opt = getattr(lib.optim, name)(params, **kwargs)
    lr0 = kwargs["lr"]
    count = [0]

    def step():
        count[0] += 1
        opt.param_groups[0]["lr"] = lr0 / (1 + 0.001 * count[0])
        opt.step()
        if lib is jtorch:
            params[0]._data.block_until_ready()
    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--number", type=int, default=50)
    args = ap.parse_args()
    rows = []
    for i, (name, kwargs) in enumerate(CASES, 1):
        print(f"[{i}/{len(CASES)}] {name} ...", flush=True)
        j = median_us(step_fn(jtorch, name, kwargs), number=args.number, repeat=5, warmup=5)
        t = (median_us(step_fn(torch, name, kwargs), number=args.number, repeat=5, warmup=5)
             if torch is not None and hasattr(torch.optim, name) else None)
        rows.append([name, fmt(j), fmt(t), fmt(j / t if t else None)])
    table("optimizer.step() on 0.5M float32 parameters (us/step, median)",
          ["optimizer", "jtorch", "torch", "jtorch/torch"], rows)


if __name__ == "__main__":
    main()
