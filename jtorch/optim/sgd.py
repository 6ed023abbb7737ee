"""SGD with momentum, dampening, Nesterov, weight decay and maximize."""
from __future__ import annotations

from .optimizer import Optimizer, cast, eval_closure, hyper, required, update_group

__all__ = ["SGD"]


def sgd_update(p, g, s, h, o):
    """One parameter's SGD step: (param, grad, state, hyper, options) -> (param, state)."""
    nesterov, maximize, has_wd, has_momentum = o
    if maximize:
        g = -g
    if has_wd:
        g = g + cast(h["weight_decay"], p) * p
    if has_momentum:
        buf = s["momentum_buffer"]
        # The first step seeds the buffer with the gradient itself (no dampening).
        buf = g if buf is None else buf * cast(h["momentum"], p) + cast(1 - h["dampening"], p) * g
        g = g + cast(h["momentum"], p) * buf if nesterov else buf
        s = {"momentum_buffer": buf}
    return p - cast(h["lr"], p) * g, s


class SGD(Optimizer):
    """Matches `torch.optim.SGD`."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False, foreach=None, differentiable=False, fused=None):
        if lr is not required and not isinstance(lr, float) and hasattr(lr, "numel") \
                and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr is not required and lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Matches `torch.optim.SGD.step`."""
        loss = eval_closure(closure)
        for group in self.param_groups:
            momentum = group["momentum"]
            h = {k: hyper(group[k]) for k in ("lr", "momentum", "dampening", "weight_decay")}
            o = (bool(group["nesterov"]), bool(group["maximize"]),
                 group["weight_decay"] != 0, momentum != 0)
            keys = ("momentum_buffer",) if momentum != 0 else ()
            update_group(self, group, sgd_update, lambda p, g: {}, h, o, keys)
        return loss
