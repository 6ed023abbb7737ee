"""torch.distributed.constants: default process-group timeouts."""
from datetime import timedelta

from .distributed_c10d import _DEFAULT_TIMEOUT as _DEFAULT_PG_TIMEOUT

default_pg_timeout: timedelta = _DEFAULT_PG_TIMEOUT
default_pg_nccl_timeout = None  # jtorch has no NCCL backend (torch: None without CUDA)
