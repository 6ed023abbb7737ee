"""`jtorch.signal`: matches `torch.signal`."""
from . import windows as windows
