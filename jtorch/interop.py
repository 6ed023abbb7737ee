"""JAX interop: Tensor <-> jax.Array without copies, DLPack, Tensor as a pytree, pure modules.

`Tensor` is registered as a JAX pytree node whose single leaf is its array, so `jax.jit`,
`jax.grad`, `jax.vmap` and `jax.tree_util` accept jtorch Tensors directly: inside, the
function sees Tensors wrapping tracers and its Tensor results come back as Tensors. Tensors
rebuilt from the pytree are plain (no autograd history, `requires_grad=False`).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from ._tensor import Tensor

__all__ = ["from_jax", "to_jax", "from_dlpack", "to_dlpack", "as_pure_function",
           "load_pure_params"]


def from_jax(array) -> Tensor:
    """A Tensor sharing `array`'s memory (jtorch-only; `torch.from_numpy`'s analogue for JAX)."""
    if isinstance(array, Tensor):
        return array
    if not isinstance(array, jax.Array):
        array = jnp.asarray(array)
    return Tensor._from_array(array)


def to_jax(tensor: Tensor) -> jax.Array:
    """The jax.Array behind `tensor`, without a copy (jtorch-only). Also `Tensor.jax()`."""
    return tensor._data


def from_dlpack(ext_tensor) -> Tensor:
    """Matches `torch.from_dlpack`: zero-copy from any object with `__dlpack__` (or a capsule)."""
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    if not hasattr(ext_tensor, "__dlpack__"):
        ext_tensor = _Capsule(ext_tensor)
    return Tensor._from_array(jax.dlpack.from_dlpack(ext_tensor))


class _Capsule:
    """A bare DLPack capsule (`to_dlpack`'s result) as the protocol object JAX reads.

    A capsule does not say where its memory is: it is taken to be on JAX's default backend,
    where jtorch's own `to_dlpack` capsules come from.
    """

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        d = jax.devices()[0]
        return (2, d.id) if d.platform == "gpu" else (1, 0)  # kDLCUDA or kDLCPU


def to_dlpack(tensor: Tensor):
    """Matches `torch.utils.dlpack.to_dlpack`: a DLPack capsule of the tensor's memory."""
    return tensor._data.__dlpack__()


def _dlpack(self, *, stream=None, max_version=None, dl_device=None, copy=None):
    kw = {"stream": stream}
    if max_version is not None:
        kw["max_version"] = max_version
    if dl_device is not None:
        kw["dl_device"] = dl_device
    if copy is not None:
        kw["copy"] = copy
    return self._data.__dlpack__(**kw)


def _dlpack_device(self):
    return self._data.__dlpack_device__()


Tensor.jax = to_jax
Tensor.__dlpack__ = _dlpack
Tensor.__dlpack_device__ = _dlpack_device

jax.tree_util.register_pytree_node(
    Tensor, lambda t: ((t._data,), None), lambda _, leaves: Tensor._from_array(leaves[0]))


# ---- modules as pure functions ------------------------------------------------------------

def as_pure_function(module):
    """Split a Module into `(apply, params, buffers)` for JAX code (jax.grad, optax, flax).

    `params` and `buffers` are dicts `{name: jax.Array}` (as `named_parameters()` and
    `named_buffers()` name them); `apply(params, buffers, *args, **kwargs)` runs the module's
    forward with those arrays in place of its tensors, takes and returns jax arrays (pytrees of
    them), and leaves the module itself unchanged (in-place buffer updates, like BatchNorm's
    running stats, are dropped). Use `load_pure_params` to write trained arrays back.
    """
    from .func import functional_call
    params = {k: p._data for k, p in module.named_parameters()}
    buffers = {k: b._data for k, b in module.named_buffers()}
    is_t = lambda x: isinstance(x, Tensor)  # noqa: E731

    def apply(params, buffers, *args, **kwargs):
        wrap = lambda x: Tensor._from_array(x) if isinstance(x, jax.Array) else x  # noqa: E731
        tensors = {k: Tensor._from_array(v) for k, v in {**buffers, **params}.items()}
        args, kwargs = jax.tree_util.tree_map(wrap, (args, kwargs), is_leaf=is_t)
        from .autograd.grad_mode import enable_grad
        with enable_grad():
            out = functional_call(module, tensors, args, kwargs)
        return jax.tree_util.tree_map(lambda x: x._data if is_t(x) else x, out, is_leaf=is_t)
    return apply, params, buffers


def load_pure_params(module, params, buffers=None) -> None:
    """Write arrays from `as_pure_function`'s dicts back into the module's parameters/buffers."""
    from .autograd.grad_mode import no_grad
    own = dict(module.named_parameters())
    own.update(module.named_buffers())
    with no_grad():
        for k, v in list(params.items()) + list((buffers or {}).items()):
            if k not in own:
                raise KeyError(f"load_pure_params: the module has no parameter or buffer '{k}'")
            own[k].copy_(from_jax(v))


def _register_subclasses():
    # register_pytree_node is per exact type: nn.Parameter and nn.Buffer need their own entry.
    try:
        from .nn.parameter import Buffer, Parameter
    except ImportError:
        return
    for cls in (Parameter, Buffer):
        if isinstance(cls, type) and issubclass(cls, Tensor):
            jax.tree_util.register_pytree_node(
                cls, lambda t: ((t._data,), None), lambda _, leaves: Tensor._from_array(leaves[0]))


_register_subclasses()
