"""Matches `torch._ops`: the Python operator registry behind `torch.ops.<ns>.<op>.<overload>`.

Ops defined through `torch.library` live here: a schema per (qualified name, overload), kernels
per dispatch key, an optional fake (meta) kernel and autograd formula. A call binds its
arguments against the schema, picks the kernel for the inputs' device and runs it; kernels are
jtorch code, so every op they call goes through the dispatch point (and traces under
`jtorch.compile`). `torch.ops.aten.<name>` resolves to jtorch's same-named function.
"""
from __future__ import annotations

import inspect

from ._library.schema import Schema

# qualname ("ns::name") -> {overload name ("" is default): Schema}
_DEFS: dict[str, dict[str, Schema]] = {}
# (qualname, overload) -> {dispatch key: kernel}; kernels may be registered before the schema.
_KERNELS: dict[tuple, dict] = {}
_FAKES: dict[tuple, object] = {}
_AUTOGRAD: dict[tuple, tuple] = {}  # (backward, setup_context)
_CUSTOM: set = set()  # ops made by torch.library.custom_op (no autograd formula -> error)
_DEVICE_KEYS = {"cpu": "CPU", "cuda": "CUDA", "meta": "Meta", "xpu": "XPU", "mps": "MPS"}


def _tensor_leaves(values, Tensor):
    for v in values:
        if isinstance(v, Tensor):
            yield v
        elif isinstance(v, (list, tuple)):
            yield from (e for e in v if isinstance(e, Tensor))


class OpOverload:
    """One overload of an operator (`torch.ops.mylib.foo.default`). Matches `torch._ops.OpOverload`."""

    def __init__(self, packet: "OpOverloadPacket", overload: str, fn=None):
        self.overloadpacket = packet
        self._overloadname = overload or "default"
        self._key = (packet._qualified_op_name, overload)
        self._fn = fn  # aten: jtorch's own function
        self.__name__ = f"{packet.__name__}.{self._overloadname}"
        self.__qualname__ = self.__name__
        self.__module__ = f"torch.ops.{packet._namespace}"
        self.namespace = packet._namespace
        self._autograd_fn = None

    @property
    def _schema(self):
        """The parsed schema (None for an aten op backed by jtorch's own function)."""
        return None if self._fn is not None else _DEFS[self._key[0]][self._key[1]]

    def name(self) -> str:
        ov = self._key[1]
        return self._key[0] + (f".{ov}" if ov else "")

    def __repr__(self):
        return f"<OpOverload(op='{self.namespace}.{self.overloadpacket.__name__}', overload='{self._overloadname}')>"

    def __str__(self):
        return f"{self.namespace}.{self.overloadpacket.__name__}.{self._overloadname}"

    def __hash__(self):
        return hash(self._key)

    def __call__(self, *args, **kwargs):
        if self._fn is not None:
            return self._fn(*args, **kwargs)
        schema = _DEFS.get(self._key[0], {}).get(self._key[1])
        if schema is None:
            raise RuntimeError(f"The operator {self.name()} was removed (its Library was destroyed)")
        pos, kw = schema.bind(args, kwargs)
        return _run(self, pos, kw)

    def redispatch(self, keyset, *args, **kwargs):
        return self(*args, **kwargs)


def _run(op: OpOverload, pos, kw):
    from ._tensor import Tensor
    from .autograd.grad_mode import ENABLED, _MODE
    key = op._key
    kernels = _KERNELS.get(key, {})
    tensors = list(_tensor_leaves(list(pos) + list(kw.values()), Tensor))
    dev = tensors[0].device.type if tensors else "cpu"
    if dev == "meta" and key in _FAKES:
        return _FAKES[key](*pos, **kw)
    if "Autograd" in kernels or "Autograd" + _DEVICE_KEYS.get(dev, "") in kernels:
        # An autograd kernel handles gradients itself (typically through autograd.Function).
        fn = kernels.get("Autograd" + _DEVICE_KEYS.get(dev, "")) or kernels["Autograd"]
        return fn(*pos, **kw)
    fn = kernels.get(_DEVICE_KEYS.get(dev)) or kernels.get("CompositeExplicitAutograd")
    implicit = fn is None
    if implicit:
        fn = kernels.get("CompositeImplicitAutograd")
    if fn is None:
        raise NotImplementedError(
            f"Could not run '{op.name()}' with arguments from the '{_DEVICE_KEYS.get(dev, dev)}' "
            f"backend: no kernel is registered for it (register one with torch.library.impl or "
            f"register_kernel)")
    needs_grad = _MODE.get() & ENABLED and any(t.requires_grad for t in tensors)
    if not needs_grad or (key not in _AUTOGRAD and key not in _CUSTOM):
        # Without a formula, a Library kernel's own jtorch ops carry the gradient (as torch's
        # autograd fallback lets them).
        return fn(*pos, **kw)
    if op._autograd_fn is None:
        op._autograd_fn = _autograd_function(op)
    # Tensor lists (`Tensor[]` arguments) are spread so autograd sees each Tensor; `spec`
    # (-1: one value, k: a list of k) rebuilds them.
    vals = list(pos) + list(kw.values())
    spec = tuple(len(v) if isinstance(v, (list, tuple)) and any(isinstance(e, Tensor) for e in v)
                 else -1 for v in vals)
    flat = [e for v, k in zip(vals, spec) for e in (v if k >= 0 else (v,))]
    return op._autograd_fn.apply(fn, len(pos), tuple(kw), spec, *flat)


def _unflatten(spec, flat):
    out, i = [], 0
    for k in spec:
        out.append(flat[i] if k < 0 else list(flat[i:i + k]))
        i += 1 if k < 0 else k
    return out


def _autograd_function(op: OpOverload):
    """An autograd.Function named like torch's (`GeneratedBackwardFor_<ns>_<name>_<overload>`)
    whose backward is the op's registered formula (or torch's error when there is none)."""
    from .autograd.function import Function
    key = op._key

    def forward(fn, n, kwnames, spec, *flat):
        vals = _unflatten(spec, flat)
        return fn(*vals[:n], **dict(zip(kwnames, vals[n:])))

    def setup_context(ctx, inputs, output):
        fn, n, kwnames, spec, *flat = inputs
        ctx._jt_n, ctx._jt_spec = n, spec
        entry = _AUTOGRAD.get(key)
        if entry is not None and entry[1] is not None:
            vals = _unflatten(spec, flat)
            kwonly = dict(zip(kwnames, vals[n:]))
            if "keyword_only_inputs" in inspect.signature(entry[1]).parameters:
                entry[1](ctx=ctx, inputs=tuple(vals[:n]), keyword_only_inputs=kwonly, output=output)
            else:
                entry[1](ctx=ctx, inputs=tuple(vals[:n]), output=output)

    def backward(ctx, *grads):
        entry = _AUTOGRAD.get(key)
        if entry is None:
            raise RuntimeError(f"Trying to backward through {op} but no autograd formula was "
                               "registered. Please use register_autograd to add one.")
        res = entry[0](ctx, *grads)
        res = res if isinstance(res, tuple) else (res,)  # one input: its gradient (a list for Tensor[])
        if len(res) != ctx._jt_n:
            raise RuntimeError(f"{op}: register_autograd's backward returned {len(res)} gradients; "
                               f"expected one per positional input ({ctx._jt_n})")
        flat = []
        for g, k in zip(res + (None,) * (len(ctx._jt_spec) - len(res)), ctx._jt_spec):
            flat.extend([g] if k < 0 else (list(g) if g is not None else [None] * k))
        return (None, None, None, None) + tuple(flat)

    ns, name = key[0].split("::")
    cls_name = f"GeneratedBackwardFor_{ns}_{name}_{key[1] or 'default'}"
    return type(cls_name, (Function,), {"forward": staticmethod(forward),
                                        "setup_context": staticmethod(setup_context),
                                        "backward": staticmethod(backward)})


class OpOverloadPacket:
    """All overloads of one operator (`torch.ops.mylib.foo`). Matches `torch._ops.OpOverloadPacket`."""

    def __init__(self, namespace: str, name: str, fn=None):
        self._namespace = namespace
        self.__name__ = name
        self._qualified_op_name = f"{namespace}::{name}"
        self._fn = fn
        self._overloads: dict[str, OpOverload] = {}

    def __repr__(self):
        return f"<OpOverloadPacket(op='{self._namespace}.{self.__name__}')>"

    def __str__(self):
        return f"{self._namespace}.{self.__name__}"

    def overloads(self) -> list:
        if self._fn is not None:
            return ["default"]
        return ["default" if o == "" else o for o in _DEFS.get(self._qualified_op_name, {})]

    def __getattr__(self, overload: str) -> OpOverload:
        if overload.startswith("__"):
            raise AttributeError(overload)
        key = "" if overload == "default" else overload
        if self._fn is None and key not in _DEFS.get(self._qualified_op_name, {}):
            raise AttributeError(f"The underlying op of '{self}' has no overload name '{overload}'")
        ov = self._overloads.get(overload)
        if ov is None:
            ov = self._overloads[overload] = OpOverload(self, key, self._fn)
        return ov

    def __call__(self, *args, **kwargs):
        if self._fn is not None:
            return self._fn(*args, **kwargs)
        defs = _DEFS.get(self._qualified_op_name, {})
        if len(defs) == 1 or "" in defs:
            return getattr(self, self.overloads()[0] if "" not in defs else "default")(*args, **kwargs)
        err = None
        for ov in defs:  # the first overload whose schema accepts the arguments
            try:
                defs[ov].bind(args, kwargs)
            except RuntimeError as e:
                err = err or e
                continue
            return getattr(self, ov)(*args, **kwargs)
        raise err or RuntimeError(f"{self._qualified_op_name} has no overloads")


class _OpNamespace:
    """`torch.ops.<namespace>`. Matches `torch._ops._OpNamespace`."""

    def __init__(self, name: str):
        self.name = name
        self._packets: dict[str, OpOverloadPacket] = {}

    def __repr__(self):
        return f"<module 'torch.ops.{self.name}' from 'torch.ops'>"

    def __iter__(self):
        return iter(q.split("::")[1] for q in _DEFS if q.startswith(self.name + "::"))

    def __getattr__(self, op_name: str) -> OpOverloadPacket:
        if op_name.startswith("__"):
            raise AttributeError(op_name)
        p = self._packets.get(op_name)
        if p is not None and (p._fn is not None or p._qualified_op_name in _DEFS):
            return p
        fn = _aten(op_name) if self.name == "aten" else None
        if fn is None and f"{self.name}::{op_name}" not in _DEFS:
            raise AttributeError(f"'_OpNamespace' '{self.name}' object has no attribute '{op_name}'")
        p = self._packets[op_name] = OpOverloadPacket(self.name, op_name, fn)
        return p


def _aten(name: str):
    """jtorch's function for `aten::<name>`: a public function, a registry op, an nn.functional
    function or a Tensor method (`add_`), or None."""
    import jtorch
    from . import _dispatch
    from .ops._registry import REGISTRY
    fn = getattr(jtorch, name, None)
    if callable(fn) and not isinstance(fn, type):
        return fn
    op = REGISTRY.get(name)
    if op is not None:
        return lambda *args, **kwargs: _dispatch.apply(op, args, kwargs)
    fn = getattr(jtorch.nn.functional, name, None) or getattr(jtorch.Tensor, name, None)
    return fn if callable(fn) and not isinstance(fn, type) else None


_NAMESPACES: dict[str, _OpNamespace] = {}


def namespace(name: str) -> _OpNamespace:
    ns = _NAMESPACES.get(name)
    if ns is None:
        ns = _NAMESPACES[name] = _OpNamespace(name)
    return ns


def lookup(qualname: str) -> OpOverload:
    """The OpOverload for `ns::name` or `ns::name.overload` (RuntimeError when undefined)."""
    if "::" not in qualname:
        raise ValueError(f"Expected a qualified name 'namespace::name', got '{qualname}'")
    ns, rest = qualname.split("::", 1)
    name, _, ov = rest.partition(".")
    if f"{ns}::{name}" not in _DEFS or (ov or "") not in _DEFS[f"{ns}::{name}"]:
        raise RuntimeError(f"Operator {qualname} does not exist; define it first "
                           "(torch.library.custom_op or Library.define)")
    return getattr(getattr(namespace(ns), name), ov or "default")
