"""RAdam: Adam with a rectified adaptive learning rate."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import (Optimizer, cast, check_hparams, eval_closure, hyper, lerp, scalar_tensor,
                        update_group, zeros_like_state)

__all__ = ["RAdam"]


def radam_update(p, g, s, h, o):
    """One parameter's RAdam step: (param, grad, state, hyper, options) -> (param, state)."""
    maximize, has_wd, decoupled = o
    lr, beta1, beta2 = h["lr"], h["beta1"], h["beta2"]
    if maximize:
        g = -g
    step = s["step"] + 1
    t = step.astype(jnp.float64)
    if has_wd:
        if decoupled:
            p = p * cast(1 - lr * h["weight_decay"], p)
        else:
            g = g + cast(h["weight_decay"], p) * p
    exp_avg = lerp(s["exp_avg"], g, cast(1 - beta1, p))
    exp_avg_sq = s["exp_avg_sq"] * cast(beta2, p) + cast(1 - beta2, p) * g * g
    bc1, bc2 = 1 - beta1 ** t, 1 - beta2 ** t
    corrected = exp_avg / cast(bc1, p)
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * beta2 ** t / bc2
    # The rectification term is only defined (and used) once rho_t > 5.
    safe_rho = jnp.where(rho_t > 5.0, rho_t, 6.0)
    rect = jnp.sqrt((safe_rho - 4) * (safe_rho - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * safe_rho))
    adaptive = cast(jnp.sqrt(bc2), p) / (jnp.sqrt(exp_avg_sq) + cast(h["eps"], p))
    rectified = corrected * cast(lr, p) * adaptive * cast(rect, p)
    plain = corrected * cast(lr, p)
    p = p - jnp.where(rho_t > 5.0, rectified, plain)
    return p, {"step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}


class RAdam(Optimizer):
    """Matches `torch.optim.RAdam`."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        check_hparams(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"step": scalar_tensor(0.0), "exp_avg": zeros_like_state(p),
                "exp_avg_sq": zeros_like_state(p)}

    def step(self, closure=None):
        """Matches `torch.optim.RAdam.step`."""
        loss = eval_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            h = {"lr": hyper(group["lr"]), "beta1": hyper(beta1), "beta2": hyper(beta2),
                 "eps": hyper(group["eps"]), "weight_decay": hyper(group["weight_decay"])}
            o = (bool(group["maximize"]), group["weight_decay"] != 0,
                 bool(group["decoupled_weight_decay"]))
            update_group(self, group, radam_update, self._init_state, h, o,
                         ("step", "exp_avg", "exp_avg_sq"))
        return loss
