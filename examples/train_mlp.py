"""Train a small classifier written in plain PyTorch style, run as one compiled XLA step.

    python examples/train_mlp.py [--steps 300] [--eager]

Only the import differs from a torch script: `import jtorch as torch`.
"""
from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np

import jtorch as torch
import jtorch.nn as nn
import jtorch.nn.functional as F


def make_spirals(n_per_class=512, classes=3, seed=0):
    """Interleaved spirals: a small task an MLP must work a little for."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c in range(classes):
        r = np.linspace(0.05, 1.0, n_per_class)
        t = np.linspace(c * 4.0, (c + 1) * 4.0, n_per_class) + rng.normal(0, 0.2, n_per_class)
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], 1))
        ys.append(np.full(n_per_class, c))
    x = np.concatenate(xs).astype(np.float32)
    y = np.concatenate(ys).astype(np.int64)
    perm = rng.permutation(len(x))
    return x[perm], y[perm]


class MLP(nn.Module):
    def __init__(self, d_in=2, hidden=128, classes=3):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d_in, hidden), nn.GELU(), nn.Linear(hidden, hidden),
                                 nn.GELU(), nn.Linear(hidden, classes))

    def forward(self, x):
        return self.net(x)


def progress(i, total, loss, t0, width=30):
    done = int(width * i / total)
    rate = i / max(time.perf_counter() - t0, 1e-9)
    sys.stdout.write(f"\r[{'#' * done}{'.' * (width - done)}] {i}/{total}  loss {loss:.4f}  "
                     f"{rate:.0f} steps/s")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--eager", action="store_true", help="run without jtorch.compile")
    args = ap.parse_args()

    torch.manual_seed(0)
    x_all, y_all = make_spirals()
    x_all, y_all = torch.tensor(x_all), torch.tensor(y_all)
    model = MLP()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.steps)

    def train_step(xb, yb):
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        return loss

    step = train_step if args.eager else torch.compile(train_step)
    n = x_all.shape[0]
    nb = n // args.batch
    print(f"jtorch {'eager' if args.eager else 'compiled'}: MLP on {n} spiral points, "
          f"{args.steps} steps of batch {args.batch}")
    t0 = time.perf_counter()
    first = None
    for i in range(args.steps):
        j = i % nb
        xb, yb = x_all[j * args.batch:(j + 1) * args.batch], y_all[j * args.batch:(j + 1) * args.batch]
        loss = step(xb, yb)
        if i == 1:
            first = time.perf_counter() - t0
        if i % 10 == 0 or i == args.steps - 1:
            progress(i + 1, args.steps, loss.item(), t0)
    total = time.perf_counter() - t0
    print()
    model.eval()
    with torch.no_grad():
        acc = (model(x_all).argmax(1) == y_all).float().mean().item()
    steady = (total - first) / max(args.steps - 2, 1)
    print(f"final loss {loss.item():.4f}  train accuracy {acc * 100:.1f}%  "
          f"lr {sched.get_last_lr()[0]:.2e}")
    print(f"time {total:.2f}s  (first two steps incl. compile {first:.2f}s, then "
          f"{steady * 1e3:.2f} ms/step)")
    if not math.isfinite(loss.item()):
        sys.exit("training diverged")


if __name__ == "__main__":
    main()
