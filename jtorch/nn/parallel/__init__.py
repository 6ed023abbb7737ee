"""torch.nn.parallel: DataParallel (one device: calls its module) and DistributedDataParallel."""
from __future__ import annotations

from ..modules.module import Module
from .distributed import DistributedDataParallel  # noqa: F401


class DataParallel(Module):
    """Matches `torch.nn.DataParallel`: runs `module` on the current device unsplit.

    The wrapped module is `self.module`, so `state_dict()` keys carry torch's `module.` prefix.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        self.device_ids = list(device_ids) if device_ids is not None else []
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """Matches `torch.nn.parallel.data_parallel`."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    return module(*inputs, **(module_kwargs or {}))
