"""DataLoader throughput: batches/second of jtorch's DataLoader vs torch's (issue 6).

The same numpy-backed dataset (CIFAR-sized float32 images and int labels), batch 128.
Each number is the median over epochs of batches/epoch-time, jtorch and torch epochs
alternating; workers are persistent and warmed up by one epoch, so process start-up is not
counted (it is printed separately).

Run: python benchmarks/bench_dataloader.py [--samples N] [--epochs K]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import _util  # noqa: F401  (one intra-op thread)
from _util import fmt, table, try_torch

import jax
import numpy as np

import jtorch
import jtorch.utils.data

torch = try_torch()


class Images:
    """A numpy-backed map-style dataset; plain class, so both libraries load the same object."""

    def __init__(self, n):
        rng = np.random.default_rng(0)
        self.x = rng.standard_normal((n, 3, 32, 32), dtype=np.float32)
        self.y = rng.integers(0, 10, n)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def _tensor_dataset(lib, images):
    """The same data as each library's TensorDataset (in-memory tensors, the small-model case)."""
    return lib.utils.data.TensorDataset(lib.tensor(images.x), lib.tensor(images.y))


CONFIGS = [("num_workers=0", dict(num_workers=0)),
           ("num_workers=0, shuffle", dict(num_workers=0, shuffle=True)),
           ("num_workers=2", dict(num_workers=2, persistent_workers=True)),
           ("num_workers=2, shuffle, prefetch 4", dict(num_workers=2, persistent_workers=True,
                                                      shuffle=True, prefetch_factor=4)),
           ("TensorDataset, shuffle", dict(shuffle=True, dataset=_tensor_dataset))]


def _epoch(loader, sync):
    """(batches per wall second, main-process CPU ms per batch) of one epoch."""
    t, c = time.perf_counter(), time.process_time()
    n, last = 0, None
    for last in loader:
        n += 1
    sync(last)
    return n / (time.perf_counter() - t), (time.process_time() - c) / n * 1e3


def _start(lib, ds, kw, sync):
    t = time.perf_counter()
    kw = dict(kw)
    make = kw.pop("dataset", None)
    loader = lib.utils.data.DataLoader(make(lib, ds) if make else ds, batch_size=128, **kw)
    _epoch(loader, sync)  # warm-up: starts the workers, compiles the random permutation
    return loader, time.perf_counter() - t


def _stop(loader):
    it = getattr(loader, "_iterator", None)
    if it is not None:
        it._shutdown_workers()


def measure(ds, kw, epochs):
    """Median batches/s of each library; their epochs alternate so load swings hit both."""
    libs = [(jtorch, lambda b: jax.block_until_ready(b[0]._data))]
    if torch is not None:
        libs.append((torch, lambda b: None))
    started = [_start(lib, ds, kw, sync) for lib, sync in libs]
    rates = [[] for _ in libs]
    for _ in range(epochs):
        for (_, sync), (loader, _), r in zip(libs, started, rates):
            r.append(_epoch(loader, sync))
    for loader, _ in started:
        _stop(loader)
    out = [(statistics.median(b for b, _ in r), statistics.median(c for _, c in r), s)
           for r, (_, s) in zip(rates, started)]
    return out + [(None, None, None)] * (2 - len(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=128 * 40)
    ap.add_argument("--epochs", type=int, default=7)
    args = ap.parse_args()
    ds = Images(args.samples)
    rows = []
    for i, (name, kw) in enumerate(CONFIGS):
        print(f"[{i + 1}/{len(CONFIGS)}] {name} ...", file=sys.stderr, flush=True)
        (jt, jt_cpu, jt_start), (to, to_cpu, to_start) = measure(ds, kw, args.epochs)
        rows.append([name, fmt(jt), fmt(to), fmt(jt / to) if to else "-", fmt(jt_cpu), fmt(to_cpu),
                     fmt(jt_start), fmt(to_start)])
    table(f"DataLoader batches/s, batch 128 of 3x32x32 float32, {args.samples} samples "
          f"(median of {args.epochs} epochs; ratio = jtorch/torch b/s, higher is better; "
          "cpu = main-process CPU ms per batch, lower is better)",
          ["config", "jtorch b/s", "torch b/s", "ratio", "jtorch cpu", "torch cpu",
           "jtorch start s", "torch start s"], rows)


if __name__ == "__main__":
    main()
