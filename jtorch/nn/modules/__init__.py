"""All layers. Each file here exports its public classes; this package gathers them.

Every non-private file in this folder is imported and its public classes (or `__all__`) are
re-exported, so a new layer file needs no edit here. A file that fails to import is reported
with a warning instead of breaking `import jtorch.nn`.
"""
from __future__ import annotations

import importlib as _importlib
import pkgutil as _pkgutil
import warnings as _warnings

from .module import Module  # noqa: F401
from .container import (Container, Identity, ModuleDict, ModuleList, ParameterDict,  # noqa: F401
                        ParameterList, Sequential)
from .flatten import Flatten, Unflatten  # noqa: F401

__all__ = ["Module", "Container", "Identity", "ModuleDict", "ModuleList", "ParameterDict", "ParameterList",
           "Sequential", "Flatten", "Unflatten"]


def _exports(mod):
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [k for k, v in vars(mod).items()
                 if not k.startswith("_") and isinstance(v, type) and v.__module__ == mod.__name__]
    return {k: getattr(mod, k) for k in names}


for _info in sorted(_pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name.startswith("_"):
        continue
    try:
        _mod = _importlib.import_module(f"{__name__}.{_info.name}")
    except Exception as _e:  # a layer file another engineer is still writing
        _warnings.warn(f"jtorch.nn.modules.{_info.name} failed to import: {_e!r}")
        continue
    for _k, _v in _exports(_mod).items():
        if _k not in globals():
            globals()[_k] = _v
            __all__.append(_k)
del _info
