"""Adamax: Adam with an infinity-norm second moment."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import (Optimizer, cast, check_hparams, eval_closure, hyper, lerp, scalar_tensor,
                        update_group, zeros_like_state)

__all__ = ["Adamax"]


def adamax_update(p, g, s, h, o):
    """One parameter's Adamax step: (param, grad, state, hyper, options) -> (param, state)."""
    maximize, has_wd = o
    if maximize:
        g = -g
    if has_wd:
        g = g + cast(h["weight_decay"], p) * p
    step = s["step"] + 1
    exp_avg = lerp(s["exp_avg"], g, cast(1 - h["beta1"], p))
    exp_inf = jnp.maximum(s["exp_inf"] * cast(h["beta2"], p), jnp.abs(g) + cast(h["eps"], p))
    clr = h["lr"] / (1 - h["beta1"] ** step.astype(jnp.float64))
    new = {"step": step, "exp_avg": exp_avg, "exp_inf": exp_inf}
    return p - cast(clr, p) * (exp_avg / exp_inf), new


class Adamax(Optimizer):
    """Matches `torch.optim.Adamax`."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        check_hparams(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"step": scalar_tensor(0.0), "exp_avg": zeros_like_state(p),
                "exp_inf": zeros_like_state(p)}

    def step(self, closure=None):
        """Matches `torch.optim.Adamax.step`."""
        loss = eval_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            h = {"lr": hyper(group["lr"]), "beta1": hyper(beta1), "beta2": hyper(beta2),
                 "eps": hyper(group["eps"]), "weight_decay": hyper(group["weight_decay"])}
            o = (bool(group["maximize"]), group["weight_decay"] != 0)
            update_group(self, group, adamax_update, self._init_state, h, o,
                         ("step", "exp_avg", "exp_inf"))
        return loss
