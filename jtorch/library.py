"""Matches `torch.library`: define operators in Python and register their kernels, fake (meta)
kernels and autograd formulas; they are called as `torch.ops.<ns>.<name>`.

Kernels are Python functions over jtorch Tensors, so they run eagerly, under autograd and
under `jtorch.compile` like any jtorch code. Dispatch keys: `CPU`/`CUDA` (by the inputs'
device), `CompositeExplicitAutograd` (every device), `CompositeImplicitAutograd` (the default;
gradients come from the kernel's own ops), `Autograd*` (the kernel handles gradients), `Meta`
(the fake kernel). Other keys are stored and never chosen.
"""
from __future__ import annotations

import warnings
import weakref

from . import _ops
from ._library.custom_ops import OPDEFS, CustomOpDef
from ._library.schema import Schema, infer_schema

__all__ = ["Library", "define", "impl", "impl_abstract", "register_fake", "register_autograd",
           "register_kernel", "custom_op", "infer_schema", "get_ctx", "opcheck", "fallthrough_kernel"]

_DEF_NAMESPACES: set = {"aten", "prims"}  # namespaces owned by a "DEF" Library


def fallthrough_kernel():
    """A dummy kernel that `Library.impl` accepts for fallthrough registrations (ignored)."""
    raise NotImplementedError("fallthrough_kernel() should never be called.")


def _forget(defs, impls, def_ns):
    for qualname, ov in defs:
        _ops._DEFS.get(qualname, {}).pop(ov, None)
        if not _ops._DEFS.get(qualname, True):
            del _ops._DEFS[qualname]
        for table in (_ops._FAKES, _ops._AUTOGRAD):
            table.pop((qualname, ov), None)
        _ops._CUSTOM.discard((qualname, ov))
    for key, dk, fn in impls:
        k = _ops._KERNELS.get(key, {})
        if k.get(dk) is fn:
            del k[dk]
    if def_ns is not None:
        _DEF_NAMESPACES.discard(def_ns)


class Library:
    """Matches `torch.library.Library(ns, kind, dispatch_key="")`; kind is DEF, IMPL or FRAGMENT.
    Its registrations are removed when it is garbage collected (or `_destroy()`ed), as in torch."""

    def __init__(self, ns: str, kind: str, dispatch_key: str = ""):
        if kind not in ("DEF", "IMPL", "FRAGMENT"):
            raise ValueError("Unsupported kind: ", kind)
        if kind == "DEF":
            if ns in _DEF_NAMESPACES:
                raise RuntimeError(
                    f"Only a single TORCH_LIBRARY can be used to register the namespace {ns}; "
                    "please put all of your definitions in a single TORCH_LIBRARY block. If you "
                    "were trying to specify implementations, use Library(ns, 'IMPL'); to define "
                    "operators of one namespace in several places, use Library(ns, 'FRAGMENT').")
            _DEF_NAMESPACES.add(ns)
        self.ns, self.kind, self.dispatch_key = ns, kind, dispatch_key
        self._defs: list = []
        self._impls: list = []
        self._finalizer = weakref.finalize(self, _forget, self._defs, self._impls,
                                           ns if kind == "DEF" else None)

    def __repr__(self):
        return f"Library(kind={self.kind}, ns={self.ns}, dispatch_key={self.dispatch_key})>"

    def define(self, schema: str, alias_analysis: str = "", *, tags=()) -> str:
        """Declare an operator from a schema string; returns its name."""
        if self.kind == "IMPL":
            raise RuntimeError(f"def(\"{schema.split('(')[0]}\"): Cannot define an operator inside "
                               "of a TORCH_LIBRARY_IMPL block. Use Library(ns, 'DEF') or 'FRAGMENT'.")
        s = Schema(schema, self.ns)
        if s.ns != self.ns:
            raise RuntimeError(f"Explicitly provided namespace ({s.ns}) in schema string does not "
                               f"match namespace of enclosing TORCH_LIBRARY block ({self.ns}).")
        overloads = _ops._DEFS.setdefault(s.qualname, {})
        if s.overload in overloads:
            raise RuntimeError(f"Tried to register an operator ({s}) with the same name and overload "
                               "name multiple times. Each overload's schema should only be "
                               "registered with a single call to def().")
        overloads[s.overload] = s
        self._defs.append((s.qualname, s.overload))
        return s.name

    def impl(self, op_name, fn, dispatch_key: str = "", *, with_keyset: bool = False,
             allow_override: bool = False):
        """Register `fn` as the kernel of `op_name` (a name, `name.overload` or an OpOverload)."""
        if fn is fallthrough_kernel:
            return
        if isinstance(op_name, _ops.OpOverload):
            key = op_name._key
        else:
            name = op_name.split("::", 1)[1] if "::" in op_name else op_name
            ns = op_name.split("::", 1)[0] if "::" in op_name else self.ns
            base, _, ov = name.partition(".")
            key = (f"{ns}::{base}", ov)
        dk = dispatch_key or self.dispatch_key or "CompositeImplicitAutograd"
        if with_keyset:
            inner = fn
            fn = lambda *args, **kwargs: inner(None, *args, **kwargs)  # noqa: E731 - no keysets
        if dk == "Meta":
            _ops._FAKES[key] = fn
        else:
            _ops._KERNELS.setdefault(key, {})[dk] = fn
        self._impls.append((key, dk, fn))

    def fallback(self, fn, dispatch_key: str = "", *, with_keyset: bool = False):
        raise NotImplementedError("torch.library: Library.fallback is not supported by jtorch")

    def _destroy(self):
        self._finalizer()


_LIBS: dict = {}  # per-namespace FRAGMENT libraries behind the functional API


def _lib_for(ns: str) -> Library:
    if ns not in _LIBS:
        _LIBS[ns] = Library(ns, "FRAGMENT")
    return _LIBS[ns]


def _key_of(op) -> tuple:
    if isinstance(op, CustomOpDef):
        return op._opoverload._key
    if isinstance(op, _ops.OpOverload):
        return op._key
    if isinstance(op, str):
        return _ops.lookup(op)._key
    raise ValueError(f"Expected an op (a 'ns::name' string, OpOverload or custom op), got {op!r}")


def define(qualname: str, schema: str, *, lib=None, tags=()):
    """Matches `torch.library.define("ns::name", "(Tensor x) -> Tensor")`."""
    ns, name = qualname.split("::", 1)
    (lib or _lib_for(ns)).define(name + schema, tags=tags)


def impl(qualname, types, func=None, *, lib=None):
    """Matches `torch.library.impl`: `impl("ns::name", "cpu", fn)`, also as a decorator, and the
    older `impl(lib, "name", "CPU")` form."""
    if isinstance(qualname, Library):
        lib_, name, key = qualname, types, func or ""
        return lambda fn: (lib_.impl(name, fn, key), fn)[1]
    ns = qualname.split("::", 1)[0]
    keys = [types] if isinstance(types, str) else list(types)
    keys = [_ops._DEVICE_KEYS.get(k, k) for k in keys]

    def register(fn):
        for k in keys:
            (lib or _lib_for(ns)).impl(qualname, fn, "CompositeExplicitAutograd" if k == "default" else k)
        return fn
    return register(func) if func is not None else register


def register_kernel(op, device_types, func=None, /, *, lib=None):
    """Matches `torch.library.register_kernel`."""
    if isinstance(op, CustomOpDef):
        return op.register_kernel(device_types, func)
    key = _key_of(op)
    types = [device_types] if device_types is None or isinstance(device_types, str) else device_types

    def register(fn):
        for t in types:
            dk = "CompositeExplicitAutograd" if t is None else _ops._DEVICE_KEYS.get(t, t.upper())
            _ops._KERNELS.setdefault(key, {})[dk] = fn
        return fn
    return register(func) if func is not None else register


def register_fake(op, func=None, /, *, lib=None, _stacklevel: int = 1, allow_override: bool = False):
    """Matches `torch.library.register_fake`: the kernel run for meta-device inputs."""
    key = _key_of(op)

    def register(fn):
        _ops._FAKES[key] = fn
        return fn
    return register(func) if func is not None else register


def impl_abstract(qualname, func=None, *, lib=None, _stacklevel: int = 1):
    """Matches the deprecated `torch.library.impl_abstract` (an alias of register_fake)."""
    warnings.warn("torch.library.impl_abstract was renamed to torch.library.register_fake. Please "
                  "use that instead; we will remove torch.library.impl_abstract in a future version "
                  "of PyTorch.", DeprecationWarning, stacklevel=2)
    return register_fake(qualname, func, lib=lib)


def register_autograd(op, backward, /, *, setup_context=None, lib=None) -> None:
    """Matches `torch.library.register_autograd`: `backward(ctx, *grads)` returns one gradient
    per positional input; `setup_context(ctx, inputs, output)` saves what it needs."""
    _ops._AUTOGRAD[_key_of(op)] = (backward, setup_context)


def custom_op(name: str, fn=None, /, *, mutates_args, device_types=None, schema=None, tags=None):
    """Matches `torch.library.custom_op`: wrap a function of Tensors as `torch.ops.<ns>.<name>`.

    The function runs as the op's kernel (under no_grad when inputs require grad: gradients come
    only from `register_autograd`, and backward without one raises torch's error).
    """
    def inner(fn):
        ns, opname = name.split("::")
        s = schema if schema is not None else infer_schema(fn, mutates_args=mutates_args)
        lib = Library(ns, "FRAGMENT")
        lib.define(opname + s, tags=tags or ())
        key = (f"{ns}::{opname}", "")
        types = [device_types] if device_types is None or isinstance(device_types, str) else device_types
        for t in types:
            dk = "CompositeExplicitAutograd" if t is None else _ops._DEVICE_KEYS.get(t, t.upper())
            lib.impl(opname, fn, dk)
        _ops._CUSTOM.add(key)
        opdef = OPDEFS[f"{ns}::{opname}"] = CustomOpDef(ns, opname, s, fn, lib)
        return opdef
    return inner(fn) if fn is not None else inner


class _FakeCtx:
    def new_dynamic_size(self, *, min=0, max=None):
        raise NotImplementedError("torch.library.get_ctx().new_dynamic_size: jtorch has no "
                                  "data-dependent fake shapes")


def get_ctx():
    """Matches `torch.library.get_ctx` (the context object inside a fake kernel)."""
    return _FakeCtx()


def opcheck(op, args, kwargs=None, *, test_utils=("test_schema", "test_autograd_registration",
                                                   "test_faketensor", "test_aot_dispatch_dynamic"),
            raise_exception: bool = True, atol=None, rtol=None):
    """Matches `torch.library.opcheck` in form: calls the op (and its fake kernel, if any) on
    the arguments and reports each test as SUCCESS or the exception raised."""
    key = _key_of(op)
    overload = op._opoverload if isinstance(op, CustomOpDef) else (
        op if isinstance(op, _ops.OpOverload) else _ops.lookup(op))
    kwargs = kwargs or {}
    results = {}
    for t in ([test_utils] if isinstance(test_utils, str) else test_utils):
        try:
            if t == "test_faketensor" and key in _ops._FAKES:
                _ops._FAKES[key](*args, **kwargs)
            else:
                overload(*args, **kwargs)
            results[t] = "SUCCESS"
        except Exception as e:  # noqa: BLE001 - reported per test, as torch does
            if raise_exception:
                raise
            results[t] = e
    return results
