"""Shared timing helpers: medians of repeated runs, one process, ratios."""
from __future__ import annotations

import os
import statistics
import time

# One intra-op thread for every library, set before any of them is imported.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")


def median_us(fn, *, number=200, repeat=7, warmup=20):
    """Median over `repeat` rounds of the mean time of `number` calls, in microseconds."""
    for _ in range(warmup):
        fn()
    rounds = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        rounds.append((time.perf_counter() - t) / number * 1e6)
    return statistics.median(rounds)


def try_torch():
    try:
        import torch
        torch.set_num_threads(1)
        return torch
    except ImportError:
        return None


def table(title, header, rows):
    print(f"\n{title}")
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = "  ".join(str(h).ljust(w) for h, w in zip(header, widths))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))


def fmt(x):
    return "-" if x is None else f"{x:.2f}"
