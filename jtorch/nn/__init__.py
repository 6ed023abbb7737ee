"""jtorch.nn: modules, parameters, functional, init and utils. Matches `torch.nn`."""

import importlib as _importlib
import os as _os

from .parameter import (Buffer, Parameter, UninitializedBuffer,  # noqa: F401
                        UninitializedParameter)
from . import modules  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import (Flatten, Identity, Module, ModuleDict, ModuleList,  # noqa: F401
                      ParameterDict, ParameterList, Sequential, Unflatten)



def factory_kwargs(kwargs):
    """Matches `torch.nn.factory_kwargs`: merge device/dtype/memory_format and `factory_kwargs`."""
    if kwargs is None:
        return {}
    simple = {"device", "dtype", "memory_format"}
    expected = simple | {"factory_kwargs"}
    if not kwargs.keys() <= expected:
        raise TypeError(f"unexpected kwargs {kwargs.keys() - expected}")
    r = dict(kwargs.get("factory_kwargs", {}))
    for k in simple:
        if k in kwargs:
            if k in r:
                raise TypeError(f"{k} specified twice, in **kwargs and in factory_kwargs")
            r[k] = kwargs[k]
    return r


_here = _os.path.dirname(__file__)
for _name in ("functional", "init", "utils", "parallel"):
    if _os.path.exists(_os.path.join(_here, _name + ".py")) or \
            _os.path.exists(_os.path.join(_here, _name, "__init__.py")):
        try:
            globals()[_name] = _importlib.import_module(f"{__name__}.{_name}")
        except Exception as _e:  # a part another engineer is still writing
            import warnings as _warnings
            _warnings.warn(f"jtorch.nn.{_name} failed to import: {_e!r}")
del _here, _name
if "parallel" in globals():
    from .parallel import DataParallel  # noqa: F401,E402
