"""torch.distributed._composable.fsdp: the same objects as torch.distributed.fsdp."""
from ...fsdp import (CPUOffloadPolicy, FSDPModule, MixedPrecisionPolicy,  # noqa: F401
                     OffloadPolicy, fully_shard)
