"""torch.distributed.fsdp (FSDP2): `fully_shard` for the single controller (see `_fully_shard.py`)."""
from ._fully_shard import FSDPModule, MixedPrecisionPolicy, fully_shard  # noqa: F401
from ._policies import CPUOffloadPolicy, FullyShardedDataParallel, OffloadPolicy  # noqa: F401
