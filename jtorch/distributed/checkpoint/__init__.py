"""torch.distributed.checkpoint (DCP) basics: `save` / `load` of a state dict as a checkpoint
directory, and `state_dict`'s FQN-keyed model/optimizer state dicts. Layout and limits: see
`_save_load.py` (jtorch's own file formats under torch's file names)."""
from __future__ import annotations

from . import api, state_dict  # noqa: F401
from .api import CheckpointException  # noqa: F401
from ._save_load import FileSystemReader, FileSystemWriter, load, save  # noqa: F401

from . import state_dict_loader, state_dict_saver  # noqa: F401,E402
