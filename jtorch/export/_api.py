"""`torch.export.export`."""
from __future__ import annotations

import collections

from ..nn.modules.module import Module
from ._errors import UserError
from ._trace import export_module
from .exported_program import ExportedProgram


def export(mod, args, kwargs=None, *, dynamic_shapes=None, strict=False,
           preserve_module_call_signature=(), prefer_deferred_runtime_asserts_over_guards=False,
           platforms=None) -> ExportedProgram:
    """Matches `torch.export.export`: traces `mod.forward` once into a StableHLO program.

    `strict` is accepted and ignored (tracing is always non-strict: the forward runs as Python).
    The module's current mode is exported (BatchNorm in training mode updates its running
    statistics through the program, as torch's; Dropout draws from jtorch's generator).
    jtorch-only `platforms`: backends to lower for, e.g. `("cpu", "cuda", "tpu")` (default: the
    current one), so a CPU machine can produce a program for accelerators.
    """
    if not isinstance(mod, Module):
        raise ValueError(f"Expected `mod` to be an instance of `torch.nn.Module`, got {type(mod)}.")
    if not isinstance(args, tuple):
        raise UserError(f"Expecting `args` to be a tuple of example positional inputs, got {type(args)}")
    kwargs = dict(kwargs or {})
    if platforms is not None:
        platforms = tuple(platforms) if not isinstance(platforms, str) else (platforms,)
    exp, meta, state = export_module(mod, args, kwargs, dynamic_shapes, platforms)
    sd = collections.OrderedDict((n, t) for n, t, _, _ in state)
    return ExportedProgram(exp, meta, sd, (args, kwargs))
