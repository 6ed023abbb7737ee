"""Per-op eager cost: jtorch vs a cached jitted single-op JAX call vs torch; fwd+bwd; mode switches.

Run: python benchmarks/bench_eager_ops.py
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


def _noop():
    return None


if __name__ == "__main__":
    forward_table()
    backward_table()
    mode_table()
