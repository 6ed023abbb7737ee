"""skip_init. Matches `torch.nn.utils.init`."""
from __future__ import annotations

import inspect


def skip_init(module_cls, *args, **kwargs):
    """Matches `torch.nn.utils.skip_init`; jtorch runs the normal initialisation (values are
    unspecified in torch, so any values are valid)."""
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    return module_cls(*args, **kwargs)
