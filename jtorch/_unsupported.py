"""Known torch names jtorch does not ship, and the error a user gets when calling one.

`jtorch.__getattr__` and `Tensor.__getattr__` fall back here, so a missing torch API raises
`UnsupportedError` (a NotImplementedError and AttributeError) naming it; unknown names still raise
AttributeError, as Python expects (`hasattr` keeps working for non-torch names).
"""
from __future__ import annotations

import os

_REF = "/work/shared/reference/torch-2.13-api"


class UnsupportedError(NotImplementedError, AttributeError):
    """A torch API jtorch does not ship. Also an AttributeError so `hasattr`/`getattr(x, n, d)`
    keep working for feature probes."""


def unsupported(what: str):
    raise UnsupportedError(f"{what} is not supported by jtorch (a JAX-backed PyTorch shim). "
                              "Use a supported alternative or compute it with jax directly.")


def _load(fname):
    try:
        with open(os.path.join(_REF, fname)) as f:
            return frozenset(ln.strip() for ln in f if ln.strip())
    except OSError:
        return frozenset()


# Categories of names jtorch skips on purpose (sparse, quantized, JIT internals, ...); these
# markers decide the wording only. Any torch name may reach the fallback.
_TORCH = None
_TENSOR = None


def _torch_names():
    global _TORCH, _TENSOR
    if _TORCH is None:
        _TORCH = _load("torch.txt") | _load("torch.constants.txt")
        _TENSOR = _load("torch.Tensor.txt") | _load("torch.Tensor.dunder.txt")
    return _TORCH, _TENSOR


def module_getattr(module: str, name: str, known: frozenset | None = None):
    """`__getattr__` body for a jtorch namespace: a NotImplementedError for torch names."""
    if not name.startswith("__"):
        torch_names, _ = _torch_names()
        if known is None and module == "jtorch":
            known = torch_names
        if known is None or name in known or not known:
            unsupported(f"torch.{name}" if module == "jtorch" else f"{module.replace('jtorch', 'torch')}.{name}")
    raise AttributeError(f"module {module!r} has no attribute {name!r}")


def tensor_getattr(self, name: str):
    """`Tensor.__getattr__` fallback: a NotImplementedError for Tensor attributes torch has."""
    _, tensor_names = _torch_names()
    if name in tensor_names:
        unsupported(f"torch.Tensor.{name}")
    raise AttributeError(f"'Tensor' object has no attribute '{name}'")
