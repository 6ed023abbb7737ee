"""Known torch names jtorch does not ship, and the error a user gets when calling one.

`jtorch.__getattr__` and `Tensor.__getattr__` fall back here, so a missing torch API raises
`UnsupportedError` (a NotImplementedError and AttributeError) naming it; unknown names still raise
AttributeError, as Python expects (`hasattr` keeps working for non-torch names).
"""
from __future__ import annotations

import os

_NAMES = os.path.join(os.path.dirname(__file__), "_torch_names.txt")


class UnsupportedError(NotImplementedError, AttributeError):
    """A torch API jtorch does not ship. Also an AttributeError so `hasattr`/`getattr(x, n, d)`
    keep working for feature probes."""


def unsupported(what: str):
    raise UnsupportedError(f"{what} is not supported by jtorch (a JAX-backed PyTorch shim). "
                           "Use a supported alternative or compute it with jax directly.")


_TORCH = None
_TENSOR = None


def _torch_names():
    """(torch names, Tensor attribute names) of torch 2.13, from `_torch_names.txt`."""
    global _TORCH, _TENSOR
    if _TORCH is None:
        try:
            with open(_NAMES) as f:
                lines = [ln.strip() for ln in f if ln.strip() and not ln.startswith("#")]
        except OSError:  # an install without the data file: plain AttributeErrors
            lines = []
        _TORCH = frozenset(ln[6:] for ln in lines if ln.startswith("torch."))
        _TENSOR = frozenset(ln[7:] for ln in lines if ln.startswith("Tensor."))
    return _TORCH, _TENSOR


def module_getattr(module: str, name: str):
    """`__getattr__` body for a jtorch namespace: UnsupportedError for torch's names."""
    torch_module = module.replace("jtorch", "torch", 1)
    if (name in _torch_names()[0]) if module == "jtorch" else not name.startswith("_"):
        unsupported(f"{torch_module}.{name}")
    raise AttributeError(f"module {module!r} has no attribute {name!r}")


def tensor_getattr(self, name: str):
    """`Tensor.__getattr__` fallback: UnsupportedError for Tensor attributes torch has."""
    _, tensor_names = _torch_names()
    if name in tensor_names:
        unsupported(f"torch.Tensor.{name}")
    raise AttributeError(f"'Tensor' object has no attribute '{name}'")
