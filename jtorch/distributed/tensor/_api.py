"""DTensor: a jtorch Tensor whose array is a `jax.Array` laid out by a `NamedSharding`.

Ops on a DTensor run through the normal dispatch; XLA's partitioner runs them sharded. They
return plain Tensors (over sharded arrays) rather than DTensors. Shard dims must divide evenly
by the mesh size; `Partial` placements are accepted by `from_local` only (reduced on use).
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec as P

from ..._tensor import Tensor
from ...overrides import _disabled_torch_function_impl
from ..device_mesh import DeviceMesh, _c10d
from .placement_types import Partial, Placement, Replicate, Shard


def _norm(placements, mesh, ndim):
    if placements is None:
        placements = [Replicate()] * mesh.ndim
    placements = tuple(placements)
    if len(placements) != mesh.ndim:
        raise ValueError(f"`placements` must have the same length as `device_mesh.ndim`! Found "
                         f"placements length: {len(placements)}, and device_mesh.ndim: {mesh.ndim}.")
    out = []
    for p in placements:
        if not isinstance(p, Placement):
            raise TypeError(f"placements must be Shard/Replicate/Partial, got {p!r}")
        if isinstance(p, Shard) and p.dim < 0:
            p = Shard(p.dim + ndim)
        out.append(p)
    return tuple(out)


def _sharding(mesh: DeviceMesh, placements, shape):
    spec = [[] for _ in shape]
    for axis, p in zip(mesh._axes, placements):
        if isinstance(p, Shard):
            if not 0 <= p.dim < len(shape):
                raise IndexError(f"Shard(dim={p.dim}) is out of range for a {len(shape)}-d tensor")
            spec[p.dim].append(axis)
    for d, axes in enumerate(spec):
        k = int(np.prod([mesh._jax.shape[a] for a in axes])) if axes else 1
        if shape[d] % k:
            raise NotImplementedError(f"jtorch: Shard(dim={d}) of size {shape[d]} over {k} ranks "
                                      "does not divide evenly; pad the tensor")
    return NamedSharding(mesh._jax, P(*[tuple(a) if len(a) > 1 else (a[0] if a else None)
                                        for a in spec]))


@functools.lru_cache(maxsize=256)
def _reshard_fn(sharding):
    return jax.jit(lambda a: a, out_shardings=sharding)


def _reshard(arr, sharding):
    # (one jit per target layout: a fresh jit per call compiled the copy again every time)
    return _reshard_fn(sharding)(arr)


def _my_device(mesh: DeviceMesh):
    c = mesh._coords()
    return mesh._jax.devices[c] if c is not None else None


class DTensor(Tensor):
    """Matches `torch.distributed.tensor.DTensor` (see the module docstring for the limits)."""

    __torch_function__ = _disabled_torch_function_impl  # as torch's DTensor

    @classmethod
    def _make(cls, arr, mesh, placements, requires_grad=False):
        t = cls._from_array(arr)
        t._mesh, t._placements = mesh, placements
        if requires_grad:
            t.requires_grad_(True)
        return t

    @property
    def device_mesh(self) -> DeviceMesh:
        return self._mesh

    @property
    def placements(self) -> tuple:
        return self._placements

    def detach(self) -> "DTensor":
        """A DTensor sharing this one's storage, outside autograd (torch's stays a DTensor)."""
        t = self._alias()
        t.__class__ = DTensor
        t._mesh, t._placements = self._mesh, self._placements
        return t

    def to_local(self, *, grad_placements=None) -> Tensor:
        """This rank's shard (single controller: the shard of mesh coordinate 0)."""
        dev = _my_device(self._mesh) or self._mesh._jax.devices.flat[0]
        for s in self._data.addressable_shards:
            if s.device == dev:
                return Tensor._from_array(jnp.asarray(np.asarray(s.data)))
        raise RuntimeError("to_local: this rank holds no shard of the DTensor")

    def full_tensor(self, *, grad_placements=None) -> Tensor:
        """The whole tensor, gathered onto every rank."""
        rep = NamedSharding(self._mesh._jax, P())
        out = _reshard(self._data, rep)
        return Tensor._from_array(jnp.asarray(np.asarray(out.addressable_data(0))))

    def redistribute(self, device_mesh=None, placements=None, *, async_op=False,
                     forward_dtype=None, backward_dtype=None) -> "DTensor":
        mesh = self._mesh if device_mesh is None else device_mesh
        pl = _norm(placements, mesh, self.ndim)
        if any(isinstance(p, Partial) for p in pl):
            raise NotImplementedError("jtorch: redistribute to Partial is not supported")
        return DTensor._make(_reshard(self._data, _sharding(mesh, pl, self.shape)), mesh, pl)

    @staticmethod
    def from_local(local_tensor, device_mesh=None, placements=None, *, run_check=False,
                   shape=None, stride=None) -> "DTensor":
        """Matches `DTensor.from_local`: every rank's `local_tensor` forms the global tensor."""
        mesh = device_mesh
        pl = _norm(placements, mesh, local_tensor.ndim)
        gshape = list(local_tensor.shape)
        for axis, p in zip(mesh._axes, pl):
            if isinstance(p, Shard):
                gshape[p.dim] *= mesh._jax.shape[axis]
        local = local_tensor._data
        partial_axes = [a for a, p in zip(mesh._axes, pl) if isinstance(p, Partial)]
        stack = [mesh._jax.shape[a] for a in partial_axes]
        # Partial terms ride on extra leading dims, one per Partial mesh dim, summed away below.
        full_pl = tuple(Replicate() if isinstance(p, Partial) else p for p in pl)
        sh = _sharding(mesh, full_pl, gshape)
        sh = NamedSharding(mesh._jax, P(*partial_axes, *sh.spec))
        shape = tuple(stack) + tuple(gshape)
        if _c10d.is_initialized():
            dev = _my_device(mesh)
            piece = jax.device_put(local.reshape((1,) * len(stack) + local.shape), dev)
            arr = jax.make_array_from_single_device_arrays(shape, sh, [piece])
        else:  # single controller: every rank holds the same local tensor
            host = np.asarray(local).reshape((1,) * len(stack) + local.shape)
            arr = jax.make_array_from_callback(shape, sh, lambda idx: host)
        if stack:
            out_sh = _sharding(mesh, full_pl, gshape)
            arr = jax.jit(lambda a: a.sum(axis=tuple(range(len(stack)))), out_shardings=out_sh)(arr)
            pl = full_pl
        return DTensor._make(arr, mesh, pl)

    def __repr__(self, *, tensor_contents=None):
        return (f"DTensor(local_tensor={self.to_local()!r}, device_mesh={self._mesh}, "
                f"placements={self._placements})")


def distribute_tensor(tensor, device_mesh=None, placements=None, *, src_data_rank=0) -> DTensor:
    """Matches `torch.distributed.tensor.distribute_tensor` (rank `src_data_rank`'s values)."""
    if device_mesh is None:
        raise ValueError("jtorch: distribute_tensor needs device_mesh")
    pl = _norm(placements, device_mesh, tensor.ndim)
    if any(isinstance(p, Partial) for p in pl):
        raise NotImplementedError("distribute_tensor with Partial placements is not supported")
    src = tensor.detach()
    if _c10d.is_initialized() and src_data_rank is not None and _c10d.get_world_size() > 1:
        from .. import _collectives
        src = src.clone()
        _collectives.broadcast(src, src=src_data_rank)
    host = np.asarray(src._data)
    sh = _sharding(device_mesh, pl, tuple(tensor.shape))
    arr = jax.make_array_from_callback(host.shape, sh, lambda idx: host[idx])
    return DTensor._make(arr, device_mesh, pl, requires_grad=tensor.requires_grad)


def distribute_module(module, device_mesh=None, partition_fn=None, input_fn=None, output_fn=None):
    """Matches `torch.distributed.tensor.distribute_module`; by default parameters and buffers
    become replicated over the mesh (their arrays are laid out on every device)."""
    def replicate_all(name, mod, mesh):
        for key, t in list(mod._parameters.items()) + list(mod._buffers.items()):
            if t is not None and not isinstance(t, DTensor):
                owner = t._owner()
                owner._set_array(_reshard(owner._data, NamedSharding(mesh._jax, P())))
    for name, mod in module.named_modules():
        (partition_fn or replicate_all)(name, mod, device_mesh)
    if input_fn is not None:
        module.register_forward_pre_hook(lambda m, args: input_fn(m, args, device_mesh))
    if output_fn is not None:
        module.register_forward_hook(lambda m, args, out: output_fn(m, out, device_mesh))
    return module
