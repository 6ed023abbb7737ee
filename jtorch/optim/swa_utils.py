"""Matches `torch.optim.swa_utils`: weight averaging (SWA, EMA), `update_bn` and `SWALR`."""
from __future__ import annotations

import itertools
import math
from copy import deepcopy

from .. import nn
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from .lr_scheduler import LRScheduler, _per_group

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn",
           "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn"]


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] "
                         "range.")


def get_ema_avg_fn(decay=0.999):
    """Matches `torch.optim.swa_utils.get_ema_avg_fn`."""
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """Matches `torch.optim.swa_utils.get_swa_avg_fn`."""
    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


def get_ema_multi_avg_fn(decay=0.999):
    """Matches `torch.optim.swa_utils.get_ema_multi_avg_fn` (updates the lists in place)."""
    _check_decay(decay)

    def ema_update(ema_params, current_params, _):
        with no_grad():
            for e, c in zip(ema_params, current_params):
                if e.is_floating_point() or e.is_complex():
                    e.lerp_(c, 1 - decay)
                else:
                    e.copy_(e * decay + c * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn():
    """Matches `torch.optim.swa_utils.get_swa_multi_avg_fn` (updates the lists in place)."""
    def swa_update(averaged_params, current_params, num_averaged):
        with no_grad():
            for a, c in zip(averaged_params, current_params):
                if a.is_floating_point() or a.is_complex():
                    a.lerp_(c, float(1 / (num_averaged + 1)))
                else:
                    a.copy_(a + (c - a) / (num_averaged + 1))
    return swa_update


class AveragedModel(nn.Module):
    """Matches `torch.optim.swa_utils.AveragedModel`."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        from .. import int64, tensor
        self.register_buffer("n_averaged", tensor(0, dtype=int64))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model) -> None:
        """Matches `torch.optim.swa_utils.AveragedModel.update_parameters`."""
        if self.use_buffers:
            mine = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            theirs = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            mine, theirs = list(self.parameters()), list(model.parameters())
        mine = [p.detach() for p in mine]
        theirs = [p.detach() for p in theirs][:len(mine)]
        n = int(self.n_averaged)
        with no_grad():
            if n == 0:
                for a, c in zip(mine, theirs):
                    a.copy_(c)
            elif self.avg_fn is not None:
                for a, c in zip(mine, theirs):
                    a.copy_(self.avg_fn(a, c, self.n_averaged))
            else:
                (self.multi_avg_fn or _swa_default)(mine, theirs, self.n_averaged)
            if not self.use_buffers:
                for b, c in zip(self.module.buffers(), model.buffers()):
                    b.detach().copy_(c.detach())
            self.n_averaged.add_(1)


def _swa_default(averaged, current, num_averaged):
    # torch's CPU path: the plain running mean, one tensor at a time.
    avg = get_swa_avg_fn()
    for a, c in zip(averaged, current):
        a.copy_(avg(a, c, num_averaged))


def update_bn(loader, model, device=None) -> None:
    """Matches `torch.optim.swa_utils.update_bn`: recompute BatchNorm running statistics."""
    from ..nn.modules.batchnorm import _BatchNorm
    momenta = {}
    for m in model.modules():
        if isinstance(m, _BatchNorm):
            m.reset_running_stats()
            momenta[m] = m.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for m in momenta:
        m.momentum = None  # a cumulative average over the whole loader
    with no_grad():
        for x in loader:
            if isinstance(x, (list, tuple)):
                x = x[0]
            if device is not None and isinstance(x, Tensor):
                x = x.to(device)
            model(x)
    for m, momentum in momenta.items():
        m.momentum = momentum
    model.train(was_training)


def _cosine(t):
    return (1 - math.cos(math.pi * t)) / 2


def _linear(t):
    return t


class SWALR(LRScheduler):
    """Matches `torch.optim.swa_utils.SWALR`."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos",
                 last_epoch=-1):
        for lr, group in zip(_per_group("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    def _set_anneal_func(self, strategy):
        self._anneal_strategy = strategy
        self.anneal_func = _cosine if strategy == "cos" else _linear

    def get_lr(self):
        self._warn_outside_step()
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        span = max(1, self.anneal_epochs)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / span)))
        alpha = self.anneal_func(max(0, min(1, step / span)))
        out = []
        for g in self.optimizer.param_groups:
            # Undo the previous interpolation to recover the rate before annealing began.
            if prev_alpha == 1:
                start = g["swa_lr"]
            else:
                start = (g["lr"] - prev_alpha * g["swa_lr"]) / (1 - prev_alpha)
            out.append(g["swa_lr"] * alpha + start * (1 - alpha))
        return out

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
