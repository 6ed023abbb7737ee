"""torch.distributed.tensor: DTensor over `jax.sharding.NamedSharding` (see `_api.py`)."""
from ._api import DTensor, distribute_module, distribute_tensor  # noqa: F401
from .placement_types import Partial, Placement, Replicate, Shard  # noqa: F401
from ..device_mesh import DeviceMesh, init_device_mesh  # noqa: F401
