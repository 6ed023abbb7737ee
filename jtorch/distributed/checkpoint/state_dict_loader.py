"""torch.distributed.checkpoint.state_dict_loader."""
from ._save_load import load  # noqa: F401
