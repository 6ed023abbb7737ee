"""torch.distributed.device_mesh: a DeviceMesh is a `jax.sharding.Mesh` with torch's API.

Two modes. With a process group (one process per rank, `init_process_group`), mesh entries are
ranks and each rank's device is its process's first device. Without one (single controller:
one process drives all its local devices, e.g. 8 GPUs or N CPU devices forced with
`XLA_FLAGS=--xla_force_host_platform_device_count=N`), mesh entries index `jax.local_devices()`
and this process acts as every rank at once (`get_rank()` is 0).
"""
from __future__ import annotations

import math

import jax
import numpy as np
from jax.sharding import Mesh

from . import distributed_c10d as _c10d


def _all_devices():
    w = _c10d._state["world"]
    return list(w.devices) if w is not None else list(jax.local_devices())


class DeviceMesh:
    """Matches `torch.distributed.device_mesh.DeviceMesh`."""

    def __init__(self, device_type: str, mesh, *, mesh_dim_names=None, _init_backend=True):
        self.device_type = device_type
        self.mesh = np.asarray(mesh.tolist() if hasattr(mesh, "tolist") else mesh, dtype=np.int64)
        names = tuple(mesh_dim_names) if mesh_dim_names is not None else None
        if names is not None and len(names) != self.mesh.ndim:
            raise RuntimeError(f"mesh_dim_names {names} must have one name per mesh dimension "
                               f"({self.mesh.ndim})")
        self.mesh_dim_names = names
        devs = _all_devices()
        if self.mesh.size and int(self.mesh.max()) >= len(devs):
            raise RuntimeError(f"DeviceMesh {self.mesh.tolist()} names rank {int(self.mesh.max())}"
                               f" but only {len(devs)} are available")
        axes = names if names is not None else tuple(f"dim{i}" for i in range(self.mesh.ndim))
        self._axes = axes
        self._jax = Mesh(np.array([devs[i] for i in self.mesh.reshape(-1)],
                                  dtype=object).reshape(self.mesh.shape), axes)

    @property
    def ndim(self) -> int:
        return self.mesh.ndim

    @property
    def shape(self) -> tuple:
        return tuple(self.mesh.shape)

    def size(self, mesh_dim: int | None = None) -> int:
        return self.mesh.size if mesh_dim is None else self.mesh.shape[mesh_dim]

    def get_rank(self) -> int:
        w = _c10d._state["world"]
        return w.rank if w is not None else 0

    def _coords(self):
        hit = np.argwhere(self.mesh == self.get_rank())
        return tuple(int(c) for c in hit[0]) if len(hit) else None

    def get_coordinate(self):
        c = self._coords()
        return list(c) if c is not None else None

    def get_local_rank(self, mesh_dim=None) -> int:
        d = self._dim(mesh_dim if mesh_dim is not None else 0)
        c = self._coords()
        return c[d] if c is not None else -1

    def _dim(self, d) -> int:
        if isinstance(d, str):
            if self.mesh_dim_names is None or d not in self.mesh_dim_names:
                raise KeyError(f"Mesh dimension '{d}' does not exist. Available mesh dimensions "
                               f"are: mesh_dim_names={self.mesh_dim_names}")
            return self.mesh_dim_names.index(d)
        return d

    def __getitem__(self, names) -> "DeviceMesh":
        names = (names,) if isinstance(names, str) else tuple(names)
        dims = [self._dim(n) for n in names]
        c = self._coords() or (0,) * self.ndim
        index = tuple(slice(None) if i in dims else c[i] for i in range(self.ndim))
        sub = self.mesh[index]
        order = sorted(range(len(dims)), key=lambda k: dims[k])
        if [dims[k] for k in order] != dims:
            sub = np.transpose(sub, [order.index(k) for k in range(len(dims))])
        return DeviceMesh(self.device_type, sub, mesh_dim_names=names)

    def get_group(self, mesh_dim=None):
        """The process group along `mesh_dim` (with a process group; ranks of that slice)."""
        sub = self[self._axes[self._dim(mesh_dim or 0)]] if self.ndim > 1 or mesh_dim else self
        return _c10d.new_group(sub.mesh.reshape(-1).tolist())

    def get_all_groups(self):
        return [self.get_group(i) for i in range(self.ndim)]

    def __eq__(self, other):
        return isinstance(other, DeviceMesh) and np.array_equal(self.mesh, other.mesh) and \
            self.mesh_dim_names == other.mesh_dim_names

    def __hash__(self):
        return hash((self.mesh.tobytes(), self.mesh.shape, self.mesh_dim_names))

    def __repr__(self):
        names = f", mesh_dim_names={self.mesh_dim_names}" if self.mesh_dim_names else ""
        return f"DeviceMesh('{self.device_type}', {self.mesh.tolist()}{names})"


def init_device_mesh(device_type: str, mesh_shape, *, mesh_dim_names=None, backend_override=None
                     ) -> DeviceMesh:
    """Matches `torch.distributed.device_mesh.init_device_mesh` (single controller without a
    process group: the mesh spans this process's local devices)."""
    mesh_shape = tuple(mesh_shape)
    n = len(_all_devices())
    if math.prod(mesh_shape) != n:
        hint = "" if _c10d.is_initialized() else (
            " (no process group: the mesh spans this process's local devices; force N CPU "
            "devices with XLA_FLAGS=--xla_force_host_platform_device_count=N)")
        raise RuntimeError(f"init_device_mesh: mesh shape {mesh_shape} needs "
                           f"{math.prod(mesh_shape)} devices, found {n}{hint}")
    return DeviceMesh(device_type, np.arange(n).reshape(mesh_shape), mesh_dim_names=mesh_dim_names)
