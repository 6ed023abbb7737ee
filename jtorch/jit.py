"""torch.jit: TorchScript does not exist in jtorch; `script`/`trace` return their input.

The first call warns once. For compilation use `torch.compile`, which jtorch implements with
XLA. Saving or loading TorchScript archives raises.
"""
from __future__ import annotations

import typing
import warnings

_warned = False
Final = typing.Final


def _warn(what):
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(f"torch.jit.{what}: jtorch has no TorchScript; the object is returned "
                      "unchanged and runs eagerly (use torch.compile to compile it)", stacklevel=3)


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Matches `torch.jit.script` as a pass-through (warns once)."""
    _warn("script")
    return obj


def trace(func, example_inputs=None, *args, **kwargs):
    """Matches `torch.jit.trace` as a pass-through (warns once; `example_inputs` are not run)."""
    _warn("trace")
    return func


def trace_module(mod, inputs, *args, **kwargs):
    """Matches `torch.jit.trace_module` as a pass-through (warns once)."""
    _warn("trace_module")
    return mod


def ignore(drop=False, **kwargs):
    """Matches `torch.jit.ignore`."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn):
    """Matches `torch.jit.unused`."""
    return fn


def export(fn):
    """Matches `torch.jit.export`."""
    return fn


def interface(obj):
    """Matches `torch.jit.interface`."""
    return obj


def annotate(the_type, the_value):
    """Matches `torch.jit.annotate`."""
    return the_value


def is_scripting() -> bool:
    """Matches `torch.jit.is_scripting`: always False."""
    return False


def is_tracing() -> bool:
    """Matches `torch.jit.is_tracing`: always False."""
    return False


def _unsupported(name):
    def fn(*args, **kwargs):
        raise NotImplementedError(f"torch.jit.{name} is not supported by jtorch (no TorchScript "
                                  "archives); save a state_dict with torch.save instead")
    fn.__name__ = name
    return fn


save = _unsupported("save")
load = _unsupported("load")
freeze = _unsupported("freeze")
