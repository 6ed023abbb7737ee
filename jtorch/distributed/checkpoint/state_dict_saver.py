"""torch.distributed.checkpoint.state_dict_saver."""
from ._save_load import save  # noqa: F401
