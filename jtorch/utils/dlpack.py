"""torch.utils.dlpack."""
from ..interop import from_dlpack, to_dlpack  # noqa: F401
