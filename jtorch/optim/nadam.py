"""NAdam: Adam with Nesterov momentum (and optional decoupled weight decay)."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import (Optimizer, cast, check_hparams, eval_closure, hyper, lerp, scalar_tensor,
                        update_group, zeros_like_state)

__all__ = ["NAdam"]


def nadam_update(p, g, s, h, o):
    """One parameter's NAdam step: (param, grad, state, hyper, options) -> (param, state)."""
    maximize, has_wd, decoupled = o
    lr, beta1, beta2 = h["lr"], h["beta1"], h["beta2"]
    if maximize:
        g = -g
    step = s["step"] + 1
    t = step.astype(jnp.float64)
    bc2 = 1 - beta2 ** t
    if has_wd:
        if decoupled:
            p = p * cast(1 - lr * h["weight_decay"], p)
        else:
            g = g + cast(h["weight_decay"], p) * p
    mu = beta1 * (1 - 0.5 * 0.96 ** (t * h["momentum_decay"]))
    mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * h["momentum_decay"]))
    # torch keeps mu_product as a float32 (scalar dtype) tensor: multiply in that dtype.
    mu_product = s["mu_product"] * mu.astype(s["mu_product"].dtype)
    mp = mu_product.astype(jnp.float64)
    exp_avg = lerp(s["exp_avg"], g, cast(1 - beta1, p))
    exp_avg_sq = s["exp_avg_sq"] * cast(beta2, p) + cast(1 - beta2, p) * g * g
    denom = jnp.sqrt(exp_avg_sq / cast(bc2, p)) + cast(h["eps"], p)
    p = p + cast(-lr * (1 - mu) / (1 - mp), p) * (g / denom)
    p = p + cast(-lr * mu_next / (1 - mp * mu_next), p) * (exp_avg / denom)
    new = {"step": step, "mu_product": mu_product, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
    return p, new


class NAdam(Optimizer):
    """Matches `torch.optim.NAdam`."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        check_hparams(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay,
                      momentum_decay=momentum_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"step": scalar_tensor(0.0), "mu_product": scalar_tensor(1.0),
                "exp_avg": zeros_like_state(p), "exp_avg_sq": zeros_like_state(p)}

    def step(self, closure=None):
        """Matches `torch.optim.NAdam.step`."""
        loss = eval_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            h = {"lr": hyper(group["lr"]), "beta1": hyper(beta1), "beta2": hyper(beta2),
                 "eps": hyper(group["eps"]), "weight_decay": hyper(group["weight_decay"]),
                 "momentum_decay": hyper(group["momentum_decay"])}
            o = (bool(group["maximize"]), group["weight_decay"] != 0,
                 bool(group["decoupled_weight_decay"]))
            update_group(self, group, nadam_update, self._init_state, h, o,
                         ("step", "mu_product", "exp_avg", "exp_avg_sq"))
        return loss
