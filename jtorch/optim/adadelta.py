"""Adadelta."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import (Optimizer, cast, check_hparams, eval_closure, hyper, scalar_tensor,
                        update_group, zeros_like_state)

__all__ = ["Adadelta"]


def adadelta_update(p, g, s, h, o):
    """One parameter's Adadelta step: (param, grad, state, hyper, options) -> (param, state)."""
    maximize, has_wd = o
    rho, eps = cast(h["rho"], p), cast(h["eps"], p)
    if maximize:
        g = -g
    if has_wd:
        g = g + cast(h["weight_decay"], p) * p
    sq = s["square_avg"] * rho + cast(1 - h["rho"], p) * g * g
    std = jnp.sqrt(sq + eps)
    delta = jnp.sqrt(s["acc_delta"] + eps) / std * g
    acc = s["acc_delta"] * rho + cast(1 - h["rho"], p) * delta * delta
    new = {"step": s["step"] + 1, "square_avg": sq, "acc_delta": acc}
    return p - cast(h["lr"], p) * delta, new


class Adadelta(Optimizer):
    """Matches `torch.optim.Adadelta`."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        check_hparams(lr=lr, eps=eps, weight_decay=weight_decay)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        return {"step": scalar_tensor(0.0), "square_avg": zeros_like_state(p),
                "acc_delta": zeros_like_state(p)}

    def step(self, closure=None):
        """Matches `torch.optim.Adadelta.step`."""
        loss = eval_closure(closure)
        for group in self.param_groups:
            h = {k: hyper(group[k]) for k in ("lr", "rho", "eps", "weight_decay")}
            o = (bool(group["maximize"]), group["weight_decay"] != 0)
            update_group(self, group, adadelta_update, self._init_state, h, o,
                         ("step", "square_avg", "acc_delta"))
        return loss
