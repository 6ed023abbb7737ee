"""Gradient clipping. Matches `torch.nn.utils.clip_grad`.

Every path is the fused ("foreach") one: the norms and the rescaled gradients of all
parameters come out of one jitted function, so `foreach=` is accepted and ignored.
"""
from __future__ import annotations

import functools
import math
import warnings

import jax
import jax.numpy as jnp

from ... import _dtype as D
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad


def _as_list(tensors) -> list:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _vector_norm(x, p: float):
    x = jnp.abs(x.ravel())
    if p == math.inf:
        return jnp.max(x, initial=0)
    if p == -math.inf:
        return jnp.min(x)
    if p == 0:
        return jnp.sum(x != 0).astype(x.dtype)
    if p == 1:
        return jnp.sum(x)
    if p == 2:
        return jnp.sqrt(jnp.sum(x * x))
    return jnp.sum(x ** p) ** (1.0 / p)


@functools.partial(jax.jit, static_argnums=1)
def _total_norm(arrays, p):
    # torch takes each tensor's norm in its own dtype, then the norm of the stacked norms.
    dtype = jnp.result_type(*arrays)
    norms = jnp.stack([_vector_norm(a, p).astype(dtype) for a in arrays])
    return _vector_norm(norms, p)


@jax.jit
def _scale(arrays, max_norm, total):
    coef = jnp.minimum(max_norm / (total + 1e-6), 1.0)
    return [a * coef.astype(a.dtype) for a in arrays]


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> Tensor:
    """Matches `torch.nn.utils.get_total_norm`."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._from_array(jnp.zeros((), D.get_default_dtype().np))
    total = _total_norm([t._data for t in tensors], norm_type)
    if error_if_nonfinite and not bool(jnp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
            "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
            "norm anyway, set `error_if_nonfinite=False`")
    return Tensor._from_array(total)


def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor, foreach=None) -> None:
    """Matches `torch.nn.utils.clip_grads_with_norm_`."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    total = total_norm._data if isinstance(total_norm, Tensor) else jnp.asarray(total_norm)
    with no_grad():
        for g, new in zip(grads, _scale([g._data for g in grads], float(max_norm), total)):
            g._set_array(new)


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Matches `torch.nn.utils.clip_grad_norm_`."""
    parameters = _as_list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Matches `torch.nn.utils.clip_grad_norm` (deprecated alias of `clip_grad_norm_`)."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Matches `torch.nn.utils.clip_grad_value_`."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    with no_grad():
        for g, new in zip(grads, _clip_values([g._data for g in grads], float(clip_value))):
            g._set_array(new)


@jax.jit
def _clip_values(arrays, v):
    return [jnp.clip(a, -v.astype(a.dtype), v.astype(a.dtype)) for a in arrays]
