"""torch.distributed._composable: the older path of FSDP2 (`_composable.fsdp.fully_shard`)."""
from . import fsdp  # noqa: F401
