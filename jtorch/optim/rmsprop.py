"""RMSprop (plain or centered, with optional momentum)."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import (Optimizer, cast, check_hparams, eval_closure, hyper, lerp, scalar_tensor,
                        update_group, zeros_like_state)

__all__ = ["RMSprop"]


def rmsprop_update(p, g, s, h, o):
    """One parameter's RMSprop step: (param, grad, state, hyper, options) -> (param, state)."""
    maximize, has_wd, centered, has_momentum = o
    alpha = h["alpha"]
    if maximize:
        g = -g
    if has_wd:
        g = g + cast(h["weight_decay"], p) * p
    new = {"step": s["step"] + 1}
    sq = s["square_avg"] * cast(alpha, p) + cast(1 - alpha, p) * g * g
    new["square_avg"] = sq
    if centered:
        gavg = lerp(s["grad_avg"], g, cast(1 - alpha, p))
        new["grad_avg"] = gavg
        avg = jnp.sqrt(sq - gavg * gavg)
    else:
        avg = jnp.sqrt(sq)
    avg = avg + cast(h["eps"], p)
    if has_momentum:
        buf = s["momentum_buffer"] * cast(h["momentum"], p) + g / avg
        new["momentum_buffer"] = buf
        return p - cast(h["lr"], p) * buf, new
    return p - cast(h["lr"], p) * (g / avg), new


class RMSprop(Optimizer):
    """Matches `torch.optim.RMSprop`."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        check_hparams(lr=lr, eps=eps, weight_decay=weight_decay, momentum=momentum, alpha=alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        st = {"step": scalar_tensor(0.0), "square_avg": zeros_like_state(p)}
        if group["momentum"] > 0:
            st["momentum_buffer"] = zeros_like_state(p)
        if group["centered"]:
            st["grad_avg"] = zeros_like_state(p)
        return st

    def step(self, closure=None):
        """Matches `torch.optim.RMSprop.step`."""
        loss = eval_closure(closure)
        for group in self.param_groups:
            h = {k: hyper(group[k]) for k in ("lr", "alpha", "eps", "weight_decay", "momentum")}
            o = (bool(group["maximize"]), group["weight_decay"] != 0, bool(group["centered"]),
                 group["momentum"] > 0)
            keys = ("step", "square_avg") + (("momentum_buffer",) if o[3] else ()) + (
                ("grad_avg",) if o[2] else ())
            update_group(self, group, rmsprop_update, self._init_state, h, o, keys)
        return loss
