"""torch.utils.tensorboard: SummaryWriter over the `tensorboard` package's event writer."""
try:
    import tensorboard  # noqa: F401
except ImportError as e:
    raise ImportError("TensorBoard logging requires TensorBoard version 1.15 or above") from e

from .writer import SummaryWriter  # noqa: E402,F401
