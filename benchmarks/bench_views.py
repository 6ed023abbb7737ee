"""Writes through views: jtorch vs torch vs hand-written JAX (jit, donated buffer) (issue 3).

Run: python benchmarks/bench_views.py
"""
from __future__ import annotations

import _util  # noqa: F401  (one intra-op thread)
from _util import fmt, median_us, table, try_torch

import jax
import jax.numpy as jnp
import numpy as np

import jtorch

torch = try_torch()


def main():
    rows = []
    n = 1_000_000
    p0 = np.random.rand(n).astype(np.float32)
    g0 = np.random.rand(n).astype(np.float32)

    jp, jg = jtorch.tensor(p0, requires_grad=True), jtorch.tensor(g0)
    t_jt = median_us(lambda: jp.data.add_(jg, alpha=-0.01), number=50)
    ja, jga = jnp.asarray(p0), jnp.asarray(g0)
    upd = jax.jit(lambda p, g: p - 0.01 * g, donate_argnums=0)
    state = [ja]

    def raw():
        state[0] = upd(state[0], jga)
    t_jax = median_us(raw, number=50)
    t_to = None
    if torch is not None:
        tp, tg = torch.tensor(p0, requires_grad=True), torch.tensor(g0)
        t_to = median_us(lambda: tp.data.add_(tg, alpha=-0.01), number=50)
    rows.append(["p.data.add_(g, alpha=-lr), 1M", fmt(t_jt), fmt(t_jax), fmt(t_to),
                 fmt(t_jt / t_jax), fmt(t_jt / t_to) if t_to else "-"])

    x0 = np.random.rand(1024, 1024).astype(np.float32)
    v0 = np.random.rand(1024).astype(np.float32)
    jx, jv = jtorch.tensor(x0), jtorch.tensor(v0)

    def jt_set():
        jx[:, 3] = jv
    t_jt = median_us(jt_set, number=50)
    xs = [jnp.asarray(x0)]
    jvv = jnp.asarray(v0)
    setcol = jax.jit(lambda x, v: x.at[:, 3].set(v), donate_argnums=0)

    def raw_set():
        xs[0] = setcol(xs[0], jvv)
    t_jax = median_us(raw_set, number=50)
    t_to = None
    if torch is not None:
        tx, tv = torch.tensor(x0), torch.tensor(v0)

        def to_set():
            tx[:, 3] = tv
        t_to = median_us(to_set, number=50)
    rows.append(["x[:, 3] = v, 1024x1024", fmt(t_jt), fmt(t_jax), fmt(t_to),
                 fmt(t_jt / t_jax), fmt(t_jt / t_to) if t_to else "-"])

    # Reading a view whose base did not change must not recompute it.
    base = jtorch.tensor(x0)
    view = base.t()[3:]
    view.sum()
    t_read = median_us(lambda: view._data, number=1000)
    rows.append(["read cached view (no write since)", fmt(t_read), "-", "-", "-", "-"])
    table("Writes through views (median us per call)",
          ["case", "jtorch", "jax jit (donated)", "torch", "jtorch/jax", "jtorch/torch"], rows)


if __name__ == "__main__":
    main()
