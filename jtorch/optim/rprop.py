"""Rprop: resilient backpropagation."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import (Optimizer, cast, check_hparams, eval_closure, hyper, scalar_tensor,
                        update_group, zeros_like_state)

__all__ = ["Rprop"]


def rprop_update(p, g, s, h, o):
    """One parameter's Rprop step: (param, grad, state, hyper, options) -> (param, state)."""
    (maximize,) = o
    if maximize:
        g = -g
    sign = jnp.sign(g * s["prev"])
    etaplus, etaminus = cast(h["etaplus"], p), cast(h["etaminus"], p)
    factor = jnp.where(sign > 0, etaplus, jnp.where(sign < 0, etaminus, jnp.ones((), p.dtype)))
    step_size = jnp.clip(s["step_size"] * factor, cast(h["step_size_min"], p),
                         cast(h["step_size_max"], p))
    # A sign flip means the last step overshot: skip this update and forget the gradient.
    g = jnp.where(factor == etaminus, jnp.zeros((), g.dtype), g)
    p = p - jnp.sign(g) * step_size
    return p, {"step": s["step"] + 1, "prev": g, "step_size": step_size}


class Rprop(Optimizer):
    """Matches `torch.optim.Rprop`."""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_hparams(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"step": scalar_tensor(0.0), "prev": zeros_like_state(p),
                "step_size": zeros_like_state(p, float(group["lr"]))}

    def step(self, closure=None):
        """Matches `torch.optim.Rprop.step`."""
        loss = eval_closure(closure)
        for group in self.param_groups:
            (etaminus, etaplus), (lo, hi) = group["etas"], group["step_sizes"]
            h = {"etaminus": hyper(etaminus), "etaplus": hyper(etaplus),
                 "step_size_min": hyper(lo), "step_size_max": hyper(hi)}
            o = (bool(group["maximize"]),)
            update_group(self, group, rprop_update, self._init_state, h, o,
                         ("step", "prev", "step_size"))
        return loss
