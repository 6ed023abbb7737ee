"""torch.jit: TorchScript does not exist in jtorch; `script` returns its input (warns once).

`trace`/`trace_module` export the module (`torch.export`) with static shapes and run it as one
XLA program; `save`/`load` use jtorch's export format. TorchScript archives cannot be loaded.
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


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None,
          check_tolerance=1e-05, strict=True, _force_outplace=False, _module_class=None,
          _compilation_unit=None, example_kwarg_inputs=None, _store_inputs=True):
    """Matches `torch.jit.trace`: the module or function exported (`torch.export`) with the
    example inputs' static shapes, run as one compiled XLA program.

    Differences: Python control flow on tensor values raises at trace time (torch warns and
    records one branch); `check_trace` is not run; a function's closure tensors become constants.
    """
    from .export._traced import trace as _trace
    return _trace(func, example_inputs, example_kwarg_inputs)


def trace_module(mod, inputs, optimize=None, check_trace=True, check_inputs=None,
                 check_tolerance=1e-05, strict=True, _force_outplace=False, _module_class=None,
                 _compilation_unit=None, example_inputs_is_kwarg=False, _store_inputs=True):
    """Matches `torch.jit.trace_module` for `inputs={"forward": example_inputs}` (jtorch traces
    only forward)."""
    if not isinstance(inputs, dict):
        raise AttributeError("expected a dictionary of (method_name, input) pairs")
    others = [k for k in inputs if k != "forward"]
    if others:
        raise NotImplementedError(f"torch.jit.trace_module: jtorch traces only 'forward', not "
                                  f"{others}; trace those methods as functions")
    ex = inputs.get("forward", ())
    if example_inputs_is_kwarg:
        return trace(mod, example_kwarg_inputs=ex)
    return trace(mod, ex)


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


def save(m, f, _extra_files=None) -> None:
    """Matches `torch.jit.save` for `torch.jit.trace` results, in jtorch's export format
    (see `torch.export.save`); scripted modules cannot be saved (`script` returns them unchanged)."""
    from .export._traced import TracedFunction, TracedModule
    from .nn.modules.module import Module
    if isinstance(m, TracedFunction):
        m = m._mod
    if isinstance(m, TracedModule):
        from .export._format import save as _save
        _save(m._ep, f, extra_files=_extra_files, _kind="jit")
        return
    if isinstance(m, Module) or callable(m):
        raise RuntimeError(
            f"torch.jit.save: {type(m).__name__} is a plain Python {'module' if isinstance(m, Module) else 'function'}"
            ": jtorch has no TorchScript, so torch.jit.script returns its input unchanged and there "
            "is no program to save. Use torch.jit.trace(model, example_inputs) and save that, or "
            "torch.export.export + torch.export.save (dynamic shapes), or save the state_dict.")
    raise TypeError(f"torch.jit.save expects a traced module, got {type(m).__name__}")


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    """Matches `torch.jit.load` for files written by jtorch's `torch.jit.save` (or
    `torch.export.save`); TorchScript archives written by torch raise a clear RuntimeError.
    `_extra_files` values come back as bytes, as torch's."""
    from .export._format import read
    from .export._traced import from_program
    ep, _ = read(f, _extra_files)
    return from_program(ep)


freeze = _unsupported("freeze")


# ---- names libraries import beside script/trace --------------------------------------------

def script_if_tracing(fn):
    """Matches `torch.jit.script_if_tracing`: the function itself (jtorch never scripts)."""
    return fn


_script_if_tracing = script_if_tracing


def _overload(fn):
    """Matches `torch.jit._overload`: the declaration is kept and not callable as such."""
    return fn


def _overload_method(fn):
    """Matches `torch.jit._overload_method`."""
    return fn


def _unwrap_optional(x):
    """Matches `torch.jit._unwrap_optional`."""
    if x is None:
        raise AssertionError("Unwrapping null optional")
    return x


class ScriptModule:
    """Matches `torch.jit.ScriptModule` as a type: jtorch creates no instances of it."""

    def __init__(self, *args, **kwargs):
        raise RuntimeError("jtorch has no TorchScript: torch.jit.ScriptModule cannot be "
                           "created; use the nn.Module itself (or torch.compile)")


class RecursiveScriptModule(ScriptModule):
    """Matches `torch.jit.RecursiveScriptModule` as a type."""


class ScriptFunction:
    """Matches `torch.jit.ScriptFunction` as a type: jtorch creates no instances of it."""

    def __init__(self, *args, **kwargs):
        raise RuntimeError("jtorch has no TorchScript: torch.jit.ScriptFunction cannot be created")


TopLevelTracedModule = ScriptModule


def _make_annotations():
    # `torch.jit.annotations` re-exports typing's generics; registered as a submodule so
    # `from torch.jit.annotations import List` resolves.
    import sys
    import types as _types
    mod = _types.ModuleType(__name__ + ".annotations", "torch.jit.annotations: typing's generics.")
    for k in ("Any", "Dict", "List", "Optional", "Tuple", "Union", "Callable"):
        setattr(mod, k, getattr(typing, k))
    mod.BroadcastingList1 = mod.BroadcastingList2 = mod.BroadcastingList3 = typing.List
    sys.modules[mod.__name__] = mod
    return mod


annotations = _make_annotations()
