"""`torch.jit.trace` results: an exported program with static shapes, run compiled."""
from __future__ import annotations

from .. import jit as _jit
from ..nn.modules.module import Module
from ._module import ExportedModule


class TracedModule(ExportedModule, _jit.ScriptModule):
    """What `torch.jit.trace(module, ...)` returns (torch's `TopLevelTracedModule`): the module's
    forward as one XLA program, specialised to the example inputs' shapes and dtypes as torch's
    trace is. `code`/`graph` show its StableHLO."""

    @property
    def code(self) -> str:
        return self._ep.to_stablehlo()

    graph = code

    def train(self, mode: bool = True):
        """Sets the flag only, as a TorchScript trace: the program keeps the traced mode."""
        return super(ExportedModule, self).train(mode)

    def eval(self):
        return self.train(False)

    @property
    def original_name(self) -> str:
        return self._ep._meta.get("original_name", "Module")

    def save(self, f, _extra_files=None):
        _jit.save(self, f, _extra_files)


class TracedFunction(_jit.ScriptFunction):
    """What `torch.jit.trace(function, ...)` returns: the function as one XLA program."""

    def __init__(self, mod, name):
        self._mod = mod
        self.__name__ = self.name = name

    def __call__(self, *args, **kwargs):
        return self._mod(*args, **kwargs)

    @property
    def code(self) -> str:
        return self._mod.code

    graph = code

    def save(self, f, _extra_files=None):
        _jit.save(self, f, _extra_files)


class _FunctionModule(Module):
    def __init__(self, fn):
        super().__init__()
        object.__setattr__(self, "_fn", fn)

    def forward(self, *args, **kwargs):
        return self._fn(*args, **kwargs)


def trace(func, example_inputs, example_kwarg_inputs=None):
    from ._api import export
    if example_inputs is None and example_kwarg_inputs is None:
        raise RuntimeError("torch.jit.trace needs example_inputs (a tensor or a tuple of them)")
    args = () if example_inputs is None else example_inputs
    if not isinstance(args, tuple):
        args = (args,)
    kwargs = dict(example_kwarg_inputs or {})
    # the leading (batch) dimension stays dynamic where the code allows it, so a traced model
    # takes other batch sizes as torch's trace usually does; everything else is static
    dyn = _batch_auto(args, kwargs)
    if isinstance(func, Module):
        ep = export(func, args, kwargs, dynamic_shapes=dyn)
        ep._meta["original_name"] = type(func).__name__
        return TracedModule(ep)
    if not callable(func):
        raise TypeError(f"torch.jit.trace expects a Module or a function, got {type(func).__name__}")
    ep = export(_FunctionModule(func), args, kwargs, dynamic_shapes=dyn)
    name = getattr(func, "__name__", "function")
    ep._meta["original_name"] = name
    ep._meta["function"] = True
    return TracedFunction(TracedModule(ep), name)


def from_program(ep):
    """A traced module or function for a loaded program (`torch.jit.load`)."""
    mod = TracedModule(ep)
    if ep._meta.get("function"):
        return TracedFunction(mod, ep._meta.get("original_name", "function"))
    return mod


def _batch_auto(args, kwargs):
    from .._tensor import Tensor
    from .dynamic_shapes import Dim

    def spec(v):
        if isinstance(v, Tensor):
            return {0: Dim.AUTO} if v.dim() else None
        if isinstance(v, (tuple, list)):
            return type(v)(spec(x) for x in v)
        if isinstance(v, dict):
            return {k: spec(x) for k, x in v.items()}
        return None
    return tuple(spec(a) for a in args) + tuple(spec(v) for v in kwargs.values())
