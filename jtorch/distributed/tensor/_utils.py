"""torch.distributed.tensor._utils: where a rank's shard of a DTensor lies (transformers imports it)."""
from __future__ import annotations

from .placement_types import Shard


def compute_local_shape_and_global_offset(global_shape, mesh, placements):
    """Matches torch's helper: (local shape, global offset) of this rank's shard. Shards are
    torch's chunks (ceil division; the last ones may be short or empty). A rank outside the
    mesh gets ((0,), ())."""
    coord = mesh.get_coordinate()
    if coord is None:
        return (0,), ()
    shape, offset = list(global_shape), [0] * len(global_shape)
    for mesh_dim, p in enumerate(placements):
        if isinstance(p, Shard):
            d = p.dim % len(shape)
            n, parts = shape[d], mesh.size(mesh_dim)
            chunk = -(-n // parts) if n else 0
            start = min(chunk * coord[mesh_dim], n)
            shape[d] = min(start + chunk, n) - start
            offset[d] += start
    return tuple(shape), tuple(offset)


def compute_global_tensor_info(tensor, mesh, placements):
    """Matches torch's helper: (global shape, global stride) of a local shard."""
    shape = list(tensor.shape)
    for mesh_dim, p in enumerate(placements):
        if isinstance(p, Shard):
            shape[p.dim % len(shape)] *= mesh.size(mesh_dim)
    stride, acc = [], 1
    for s in reversed(shape):
        stride.insert(0, acc)
        acc *= s
    return shape, stride
