"""`fully_shard` with one process per rank: parameters sharded on dim 0, gathered per forward.

As torch's FSDP2: each parameter a module manages becomes a DTensor parameter whose storage is a
process-spanning `jax.Array` laid out `Shard(0)` over the mesh (this process holds its rows
only); the optimizer, `clip_grad_norm_` and `state_dict()` see those DTensors (ops on them run
over the mesh as one SPMD program, reductions included). Before the module's forward its
parameters are all-gathered (one collective per dtype per module) into plain full-size leaves
that the forward uses; after it they are dropped; each leaf's gradient is reduce-scattered
(averaged) into its DTensor's `.grad` as soon as it is accumulated.

Every collective is one of `_programs`' (a program on the helper thread, bounded by the group's
timeout). Limits: a 1-D mesh; a parameter whose dim 0 does not divide by the mesh size stays
`Replicate()` (torch shards it unevenly; values and gradients are the same, its gradient is
all-reduced); compute stays in the parameters' dtype (`MixedPrecisionPolicy` accepted);
a `jtorch.compile`d step over such a model runs eagerly (the collectives run from hooks).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec as P

from ... import _tensor
from ...nn.parameter import Parameter
from .. import _programs
from ..distributed_c10d import ReduceOp, _state
from ..tensor._api import DTensor
from ..tensor.placement_types import Replicate, Shard


class _ShardedParameter(DTensor, Parameter):
    """A parameter managed by `fully_shard`: a DTensor and an `nn.Parameter` (torch's are both;
    its class name is torch's)."""


_ShardedParameter.__name__ = _ShardedParameter.__qualname__ = "DTensor"


class _Comm:
    """The mesh's devices, this rank's index among them and the group's timeout."""

    def __init__(self, mesh):
        if mesh.ndim != 1:
            raise NotImplementedError("jtorch: fully_shard with one process per rank takes a 1-D "
                                      "mesh (HSDP over a 2-D mesh is not supported)")
        self.mesh, self.n = mesh, mesh.size()
        self.devs = tuple(mesh._jax.devices.flat)
        self.me = [int(x) for x in mesh.mesh.flat].index(_state["world"].rank)
        self.timeout = _state["world"].timeout.total_seconds()

    def run(self, kind, x, what, arg=None):
        return _programs.wait(_programs.launch(kind, self.devs, self.me, x, arg), self.timeout,
                              lambda: f"fully_shard {what}")

    def sharded(self, p):
        return bool(p.ndim) and p.shape[0] % self.n == 0

    def to_global(self, local, shape, sharded):
        spec = P(self.mesh._axes[0]) if sharded else P()
        return jax.make_array_from_single_device_arrays(
            tuple(shape), NamedSharding(self.mesh._jax, spec), [local])


def shard(module, mesh):
    """Replace the parameters `module` manages (not those of an already sharded submodule) by
    DTensor parameters and hook its forward; each rank keeps its own rows of its own values (no
    broadcast, as torch: initialise the same on every rank)."""
    comm = _Comm(mesh)
    managed = []
    for mod in module.modules():
        for name, p in list(mod._parameters.items()):
            if p is None or isinstance(p, DTensor):  # (a submodule's own fully_shard has it)
                continue
            sh = comm.sharded(p)
            local = p._data
            if sh:
                k = p.shape[0] // comm.n
                local = local[comm.me * k:(comm.me + 1) * k]
            arr = comm.to_global(jax.device_put(local, comm.devs[comm.me]), p.shape, sh)
            sp = _ShardedParameter(_tensor.Tensor._from_array(arr), p.requires_grad)
            sp._mesh, sp._placements = mesh, (Shard(0) if sh else Replicate(),)
            mod._parameters[name] = sp
            managed.append((mod, name, sp))
    module._fsdp_params = managed
    module._fsdp_comm = comm
    module.register_forward_pre_hook(lambda m, args: unshard(m))
    # (always resharded after forward: the optimizer updates the shards, so a kept full copy
    # would be stale at the next forward; torch's reshard_after_forward=False only saves the
    # gather before backward, the values are the same)
    module.register_forward_hook(lambda m, args, out: reshard(m))


def unshard(module):
    """All-gather the module's sharded parameters into full leaves its forward uses."""
    comm = module._fsdp_comm
    if getattr(module, "_fsdp_full", False):
        return
    if any(isinstance(sp._data, jax.core.Tracer) for _, _, sp in module._fsdp_params):
        from ...compile_errors import UntraceableError
        raise UntraceableError("fully_shard with one process per rank gathers parameters and "
                               "scatters gradients from module hooks, outside a compiled "
                               "program; jtorch.compile runs this step eagerly")
    full = {}
    by_dtype = {}
    for i, (_, _, sp) in enumerate(module._fsdp_params):
        local = sp._data.addressable_data(0)
        if comm.sharded(sp):
            by_dtype.setdefault(local.dtype, []).append((i, local))
        else:
            full[i] = local
    for dt, items in by_dtype.items():
        buf = jnp.concatenate([a.reshape(-1) for _, a in items])
        rows = comm.run("all_gather", buf, "all_gather of parameters")  # (n, len(buf))
        at = 0
        for i, a in items:
            sp = module._fsdp_params[i][2]
            full[i] = rows[:, at:at + a.size].reshape(sp.shape)
            at += a.size
    for i, (mod, name, sp) in enumerate(module._fsdp_params):
        leaf = Parameter(_tensor.Tensor._from_array(full[i]), sp.requires_grad)
        if sp.requires_grad:
            leaf.register_post_accumulate_grad_hook(lambda t, sp=sp: _reduce_grad(comm, sp, t))
        mod._parameters[name] = leaf
    module._fsdp_full = True


def reshard(module):
    """Put the DTensor parameters back (the full leaves live on only in the autograd graph)."""
    for mod, name, sp in module._fsdp_params:
        mod._parameters[name] = sp
    module._fsdp_full = False


def _reduce_grad(comm, sp, leaf):
    g, leaf.grad = leaf.grad._data, None
    sharded = comm.sharded(sp)
    if sharded:
        part = comm.run("reduce_scatter", g.reshape(comm.n, -1), "reduce_scatter of gradients",
                        ReduceOp.SUM).reshape((sp.shape[0] // comm.n,) + tuple(sp.shape[1:]))
    else:
        part = comm.run("all_reduce", g, "all_reduce of gradients", ReduceOp.SUM).reshape(g.shape)
    part = part / np.asarray(comm.n, part.dtype)
    new = comm.to_global(part, sp.shape, sharded)
    if sp.grad is None:
        sp.grad = DTensor._make(new, comm.mesh, sp._placements)
    else:
        sp.grad._owner()._set_array(sp.grad._data + new)
