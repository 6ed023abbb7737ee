"""Per-op eager cost: jtorch vs a cached jitted single-op JAX call vs torch; fwd+bwd; mode switches;
Module calls (the `Module.__call__` path, eager units off as by default).

Run: python benchmarks/bench_eager_ops.py [--tables forward,backward,modes,common,modules]
"""
from __future__ import annotations

import _util  # noqa: F401  (sets one intra-op thread before the libraries load)
from _util import fmt, median_us, table, try_torch

import jax
import jax.numpy as jnp
import numpy as np

import jtorch

torch = try_torch()

CASES = [
    ("add", (8,), lambda lib, a, b: a + b, jnp.add),
    ("mul", (8,), lambda lib, a, b: a * b, jnp.multiply),
    ("tanh", (8,), lambda lib, a, b: lib.tanh(a), lambda a, b: jnp.tanh(a)),
    ("sum", (8,), lambda lib, a, b: a.sum(), lambda a, b: jnp.sum(a)),
    ("add", (128, 128), lambda lib, a, b: a + b, jnp.add),
    ("mul", (128, 128), lambda lib, a, b: a * b, jnp.multiply),
    ("tanh", (128, 128), lambda lib, a, b: lib.tanh(a), lambda a, b: jnp.tanh(a)),
    ("sum", (128, 128), lambda lib, a, b: a.sum(), lambda a, b: jnp.sum(a)),
    ("matmul", (128, 128), lambda lib, a, b: a @ b, jnp.matmul),
]


# Issue 4's dozen common ops (eager forward), shape (64, 128).
COMMON = [
    ("add", lambda lib, a, b, i: a + b, lambda a, b, i: a + b),
    ("mul", lambda lib, a, b, i: a * b, lambda a, b, i: a * b),
    ("matmul", lambda lib, a, b, i: a @ b.T, lambda a, b, i: a @ b.T),
    ("sum", lambda lib, a, b, i: a.sum(1), lambda a, b, i: a.sum(1)),
    ("mean", lambda lib, a, b, i: a.mean(), lambda a, b, i: a.mean()),
    ("softmax", lambda lib, a, b, i: lib.softmax(a, dim=1), lambda a, b, i: jax.nn.softmax(a, axis=1)),
    ("layer-norm chain", lambda lib, a, b, i: (a - a.mean(1, keepdim=True)) / (a.var(1, keepdim=True) + 1e-5).sqrt(),
     lambda a, b, i: (a - a.mean(1, keepdims=True)) / jnp.sqrt(a.var(1, keepdims=True, ddof=1) + 1e-5)),
    ("index a[:, 3]", lambda lib, a, b, i: a[:, 3], lambda a, b, i: a[:, 3]),
    ("index a[i]", lambda lib, a, b, i: a[i], lambda a, b, i: a[i]),
    ("cat", lambda lib, a, b, i: lib.cat([a, b], 0), lambda a, b, i: jnp.concatenate([a, b], 0)),
    ("where", lambda lib, a, b, i: lib.where(a > 0.5, a, b), lambda a, b, i: jnp.where(a > 0.5, a, b)),
    ("gather", lambda lib, a, b, i: lib.gather(a, 1, i[:, None].expand(64, 4)),
     lambda a, b, i: jnp.take_along_axis(a, jnp.broadcast_to(i[:, None], (64, 4)), 1)),
]


def common_table():
    rows = []
    x = np.random.rand(64, 128).astype(np.float32)
    y = np.random.rand(64, 128).astype(np.float32)
    idx = np.random.randint(0, 64, 64).astype(np.int64)
    for name, f, jf in COMMON:
        ja, jb, ji = jnp.asarray(x), jnp.asarray(y), jnp.asarray(idx)
        jit_f = jax.jit(jf)
        t_jax = median_us(lambda: jit_f(ja, jb, ji))
        ta, tb, ti = jtorch.tensor(x), jtorch.tensor(y), jtorch.tensor(idx)
        t_jt = median_us(lambda: f(jtorch, ta, tb, ti))
        t_to = None
        if torch is not None:
            qa, qb, qi = torch.tensor(x), torch.tensor(y), torch.tensor(idx)
            t_to = median_us(lambda: f(torch, qa, qb, qi))
        rows.append([name, fmt(t_jt), fmt(t_jax), fmt(t_to), fmt(t_jt / t_jax),
                     fmt(t_jt / t_to) if t_to else "-"])
    table("Common ops, eager forward, (64, 128) float32 (median us per call)",
          ["op", "jtorch", "jax.jit", "torch", "jtorch/jax", "jtorch/torch"], rows)


def forward_table():
    rows = []
    for name, shape, f, jf in CASES:
        x = np.random.rand(*shape).astype(np.float32)
        y = np.random.rand(*shape).astype(np.float32)
        ja, jb = jnp.asarray(x), jnp.asarray(y)
        jit_f = jax.jit(jf)
        t_jax = median_us(lambda: jit_f(ja, jb))
        ta, tb = jtorch.tensor(x), jtorch.tensor(y)
        t_jt = median_us(lambda: f(jtorch, ta, tb))
        t_to = None
        if torch is not None:
            qa, qb = torch.tensor(x), torch.tensor(y)
            t_to = median_us(lambda: f(torch, qa, qb))
        rows.append([name, str(shape), fmt(t_jt), fmt(t_jax), fmt(t_to), fmt(t_jt / t_jax),
                     fmt(t_jt / t_to) if t_to else "-"])
    table("Eager forward, one op (median us per call)",
          ["op", "shape", "jtorch", "jax.jit", "torch", "jtorch/jax", "jtorch/torch"], rows)


def backward_table():
    rows = []
    for name, shape, f, _ in CASES:
        x = np.random.rand(*shape).astype(np.float32)
        y = np.random.rand(*shape).astype(np.float32)
        res = []
        for lib in [jtorch] + ([torch] if torch is not None else []):
            a = lib.tensor(x, requires_grad=True)
            b = lib.tensor(y, requires_grad=True)

            def step():
                out = f(lib, a, b)
                out.backward(lib.ones_like(out))
                a.grad = None
                b.grad = None
            res.append(median_us(step, number=100))
        t_to = res[1] if len(res) > 1 else None
        rows.append([name, str(shape), fmt(res[0]), fmt(t_to), fmt(res[0] / t_to) if t_to else "-"])
    table("Eager forward+backward, one op (median us per step)",
          ["op", "shape", "jtorch", "torch", "jtorch/torch"], rows)


def mode_table():
    def jt_nograd():
        with jtorch.no_grad():
            pass

    def jt_gm():
        jtorch.grad_mode(False, _noop)

    rows = [["no_grad enter+exit", fmt(median_us(jt_nograd, number=2000))],
            ["grad_mode(False, fn)", fmt(median_us(jt_gm, number=2000))],
            ["fn() alone", fmt(median_us(_noop, number=2000))]]
    t_to = None
    if torch is not None:
        def to_nograd():
            with torch.no_grad():
                pass
        t_to = median_us(to_nograd, number=2000)
        rows.append(["torch.no_grad enter+exit", fmt(t_to)])
        rows.append(["ratio jtorch no_grad / torch", fmt(float(rows[0][1]) / t_to)])
        rows.append(["ratio jtorch grad_mode / torch", fmt(float(rows[1][1]) / t_to)])
    table("Grad-mode switches (median us)", ["what", "us / ratio"], rows)


def module_table():
    """Module calls: what `Module.__call__` adds to the ops inside (Identity: nothing inside)."""
    rows = []
    x8 = np.random.rand(4, 8).astype(np.float32)
    for name, make, grad in (("Identity()", lambda lib: lib.nn.Identity(), True),
                             ("Linear(8, 8)", lambda lib: lib.nn.Linear(8, 8), True),
                             ("Linear(8, 8), no_grad", lambda lib: lib.nn.Linear(8, 8), False),
                             ("Sequential(Linear, ReLU, Linear)",
                              lambda lib: lib.nn.Sequential(lib.nn.Linear(8, 8), lib.nn.ReLU(),
                                                            lib.nn.Linear(8, 8)), True)):
        res = []
        for lib in [jtorch] + ([torch] if torch is not None else []):
            m, x = make(lib), lib.tensor(x8)
            with lib.set_grad_enabled(grad):
                res.append(median_us(lambda: m(x), number=500))
        t_to = res[1] if len(res) > 1 else None
        rows.append([name, fmt(res[0]), fmt(t_to), fmt(res[0] / t_to) if t_to else "-"])
    table("Module calls, (4, 8) float32 (median us per call)", ["module", "jtorch", "torch", "jtorch/torch"],
          rows)


def _noop():
    return None


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", default="forward,backward,modes,common,modules")
    tables = ap.parse_args().tables.split(",")
    for t in tables:
        {"forward": forward_table, "backward": backward_table, "modes": mode_table,
         "common": common_table, "modules": module_table}[t]()
