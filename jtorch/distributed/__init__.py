"""torch.distributed over JAX's distributed runtime (`jax.distributed`, XLA collectives).

`init_process_group` calls `jax.distributed.initialize`; each collective is a cached XLA program
over one device per rank (gloo on CPU, NCCL on GPU). Launch ranks with
`python -m jtorch.distributed.run` (torchrun's flags) or `torch.multiprocessing.spawn`.
"""
from __future__ import annotations

from .distributed_c10d import (Backend, GroupMember, ProcessGroup, ReduceOp,  # noqa: F401
                               destroy_process_group, get_backend, get_default_backend_for_device,
                               get_global_rank, get_group_rank, get_process_group_ranks, get_rank,
                               get_world_size, group, init_process_group, is_available,
                               is_gloo_available, is_initialized, is_mpi_available,
                               is_nccl_available, is_torchelastic_launched, new_group)
from ._collectives import (Work, all_gather, all_gather_into_tensor,  # noqa: F401
                           all_gather_object, all_reduce, barrier, broadcast,
                           broadcast_object_list, gather, gather_object, recv, reduce,
                           reduce_scatter_tensor, scatter, send)
from ._all_to_all import all_to_all, all_to_all_single  # noqa: F401,E402
from . import device_mesh, fsdp, tensor  # noqa: F401,E402
from .device_mesh import DeviceMesh, init_device_mesh  # noqa: F401,E402
