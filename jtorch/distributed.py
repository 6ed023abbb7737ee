"""torch.distributed: jtorch runs in one process; no process group can be created.

`is_available()` is False, so programs that check it take their single-process path.
"""
from __future__ import annotations


def is_available() -> bool:
    """Matches `torch.distributed.is_available`: False in jtorch."""
    return False


def is_initialized() -> bool:
    """Matches `torch.distributed.is_initialized`: always False."""
    return False


def is_torchelastic_launched() -> bool:
    """Matches `torch.distributed.is_torchelastic_launched`."""
    return False


def _no_group(*args, **kwargs):
    raise RuntimeError("Default process group has not been initialized, please make sure to call "
                       "init_process_group. (jtorch has no torch.distributed backend; run in one "
                       "process.)")


get_rank = get_world_size = barrier = all_reduce = broadcast = all_gather = destroy_process_group = \
    _no_group


def init_process_group(*args, **kwargs):
    """`torch.distributed.init_process_group` is not supported by jtorch."""
    raise NotImplementedError("torch.distributed.init_process_group is not supported by jtorch "
                              "(single process only)")


class ReduceOp:
    """Matches `torch.distributed.ReduceOp` names."""
    SUM, PRODUCT, MIN, MAX, BAND, BOR, BXOR, AVG = "sum", "product", "min", "max", "band", "bor", \
        "bxor", "avg"
