"""Muon: momentum followed by Newton-Schulz orthogonalization, for 2-D parameters."""
from __future__ import annotations

import math

import jax.numpy as jnp

from .._tensor import Tensor
from .optimizer import Optimizer, cast, eval_closure, hyper, lerp, update_group, zeros_like_state

__all__ = ["Muon"]


def _bf16_addmm(m, a, b, beta, alpha):
    # torch's CPU bf16 addmm accumulates in float32 and rounds once: do the same.
    f32 = jnp.float32
    out = beta * m.astype(f32) + alpha * (a.astype(f32) @ b.astype(f32))
    return out.astype(jnp.bfloat16)


def _orthogonalize(g, coeffs, steps, eps):
    """Newton-Schulz iterations towards the nearest semi-orthogonal matrix, in bfloat16."""
    a, b, c = coeffs
    x = g.astype(jnp.bfloat16)
    tall = g.shape[0] > g.shape[1]
    if tall:
        x = x.T
    norm = jnp.sqrt(jnp.sum(jnp.square(x.astype(jnp.float32)))).astype(jnp.bfloat16)
    norm = jnp.maximum(norm, jnp.asarray(eps, jnp.bfloat16))
    x = (x.astype(jnp.float32) / norm.astype(jnp.float32)).astype(jnp.bfloat16)
    for _ in range(steps):
        gram = (x.astype(jnp.float32) @ x.T.astype(jnp.float32)).astype(jnp.bfloat16)
        upd = _bf16_addmm(gram, gram, gram, b, c)
        x = _bf16_addmm(x, upd, x, a, 1.0)
    return x.T if tall else x


def _lr_ratio(adjust_lr_fn, shape):
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        return math.sqrt(max(1, rows / cols))
    if adjust_lr_fn == "match_rms_adamw":
        return 0.2 * math.sqrt(max(rows, cols))
    return 1.0


def muon_update(p, g, s, h, o):
    """One parameter's Muon step: (param, grad, state, hyper, options) -> (param, state)."""
    nesterov, coeffs, steps, eps, adjust_lr_fn = o
    buf = lerp(s["momentum_buffer"], g, cast(1 - h["momentum"], p))
    u = lerp(g, buf, cast(h["momentum"], p)) if nesterov else buf
    u = _orthogonalize(u, coeffs, steps, eps)
    lr = h["lr"]
    p = p * cast(1 - lr * h["weight_decay"], p)
    p = p - cast(lr * _lr_ratio(adjust_lr_fn, p.shape), p) * u.astype(p.dtype)
    return p, {"momentum_buffer": buf}


class Muon(Optimizer):
    """Matches `torch.optim.Muon` (2-D parameters only)."""

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(3.4445, -4.775, 2.0315), eps=1e-7, ns_steps=5,
                 adjust_lr_fn=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ("original", "match_rms_adamw"):
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps,
                        adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError("Muon only supports 2D parameters whereas we found a "
                                     f"parameter with size: {p.size()}")

    def _init_state(self, p, group):
        if p.is_complex():
            raise RuntimeError("Muon does not support complex parameters")
        return {"momentum_buffer": zeros_like_state(p)}

    def step(self, closure=None):
        """Matches `torch.optim.Muon.step`."""
        loss = eval_closure(closure)
        for group in self.param_groups:
            if group["ns_steps"] >= 100:
                raise ValueError("Number of steps must be less than 100 for computational "
                                 "efficiency")
            h = {k: hyper(group[k]) for k in ("lr", "weight_decay", "momentum")}
            o = (bool(group["nesterov"]), tuple(float(c) for c in group["ns_coefficients"]),
                 int(group["ns_steps"]), float(group["eps"]), group["adjust_lr_fn"])
            update_group(self, group, muon_update, self._init_state, h, o, ("momentum_buffer",))
        return loss
