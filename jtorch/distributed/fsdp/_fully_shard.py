"""`fully_shard` over a single-controller DeviceMesh: parameters' arrays sharded on dim 0.

Each parameter's storage becomes a `jax.Array` laid out `Shard(0)` over the mesh (replicated when
dim 0 does not divide), so every op that reads it runs under XLA's partitioner: the all-gather
before use and the reduce-scatter of its gradient are inserted by XLA (inside one program under
`jtorch.compile`), and optimizer state created from a parameter inherits its layout. Parameters
stay `nn.Parameter`s (torch makes them DTensors); `unshard()`/`reshard()` only change layouts.
With a process group (one process per rank) see `_process_group.py`: parameters become DTensors
as in torch, gathered per forward and their gradients reduce-scattered by collectives.
"""
from __future__ import annotations

from dataclasses import dataclass

from jax.sharding import NamedSharding, PartitionSpec as P

from ..device_mesh import _c10d, init_device_mesh
from ..tensor._api import _reshard
from . import _process_group


@dataclass(frozen=True)
class MixedPrecisionPolicy:
    """Matches `torch.distributed.fsdp.MixedPrecisionPolicy` (accepted; compute stays in the
    parameters' dtype)."""
    param_dtype: object = None
    reduce_dtype: object = None
    output_dtype: object = None
    cast_forward_inputs: bool = True


class FSDPModule:
    """Matches `torch.distributed.fsdp.FSDPModule`: mixed into a module by `fully_shard`."""

    def unshard(self, async_op: bool = False):
        if "_fsdp_comm" in self.__dict__:
            _process_group.unshard(self)
        else:
            _layout(self, lambda mesh, p: P())
        return None

    def reshard(self):
        if "_fsdp_comm" in self.__dict__:
            _process_group.reshard(self)
        else:
            _layout(self, _dim0)

    def set_requires_gradient_sync(self, requires_gradient_sync: bool, *, recurse: bool = True):
        pass

    def set_reshard_after_forward(self, reshard_after_forward: bool, recurse: bool = True):
        self._fsdp_reshard = reshard_after_forward


def _dim0(mesh, p):
    axis = mesh._axes[0] if mesh.ndim == 1 else tuple(mesh._axes)
    return P(axis) if p.ndim and p.shape[0] % mesh.size() == 0 else P()


def _layout(module, spec_of):
    mesh = module._fsdp_mesh
    for p in module.parameters():
        owner = p._owner()
        owner._set_array(_reshard(owner._data, NamedSharding(mesh._jax, spec_of(mesh, p))))


def fully_shard(module, *, mesh=None, reshard_after_forward=True, shard_placement_fn=None,
                mp_policy=MixedPrecisionPolicy(), offload_policy=None, ignored_params=None):
    """Matches `torch.distributed.fsdp.fully_shard` (see the module doc)."""
    multi = _c10d.is_initialized()
    if mesh is None:
        import jax
        n = _c10d.get_world_size() if multi else len(jax.local_devices())
        mesh = init_device_mesh("cpu", (n,))
    modules = module if isinstance(module, (list, tuple)) else [module]
    for m in modules:
        m._fsdp_mesh = mesh
        m._fsdp_reshard = reshard_after_forward
        if not isinstance(m, FSDPModule):
            cls = m.__class__
            m.__class__ = type(f"FSDP{cls.__name__}", (FSDPModule, cls), {})
        if multi:
            _process_group.shard(m, mesh)
        else:
            _layout(m, _dim0)
    return module
