"""torch.distributed.elastic.multiprocessing (errors only)."""
from . import errors  # noqa: F401
