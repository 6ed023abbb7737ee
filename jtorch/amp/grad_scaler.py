"""torch.amp.GradScaler: dynamic loss scaling; a pass-through when disabled.

The scale and growth tracker are 0-d tensors (as torch's), and the inf check, the skipped
step and the scale update are `jnp.where` selects when traced, so a whole AMP training step
compiles into one program under `jtorch.compile`.
"""
from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp


class GradScaler:
    """Matches `torch.amp.GradScaler`.

    As in PyTorch, asking for the 'cuda' device without a GPU warns and disables the scaler.
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True):
        self._device = device
        if enabled and device == "cuda":
            from .. import cuda
            if not cuda.is_available():
                warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  "
                              "Disabling.")
                enabled = False
        from .._tensor import Tensor
        self._enabled = enabled
        self._scale = Tensor._from_array(jnp.asarray(init_scale, jnp.float32))
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._growth_tracker = Tensor._from_array(jnp.asarray(0, jnp.int32))
        self._per_optimizer = {}

    def is_enabled(self) -> bool:
        return self._enabled

    def scale(self, outputs):
        """Multiply a tensor (or nested list/tuple/dict of tensors) by the scale factor."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        if isinstance(outputs, dict):
            return {k: self.scale(v) for k, v in outputs.items()}
        return outputs * self._scale

    def _grads(self, optimizer):
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    yield p

    def unscale_(self, optimizer) -> None:
        """Divide the optimizer's gradients by the scale in place and record non-finite values."""
        if not self._enabled:
            return
        st = self._per_optimizer.setdefault(id(optimizer), {"stage": "ready", "found_inf": False})
        if st["stage"] == "unscaled":
            raise RuntimeError("unscale_() has already been called on this optimizer since the "
                               "last update().")
        if st["stage"] == "stepped":
            raise RuntimeError("unscale_() is being called after step().")
        from ..autograd.grad_mode import no_grad
        inv = (1.0 / self._scale._data.astype(jnp.float64)).astype(jnp.float32)
        found = jnp.zeros((), bool)
        with no_grad():
            for p in self._grads(optimizer):
                g = p.grad
                new = g._data * inv.astype(g._data.dtype)
                found = found | ~jnp.isfinite(new).all()
                g._set_array(new)
        st["found_inf"] = found  # a 0-d bool array: no device sync here
        st["stage"] = "unscaled"

    def step(self, optimizer, *args, **kwargs):
        """Unscale if needed, then call `optimizer.step()` unless a gradient was inf/NaN."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        st = self._per_optimizer.setdefault(id(optimizer), {"stage": "ready", "found_inf": False})
        if st["stage"] == "stepped":
            raise RuntimeError("step() has already been called since the last update().")
        if st["stage"] == "ready":
            self.unscale_(optimizer)
        ret = None
        found = st["found_inf"]
        if isinstance(found, jax.core.Tracer):  # compiled: step, then keep the old values on inf
            ret = _step_unless(found, optimizer, args, kwargs)
        elif not bool(found):
            ret = optimizer.step(*args, **kwargs)
        st["stage"] = "stepped"
        return ret

    def update(self, new_scale=None) -> None:
        """Back off the scale after a non-finite gradient; grow it after `growth_interval` clean steps."""
        if not self._enabled:
            return
        if new_scale is not None:
            v = new_scale._data if hasattr(new_scale, "_data") else new_scale
            self._scale._set_array(jnp.asarray(v, jnp.float32).reshape(()))
        else:
            if not self._per_optimizer:
                raise AssertionError("No inf checks were recorded prior to update.")
            found = jnp.zeros((), bool)
            for st in self._per_optimizer.values():
                found = found | jnp.asarray(st["found_inf"], bool)
            scale, tracker = self._scale._data, self._growth_tracker._data
            grown = scale * self._growth_factor
            grow = tracker + 1 == self._growth_interval
            new_scale = jnp.where(found, scale * self._backoff_factor,
                                  jnp.where(grow & jnp.isfinite(grown), grown, scale))
            new_tracker = jnp.where(found | grow, 0, tracker + 1)
            self._scale._set_array(new_scale.astype(jnp.float32))
            self._growth_tracker._set_array(new_tracker.astype(jnp.int32))
        self._per_optimizer = {}

    def get_scale(self) -> float:
        return float(self._scale._data) if self._enabled else 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def state_dict(self) -> dict:
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": int(self._growth_tracker._data)}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if not state_dict:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        s = state_dict["scale"]
        self._scale._set_array(jnp.asarray(float(s.item() if hasattr(s, "item") else s), jnp.float32))
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._growth_tracker._set_array(jnp.asarray(int(state_dict["_growth_tracker"]), jnp.int32))


def _step_unless(found, optimizer, args, kwargs):
    """`optimizer.step()`, then every parameter and state tensor it changed keeps its old value
    where `found` (a traced inf/NaN flag) is set: the compiled form of a skipped step."""
    from .._tensor import Tensor
    tensors = [p for g in optimizer.param_groups for p in g["params"]]
    tensors += [v for s in optimizer.state.values() for v in s.values() if isinstance(v, Tensor)]
    old = [t._data for t in tensors]
    ret = optimizer.step(*args, **kwargs)
    for t, a in zip(tensors, old):
        new = t._data
        if new is not a:
            t._set_array(jnp.where(found, a, new))
    return ret
