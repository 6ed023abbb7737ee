"""Matches `torch._library.custom_ops`: `CustomOpDef`, the object `torch.library.custom_op` returns."""
from __future__ import annotations

import functools

from .. import _ops

OPDEFS: dict[str, "CustomOpDef"] = {}


class CustomOpDef:
    """A custom op made from a Python function; calling it calls `torch.ops.<ns>.<name>.default`."""

    def __init__(self, namespace: str, name: str, schema: str, fn, lib):
        self._namespace, self._name = namespace, name
        self._qualname = f"{namespace}::{name}"
        self._init_fn = fn
        self._lib = lib  # keeps the registrations alive
        self._opoverload = _ops.lookup(self._qualname)
        self._schema = self._opoverload._schema
        functools.update_wrapper(self, fn)

    def __repr__(self):
        return f"<CustomOpDef({self._qualname})>"

    def __call__(self, *args, **kwargs):
        return self._opoverload(*args, **kwargs)

    def register_kernel(self, device_types, fn=None, /):
        """Matches `CustomOpDef.register_kernel`: a kernel for `device_types` ("cpu", "cuda", ...)."""
        def inner(fn):
            types = [device_types] if device_types is None or isinstance(device_types, str) else device_types
            for t in types:
                key = "CompositeExplicitAutograd" if t is None else _ops._DEVICE_KEYS.get(t, t.upper())
                _ops._KERNELS.setdefault(self._opoverload._key, {})[key] = fn
            return fn
        return inner(fn) if fn is not None else inner

    def register_fake(self, fn, /):
        _ops._FAKES[self._opoverload._key] = fn
        return fn

    def register_autograd(self, backward, /, *, setup_context=None):
        _ops._AUTOGRAD[self._opoverload._key] = (backward, setup_context)

    def register_torch_dispatch(self, torch_dispatch_class, fn=None, /):
        raise NotImplementedError("torch.library: register_torch_dispatch is not supported by jtorch "
                                  "(it has no __torch_dispatch__ subclasses)")

    def register_vmap(self, func=None, /):
        raise NotImplementedError("torch.library: register_vmap is not supported by jtorch; call "
                                  "torch.vmap on the op's jtorch implementation instead")

    def set_kernel_enabled(self, device_type: str, enabled: bool = True):
        raise NotImplementedError("torch.library: set_kernel_enabled is not supported by jtorch")
