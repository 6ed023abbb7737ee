"""Adam (and, with decoupled weight decay, AdamW)."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import (Optimizer, cast, check_hparams, eval_closure, hyper, lerp, scalar_tensor,
                        update_group, zeros_like_state)

__all__ = ["Adam"]


def adam_update(p, g, s, h, o):
    """One parameter's Adam step: (param, grad, state, hyper, options) -> (param, state)."""
    amsgrad, maximize, has_wd, decoupled = o
    lr, beta1, beta2 = h["lr"], h["beta1"], h["beta2"]
    if maximize:
        g = -g
    if has_wd:
        if decoupled:
            p = p * cast(1 - lr * h["weight_decay"], p)
        else:
            g = g + cast(h["weight_decay"], p) * p
    step = s["step"] + 1
    exp_avg = lerp(s["exp_avg"], g, cast(1 - beta1, p))
    exp_avg_sq = s["exp_avg_sq"] * cast(beta2, p) + cast(1 - beta2, p) * g * g
    t = step.astype(jnp.float64)
    bc1, bc2 = 1 - beta1 ** t, 1 - beta2 ** t
    new = {"step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
    if amsgrad:
        new["max_exp_avg_sq"] = jnp.maximum(s["max_exp_avg_sq"], exp_avg_sq)
        denom = jnp.sqrt(new["max_exp_avg_sq"]) / cast(jnp.sqrt(bc2), p) + cast(h["eps"], p)
    else:
        denom = jnp.sqrt(exp_avg_sq) / cast(jnp.sqrt(bc2), p) + cast(h["eps"], p)
    return p - cast(lr / bc1, p) * (exp_avg / denom), new


class Adam(Optimizer):
    """Matches `torch.optim.Adam`."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        check_hparams(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        st = {"step": scalar_tensor(0.0), "exp_avg": zeros_like_state(p),
              "exp_avg_sq": zeros_like_state(p)}
        if group["amsgrad"]:
            st["max_exp_avg_sq"] = zeros_like_state(p)
        return st

    def step(self, closure=None):
        """Matches `torch.optim.Adam.step`."""
        loss = eval_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            h = {"lr": hyper(group["lr"]), "beta1": hyper(beta1), "beta2": hyper(beta2),
                 "eps": hyper(group["eps"]), "weight_decay": hyper(group["weight_decay"])}
            o = (bool(group["amsgrad"]), bool(group["maximize"]), group["weight_decay"] != 0,
                 bool(group["decoupled_weight_decay"]))
            keys = ("step", "exp_avg", "exp_avg_sq") + (
                ("max_exp_avg_sq",) if group["amsgrad"] else ())
            update_group(self, group, adam_update, self._init_state, h, o, keys)
        return loss
