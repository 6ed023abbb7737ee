"""FSDP2's offload policies and FSDP1's class name, as torch.distributed.fsdp has them."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class OffloadPolicy:
    """Matches `torch.distributed.fsdp.OffloadPolicy` (no offloading)."""


@dataclass
class CPUOffloadPolicy(OffloadPolicy):
    """Matches `torch.distributed.fsdp.CPUOffloadPolicy`. On the CPU backend parameters already
    live in host memory, so offloading changes nothing; on an accelerator jtorch does not
    offload (fully_shard raises when given this policy there)."""

    pin_memory: bool = True


class FullyShardedDataParallel:
    """torch's FSDP1 wrapper. jtorch implements FSDP2 (`fully_shard`) only: constructing this
    raises, naming the replacement."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            "jtorch does not implement FSDP1 (torch.distributed.fsdp.FullyShardedDataParallel); "
            "use FSDP2: torch.distributed.fsdp.fully_shard(module, mesh=...)")
