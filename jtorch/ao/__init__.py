"""torch.ao: the quantization namespace's import surface (see `torch.ao.quantization`)."""
from . import quantization  # noqa: F401
