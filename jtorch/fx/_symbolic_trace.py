"""Matches `torch.fx._symbolic_trace`: `Tracer`, `symbolic_trace` and `wrap`.

While a trace runs, jtorch's public functions (`torch.*`, `torch.nn.functional.*`,
`torch.special/linalg/fft.*`), `autowrap_functions`/`autowrap_modules` and `wrap()`ed names are
patched with a wrapper that records a `call_function` node when an argument is a Proxy and
otherwise calls through; `Module.__call__` routes through `call_module` and `Module.__getattr__`
turns Parameters into `get_attr` proxies. Everything is restored when the trace ends, so eager
code never pays for tracing.
"""
from __future__ import annotations

import builtins
import functools
import inspect
import math
import operator
import types

from .graph import Graph
from .proxy import Proxy, TracerBase, find_proxy

_WRAPPED: list = []  # (globals dict, name) registered by wrap()
_TRACING = [0]  # depth of running traces


def is_fx_tracing() -> bool:
    """Matches `torch.fx._symbolic_trace.is_fx_tracing`: True while symbolic tracing runs."""
    return _TRACING[0] > 0


def _assert(condition, message: str = "") -> None:
    """Matches `torch._assert` (the check a specialized `concrete_args` value gets)."""
    if not condition:
        raise AssertionError(message)


def wrap(fn_or_name):
    """Matches `torch.fx.wrap`: calls of this module-level function become `call_function` nodes."""
    name = fn_or_name if isinstance(fn_or_name, str) else fn_or_name.__name__
    if not isinstance(fn_or_name, str) and not callable(fn_or_name):
        raise RuntimeError("Unsupported type for global function! Must be either a callable or string name")
    caller = inspect.currentframe().f_back
    if caller.f_code.co_name != "<module>":
        raise NotImplementedError("wrap must be called at the top level of a module")
    _WRAPPED.append((caller.f_globals, name))
    return fn_or_name


def _namespaces():
    import jtorch
    import jtorch.nn.functional as F
    return [jtorch, F, jtorch.special, jtorch.linalg, jtorch.fft]


def _wrappable(v) -> bool:
    return isinstance(v, (types.FunctionType, types.BuiltinFunctionType, functools.partial)) or (
        callable(v) and not isinstance(v, (type, types.ModuleType)) and hasattr(v, "__name__"))


class _Patcher:
    def __init__(self):
        self._undo: list = []
        self._done: set = set()

    def set(self, obj, name, value, is_dict=False):
        key = (id(obj), name)
        if key in self._done:
            return
        self._done.add(key)
        old = obj[name] if is_dict else obj.__dict__.get(name, _MISSING)
        self._undo.append((obj, name, old, is_dict))
        if is_dict:
            obj[name] = value
        else:
            setattr(obj, name, value)

    def restore(self):
        for obj, name, old, is_dict in reversed(self._undo):
            if is_dict:
                obj[name] = old
            elif old is _MISSING:
                delattr(obj, name)
            else:
                setattr(obj, name, old)
        self._undo.clear()


_MISSING = object()


_WRAPPERS: dict = {}  # (id(original), kind) -> (original, wrapper): built once, reused by every trace


def _cached(orig, kind, make):
    hit = _WRAPPERS.get((id(orig), kind))
    if hit is None or hit[0] is not orig:
        hit = _WRAPPERS[(id(orig), kind)] = (orig, make())
    return hit[1]


def _recording(orig, name):
    return _cached(orig, "function", lambda: _make_recording(orig))


def _make_recording(orig):
    @functools.wraps(orig)
    def wrapped(*args, **kwargs):
        p = find_proxy(args, kwargs)
        if p is not None:
            return p.tracer.create_proxy("call_function", orig, args, kwargs)
        return orig(*args, **kwargs)
    wrapped._fx_orig = orig
    return wrapped


def _tensor_method_names() -> dict:
    """Tensor attribute -> the method name torch's tracer records when it is called on a constant
    Tensor with a Proxy argument (`c * x` is `call_method mul`)."""
    from .. import _bind
    names = {f"__{k}__": v for k, v in {**_bind._OPERATORS, **_bind._COMPARE}.items()}
    names["__getitem__"] = None  # recorded as operator.getitem
    return names


def _recording_method(orig, name):
    return _cached(orig, f"method:{name}", lambda: _make_recording_method(orig, name))


def _make_recording_method(orig, name):
    @functools.wraps(orig)
    def wrapped(self, *args, **kwargs):
        p = find_proxy(args, kwargs)
        if p is not None and not isinstance(self, Proxy):
            if name is None:
                return p.tracer.create_proxy("call_function", operator.getitem, (self,) + args, kwargs)
            return p.tracer.create_proxy("call_method", name, (self,) + args, kwargs)
        return orig(self, *args, **kwargs)
    return wrapped


class Tracer(TracerBase):
    """Matches `torch.fx.Tracer`."""

    def __init__(self, autowrap_modules=(math,), autowrap_functions=(), param_shapes_constant=False):
        self._autowrap_ids = {id(v) for m in autowrap_modules for v in vars(m).values() if callable(v)}
        self._autowrap_ids |= {id(f) for f in autowrap_functions}
        self._autowrap_functions = tuple(autowrap_functions)
        self.param_shapes_constant = param_shapes_constant
        self.traced_func_name = "forward"
        self.submodule_paths = None
        self.root = None
        self.graph = None

    # -- the hooks subclasses override ----------------------------------------------------------

    def is_leaf_module(self, m, module_qualified_name: str) -> bool:
        import jtorch.nn as nn
        mod = type(m).__module__
        return mod.startswith(("torch.nn", "torch.ao.nn", "jtorch.nn")) and not isinstance(m, nn.Sequential)

    def path_of_module(self, mod) -> str:
        path = self.submodule_paths.get(id(mod))
        if path is None:
            raise NameError("module is not installed as a submodule")
        return path

    def call_module(self, m, forward, args, kwargs):
        path = self.path_of_module(m)
        if not self.is_leaf_module(m, path):
            return forward(*args, **kwargs)
        return self.create_proxy("call_module", path, args, kwargs)

    def getattr(self, attr: str, attr_val, parameter_proxy_cache: dict):
        import jtorch.nn as nn
        if isinstance(attr_val, nn.Parameter):
            for name, p in self.root.named_parameters(remove_duplicate=False):
                if p is attr_val:
                    if name not in parameter_proxy_cache:
                        parameter_proxy_cache[name] = self.create_proxy("get_attr", name, (), {})
                    return parameter_proxy_cache[name]
        return attr_val

    def create_arg(self, a):
        import jtorch
        import jtorch.nn as nn
        if isinstance(a, jtorch.Tensor):
            name = self.tensor_attrs.get(id(a))
            if name is None:
                if isinstance(a, nn.Parameter):
                    raise NameError("parameter is not a member of this module")
                i = 0
                while hasattr(self.root, f"_tensor_constant{i}"):
                    i += 1
                name = f"_tensor_constant{i}"
                setattr(self.root, name, a)
                self.tensor_attrs[id(a)] = name
            return self.create_node("get_attr", name, (), {})
        if isinstance(a, nn.Module):
            raise RuntimeError(f"Cannot pass a Module ({type(a).__name__}) as a traced argument; call "
                               "it instead, or make it a submodule")
        return super().create_arg(a)

    # -- tracing --------------------------------------------------------------------------------

    def trace(self, root, concrete_args: dict | None = None) -> Graph:
        import jtorch.nn as nn
        if isinstance(root, nn.Module):
            self.root = root
            fn = getattr(type(root), self.traced_func_name)
        else:
            self.root = nn.Module()
            fn = root
        self.graph = Graph(tracer_cls=type(self))
        self.submodule_paths = {id(m): n for n, m in self.root.named_modules(remove_duplicate=False)}
        self.tensor_attrs = {}
        for n, t in list(self.root.named_buffers(remove_duplicate=False)) + \
                list(self.root.named_parameters(remove_duplicate=False)):
            self.tensor_attrs.setdefault(id(t), n)
        args = self._root_args(fn, root, concrete_args or {})
        patcher = _Patcher()
        _TRACING[0] += 1
        try:
            self._patch(patcher, fn)
            result = fn(*args)
        finally:
            _TRACING[0] -= 1
            patcher.restore()
        self.create_node("output", "output", (self.create_arg(result),), {})
        return self.graph

    def _root_args(self, fn, root, concrete_args):
        import jtorch.nn as nn
        params = list(inspect.signature(fn).parameters.values())
        args = []
        if isinstance(root, nn.Module):
            args.append(root)
            params = params[1:]
        for p in params:
            if p.name in concrete_args:
                # As torch: an input is kept (named `<name>_1`), checked against the value
                # baked into the graph, and the value is used while tracing.
                v = concrete_args[p.name]
                ph = self.create_proxy("placeholder", f"{p.name}_1", (), {})
                if isinstance(v, (bool, int, float, str)):
                    import jtorch
                    self.create_proxy("call_function", getattr(jtorch, "_assert", _assert), (
                        self.create_proxy("call_function", operator.eq, (ph, v), {}),
                        f"{p.name} has been specialized to have value {v} but got another value"), {})
                args.append(v)
            elif p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise NotImplementedError(f"symbolic_trace: *args/**kwargs parameters ({p.name}) are "
                                          "not supported; give the function explicit parameters")
            else:
                d = () if p.default is inspect.Parameter.empty else (p.default,)
                args.append(self.create_proxy("placeholder", p.name, d, {}))
        return args

    def _patch(self, patcher, fn):
        import jtorch.nn as nn
        self._fn_ids = {}
        for ns in _namespaces():
            for name, v in list(vars(ns).items()):
                if (not name.startswith("_") or name == "_assert") and _wrappable(v):
                    w = _recording(v, name)
                    self._fn_ids[id(v)] = w
                    patcher.set(ns, name, w)
        for g, name in _WRAPPED:
            orig = g[name] if name in g else getattr(builtins, name, None)  # wrap("len") too
            if orig is not None:
                patcher.set(g, name, _recording(orig, name), is_dict=True)
        self._patch_globals(patcher, getattr(fn, "__globals__", {}))
        import jtorch
        dunders = _tensor_method_names()
        for name, v in list(vars(jtorch.Tensor).items()):
            if name in dunders:
                patcher.set(jtorch.Tensor, name, _recording_method(v, dunders[name]))
            elif not name.startswith("_") and isinstance(v, types.FunctionType):
                patcher.set(jtorch.Tensor, name, _recording_method(v, name))
        orig_call, orig_getattr = nn.Module.__call__, nn.Module.__getattr__
        cache: dict = {}
        tracer = self

        def module_call(mod, *args, **kwargs):
            def forward(*a, **k):
                return orig_call(mod, *a, **k)
            tracer._patch_globals(patcher, getattr(getattr(mod, "forward", mod), "__globals__", {}))
            return tracer.call_module(mod, forward, args, kwargs)

        def module_getattr(mod, attr):
            return tracer.getattr(attr, orig_getattr(mod, attr), cache)
        patcher.set(nn.Module, "__call__", module_call)
        patcher.set(nn.Module, "__getattr__", module_getattr)

    def _patch_globals(self, patcher, g: dict):
        for name, v in list(g.items()):
            if isinstance(v, (type, types.ModuleType)) or not callable(v):
                continue
            w = self._fn_ids.get(id(v))
            if w is None and id(v) in self._autowrap_ids:
                w = self._fn_ids[id(v)] = _recording(v, name)
            if w is not None and w is not v:
                patcher.set(g, name, w, is_dict=True)


def symbolic_trace(root, concrete_args: dict | None = None):
    """Matches `torch.fx.symbolic_trace`: trace a Module or function into a GraphModule."""
    from .graph_module import GraphModule
    tracer = Tracer()
    graph = tracer.trace(root, concrete_args)
    name = type(root).__name__ if not isinstance(root, types.FunctionType) else root.__name__
    return GraphModule(tracer.root, graph, name)
