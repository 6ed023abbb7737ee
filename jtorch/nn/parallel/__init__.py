"""torch.nn.parallel: one process, one device; DataParallel wraps and calls its module."""
from __future__ import annotations

from ..modules.module import Module


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


class DistributedDataParallel(Module):
    """Matches `torch.nn.parallel.DistributedDataParallel`: needs a process group, which jtorch lacks."""

    def __init__(self, module, *args, **kwargs):
        from ...distributed import _no_group
        _no_group()


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """Matches `torch.nn.parallel.data_parallel`."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    return module(*inputs, **(module_kwargs or {}))
