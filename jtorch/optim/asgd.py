"""ASGD: averaged stochastic gradient descent."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import (Optimizer, cast, check_hparams, eval_closure, hyper, scalar_tensor,
                        update_group, zeros_like_state)

__all__ = ["ASGD"]


def asgd_update(p, g, s, h, o):
    """One parameter's ASGD step: (param, grad, state, hyper, options) -> (param, state)."""
    maximize, has_wd = o
    lr, lambd = h["lr"], h["lambd"]
    if maximize:
        g = -g
    step = s["step"] + 1
    if has_wd:
        g = g + cast(h["weight_decay"], p) * p
    eta = s["eta"].astype(jnp.float64)
    p = p * cast(1 - lambd * eta, p) - cast(eta, p) * g
    mu = s["mu"]
    ax = jnp.where(mu != 1, s["ax"] + (p - s["ax"]) * mu.astype(p.dtype), p)
    t = step.astype(jnp.float64)
    # eta and mu are scalar-dtype tensors in torch; round the new values the same way.
    new_eta = (lr / (1 + lambd * lr * t) ** h["alpha"]).astype(s["eta"].dtype)
    new_mu = (1 / jnp.maximum(1.0, t - h["t0"])).astype(s["mu"].dtype)
    return p, {"step": step, "eta": new_eta, "mu": new_mu, "ax": ax}


class ASGD(Optimizer):
    """Matches `torch.optim.ASGD`."""

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        check_hparams(lr=lr, weight_decay=weight_decay)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"step": scalar_tensor(0.0), "eta": scalar_tensor(float(group["lr"])),
                "mu": scalar_tensor(1.0), "ax": zeros_like_state(p)}

    def step(self, closure=None):
        """Matches `torch.optim.ASGD.step`."""
        loss = eval_closure(closure)
        for group in self.param_groups:
            h = {k: hyper(group[k]) for k in ("lr", "lambd", "alpha", "t0", "weight_decay")}
            o = (bool(group["maximize"]), group["weight_decay"] != 0)
            update_group(self, group, asgd_update, self._init_state, h, o,
                         ("step", "eta", "mu", "ax"))
        return loss
