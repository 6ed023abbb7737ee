"""torch.torch_version: `TorchVersion` and `__version__`."""
from .version import TorchVersion, __version__  # noqa: F401

Version = TorchVersion  # torch compares through packaging's Version; jtorch's compares itself
