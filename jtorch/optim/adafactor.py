"""Adafactor: factored second moments for matrices (torch's variant, without momentum)."""
from __future__ import annotations

import jax.numpy as jnp

from .._tensor import Tensor
from .optimizer import Optimizer, cast, eval_closure, hyper, scalar_tensor, update_group

__all__ = ["Adafactor"]


def adafactor_update(p, g, s, h, o):
    """One parameter's Adafactor step: (param, grad, state, hyper, options) -> (param, state)."""
    maximize, has_wd, eps1 = o
    lr = h["lr"]
    if maximize:
        g = -g
    eps1 = jnp.finfo(p.dtype).eps if eps1 is None else eps1
    step = s["step"] + 1
    t = step.astype(jnp.float64)
    w = cast(t ** h["beta2_decay"], p)  # 1 - beta2_t
    rho = jnp.minimum(lr, 1 / t ** 0.5)
    rms_p = jnp.sqrt(jnp.sum(p * p)).astype(jnp.float64) / p.size ** 0.5
    alpha = jnp.maximum(h["eps2"], rms_p) * rho
    if has_wd:
        p = p * cast(1 - lr * h["weight_decay"], p)
    new = {"step": step}
    if p.ndim > 1:
        # Row and column means of g^2; their outer product over the row mean estimates it all.
        row = s["row_var"] + w * (jnp.sum(g * g, -1, keepdims=True) / g.shape[-1] - s["row_var"])
        col = s["col_var"] + w * (jnp.sum(g * g, -2, keepdims=True) / g.shape[-2] - s["col_var"])
        est = (row @ col) / jnp.maximum(jnp.mean(row, -2, keepdims=True), cast(eps1, p))
        new["row_var"], new["col_var"] = row, col
    else:
        var = s["variance"] + w * (g * g - s["variance"])
        est = var
        new["variance"] = var
    update = 1 / jnp.sqrt(jnp.maximum(est, cast(eps1 * eps1, p))) * g
    rms_u = jnp.sqrt(jnp.sum(update * update)).astype(jnp.float64) / (update.size ** 0.5 * h["d"])
    denom = jnp.maximum(1.0, rms_u)
    return p - cast(alpha / denom, p) * update, new


class Adafactor(Optimizer):
    """Matches `torch.optim.Adafactor`."""

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                        weight_decay=weight_decay, foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    def _init_state(self, p, group):
        if p.is_complex():
            raise RuntimeError("Adafactor does not support complex parameters")
        dt = p._data.dtype
        st = {"step": scalar_tensor(0.0)}
        if p.ndim > 1:
            st["row_var"] = Tensor._from_array(jnp.zeros(p.shape[:-1] + (1,), dt))
            st["col_var"] = Tensor._from_array(jnp.zeros(p.shape[:-2] + (1, p.shape[-1]), dt))
        else:
            st["variance"] = Tensor._from_array(jnp.zeros(p.shape, dt))
        return st

    def step(self, closure=None):
        """Matches `torch.optim.Adafactor.step`."""
        loss = eval_closure(closure)
        for group in self.param_groups:
            eps1, eps2 = group["eps"]
            h = {"lr": hyper(group["lr"]), "beta2_decay": hyper(group["beta2_decay"]),
                 "eps2": hyper(eps2), "d": hyper(group["d"]),
                 "weight_decay": hyper(group["weight_decay"])}
            o = (bool(group["maximize"]), group["weight_decay"] != 0,
                 None if eps1 is None else float(eps1))
            update_group(self, group, adafactor_update, self._init_state, h, o,
                         ("step", "row_var", "col_var", "variance"))
        return loss
