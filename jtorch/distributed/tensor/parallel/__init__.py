"""torch.distributed.tensor.parallel: tensor parallelism by laying out Linear/Embedding weights.

Single controller: `parallelize_module` shards each named submodule's parameter arrays over the
mesh (Colwise: weight rows and bias; Rowwise: weight columns) and XLA's partitioner inserts the
collectives torch's styles would (an all-reduce after a Rowwise layer). Inputs and outputs stay
plain Tensors; the `input_layouts`/`output_layouts`/`use_local_output` options are accepted.
With one process per rank (`init_process_group`), as torch: DTensor parameters and explicit
collectives around each module's forward (`_process_group.py`).
"""
from __future__ import annotations

from jax.sharding import NamedSharding, PartitionSpec as P

from ...device_mesh import _c10d
from .._api import _reshard


class ParallelStyle:
    """Matches `torch.distributed.tensor.parallel.ParallelStyle`."""
    _weight_dim = None

    def __init__(self, *, input_layouts=None, output_layouts=None, use_local_output=True):
        self.input_layouts, self.output_layouts = input_layouts, output_layouts
        self.use_local_output = use_local_output

    def _apply(self, module, mesh):
        if _c10d.is_initialized() and _c10d.get_world_size() > 1:
            if not isinstance(self, (ColwiseParallel, RowwiseParallel)):
                raise NotImplementedError(f"jtorch: {type(self).__name__} with one process per "
                                          "rank is not supported (ColwiseParallel and "
                                          "RowwiseParallel are)")
            from . import _process_group
            _process_group.apply(self, module, mesh, isinstance(self, ColwiseParallel))
            return
        axis = mesh._axes[0]
        for name, p in module.named_parameters(recurse=False):
            d = self._dim(module, name, p)
            spec = P(*([None] * d + [axis])) if d is not None and p.shape[d] % mesh.size() == 0 \
                else P()
            owner = p._owner()
            owner._set_array(_reshard(owner._data, NamedSharding(mesh._jax, spec)))


class ColwiseParallel(ParallelStyle):
    """Matches `ColwiseParallel`: Linear weight (out, in) and bias sharded on the output dim;
    Embedding weight sharded on the embedding dim."""

    def _dim(self, module, name, p):
        if type(module).__name__ == "Embedding":
            return 1
        return 0


class RowwiseParallel(ParallelStyle):
    """Matches `RowwiseParallel`: Linear weight sharded on the input dim, bias replicated;
    Embedding weight sharded on the vocabulary dim."""

    def _dim(self, module, name, p):
        if type(module).__name__ == "Embedding":
            return 0
        return 1 if name == "weight" else None


class SequenceParallel(ParallelStyle):
    """Matches `SequenceParallel` (accepted: norms' parameters stay replicated)."""

    def _dim(self, module, name, p):
        return None


def parallelize_module(module, device_mesh=None, parallelize_plan=None, *, src_data_rank=0):
    """Matches `torch.distributed.tensor.parallel.parallelize_module`."""
    if device_mesh is None or device_mesh.ndim != 1:
        raise ValueError("parallelize_module needs a 1-D device_mesh (slice a named dim: mesh['tp'])")
    if isinstance(parallelize_plan, ParallelStyle):
        parallelize_plan._apply(module, device_mesh)
        return module
    for path, style in (parallelize_plan or {}).items():
        hits = [m for n, m in module.named_modules() if _match(path, n)]
        if not hits:
            raise ValueError(f"parallelize_module: no submodule matches {path!r}")
        for m in hits:
            style._apply(m, device_mesh)
    return module


def _match(pattern, name):
    import fnmatch
    return fnmatch.fnmatchcase(name, pattern)
