"""Export-time errors, named as torch's (`torch._dynamo.exc.UserError`,
`torch.fx.experimental.symbolic_shapes.GuardOnDataDependentSymNode`), and the user's line."""
from __future__ import annotations

import os
import traceback

_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class UserError(RuntimeError):
    """Matches `torch._dynamo.exc.UserError`: a dynamic-shapes spec the model's code violates."""


class GuardOnDataDependentSymNode(RuntimeError):
    """Matches torch's error for Python control flow on a tensor's value at export time."""


def user_line(err) -> str:
    """`file:line (code)` of the innermost frame of `err` outside jtorch and jax."""
    for fr in reversed(traceback.extract_tb(err.__traceback__)):
        f = os.path.abspath(fr.filename)
        if not f.startswith(_PKG) and f"{os.sep}jax{os.sep}" not in f and \
                f"{os.sep}jaxlib{os.sep}" not in f and "contextlib" not in f:
            return f"{fr.filename}:{fr.lineno} ({(fr.line or '').strip()})"
    return "unknown location"
