"""torch._C.DispatchKey / DispatchKeySet / _ExcludeDispatchKeyGuard, as libraries use them.

jtorch has one dispatch point, not a key-ordered dispatcher; the only keys whose exclusion
changes what runs are the autocast ones: excluding them turns autocast off inside the guard.
"""
from __future__ import annotations

import contextlib
import enum

_NAMES = ("Undefined CompositeExplicitAutogradNonFunctional CompositeExplicitAutograd "
          "CompositeImplicitAutogradNestedTensor CompositeImplicitAutograd AutogradNestedTensor "
          "AutogradOther Autograd Conjugate ZeroTensor Negative BackendSelect Python "
          "PythonTLSSnapshot PythonDispatcher Functionalize ADInplaceOrView FuncTorchBatched "
          "FuncTorchDynamicLayerFrontMode FuncTorchDynamicLayerBackMode AutocastCPU AutocastCUDA "
          "AutocastXPU AutocastMPS AutocastHPU AutocastXLA AutocastPrivateUse1 CPU CUDA XLA MPS XPU "
          "Meta PrivateUse1 AutogradCPU AutogradCUDA AutogradXLA AutogradMeta AutogradPrivateUse1 "
          "Sparse SparseCPU SparseCUDA Dense Tracer").split()

DispatchKey = enum.IntEnum("DispatchKey", {n: i for i, n in enumerate(_NAMES)})
DispatchKey.__doc__ = "Matches `torch._C.DispatchKey` (the keys Python code names)."

_AUTOCAST = {k for k in DispatchKey if k.name.startswith("Autocast")}


class DispatchKeySet:
    """Matches `torch._C.DispatchKeySet`: a set of keys (`|`, `&`, `-`, `has`)."""

    def __init__(self, *keys):
        self._keys = frozenset(k for k in keys if isinstance(k, DispatchKey))

    def __or__(self, other):
        return _from(self._keys | other._keys)

    def __and__(self, other):
        return _from(self._keys & other._keys)

    def __sub__(self, other):
        return _from(self._keys - other._keys)

    def has(self, key) -> bool:
        return key in self._keys

    def empty(self) -> bool:
        return not self._keys

    def __eq__(self, other):
        return isinstance(other, DispatchKeySet) and self._keys == other._keys

    def __hash__(self):
        return hash(self._keys)

    def __repr__(self):
        return f"DispatchKeySet({', '.join(k.name for k in sorted(self._keys))})"


def _from(keys):
    s = DispatchKeySet()
    s._keys = frozenset(keys)
    return s


@contextlib.contextmanager
def _ExcludeDispatchKeyGuard(keyset: DispatchKeySet):
    """Matches `torch._C._ExcludeDispatchKeyGuard`: excluding autocast keys disables autocast."""
    if not (keyset._keys & _AUTOCAST):
        yield
        return
    from ..amp.autocast_mode import autocast
    with autocast("cpu", enabled=False), autocast("cuda", enabled=False):
        yield
