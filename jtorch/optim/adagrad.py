"""Adagrad."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import (Optimizer, cast, check_hparams, eval_closure, hyper, scalar_tensor,
                        update_group, zeros_like_state)

__all__ = ["Adagrad"]


def adagrad_update(p, g, s, h, o):
    """One parameter's Adagrad step: (param, grad, state, hyper, options) -> (param, state)."""
    maximize, has_wd = o
    step = s["step"] + 1
    if maximize:
        g = -g
    if has_wd:
        g = g + cast(h["weight_decay"], p) * p
    clr = h["lr"] / (1 + (step.astype(jnp.float64) - 1) * h["lr_decay"])
    total = s["sum"] + g * g
    std = jnp.sqrt(total) + cast(h["eps"], p)
    return p - cast(clr, p) * (g / std), {"step": step, "sum": total}


class Adagrad(Optimizer):
    """Matches `torch.optim.Adagrad`. State is created in the constructor, as in torch."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_hparams(lr=lr, eps=eps, weight_decay=weight_decay, lr_decay=lr_decay,
                      initial_accumulator_value=initial_accumulator_value)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = self._init_state(p, group)

    def _init_state(self, p, group):
        return {"step": scalar_tensor(0.0),
                "sum": zeros_like_state(p, group["initial_accumulator_value"])}

    def step(self, closure=None):
        """Matches `torch.optim.Adagrad.step`."""
        loss = eval_closure(closure)
        for group in self.param_groups:
            h = {k: hyper(group[k]) for k in ("lr", "lr_decay", "eps", "weight_decay")}
            o = (bool(group["maximize"]), group["weight_decay"] != 0)
            update_group(self, group, adagrad_update, self._init_state, h, o, ("step", "sum"))
        return loss
