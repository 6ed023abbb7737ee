"""Matches `torch.fx.proxy`: `Proxy` records what is done to it as Graph nodes."""
from __future__ import annotations

import dis
import inspect
import operator

from .graph import Graph
from .node import Node


class TraceError(ValueError):
    pass


class TracerBase:
    """The recording half of a tracer: turn calls on Proxies into nodes."""

    graph: Graph
    record_stack_traces = False

    def create_node(self, kind, target, args, kwargs, name=None, type_expr=None) -> Node:
        return self.graph.create_node(kind, target, args, kwargs, name, type_expr)

    def proxy(self, node: Node) -> "Proxy":
        return Proxy(node, self)

    def create_proxy(self, kind, target, args, kwargs, name=None, type_expr=None,
                     proxy_factory_fn=None) -> "Proxy":
        args_, kwargs_ = self.create_arg(args), self.create_arg(kwargs)
        node = self.create_node(kind, target, args_, kwargs_, name, type_expr)
        return proxy_factory_fn(node) if proxy_factory_fn is not None else self.proxy(node)

    def create_arg(self, a):
        """A node argument from a Python value (Proxies become their nodes)."""
        if isinstance(a, Proxy):
            return a.node
        if isinstance(a, tuple) and hasattr(a, "_fields"):
            return type(a)(*(self.create_arg(e) for e in a))
        if isinstance(a, (tuple, list)):
            return type(a)(self.create_arg(e) for e in a)
        if isinstance(a, dict):
            return {k: self.create_arg(v) for k, v in a.items()}
        if isinstance(a, slice):
            return slice(self.create_arg(a.start), self.create_arg(a.stop), self.create_arg(a.step))
        return a

    def to_bool(self, obj: "Proxy") -> bool:
        raise TraceError("symbolically traced variables cannot be used as inputs to control flow")

    def iter(self, obj: "Proxy"):
        raise TraceError("Proxy object cannot be iterated. This can be attempted when the Proxy is "
                         "used in a loop or as a *args or **kwargs function argument. See the "
                         "torch.fx docs on pytorch.org for a more detailed explanation of what "
                         "types of control flow can be traced, and check out the Proxy docstring "
                         "for help troubleshooting Proxy iteration errors")

    def keys(self, obj: "Proxy"):
        return Attribute(obj, "keys")()


class GraphAppendingTracer(TracerBase):
    def __init__(self, graph: Graph):
        self.graph = graph


class Proxy:
    """Matches `torch.fx.Proxy`: operators, attribute reads and method calls on it (and jtorch
    functions called with it while a Tracer runs) add nodes to the graph."""

    def __init__(self, node: Node, tracer: TracerBase | None = None):
        self.node = node
        self.tracer = tracer if tracer is not None else GraphAppendingTracer(node.graph)

    def __repr__(self):
        return f"Proxy({self.node.name})"

    def __getattr__(self, k: str) -> "Attribute":
        if k.startswith("__") and k.endswith("__"):
            raise AttributeError(k)
        return Attribute(self, k)

    def __call__(self, *args, **kwargs) -> "Proxy":
        return self.tracer.create_proxy("call_method", "__call__", (self,) + args, kwargs)

    def __iter__(self):
        frame = inspect.currentframe().f_back
        inst = next((i for i in dis.get_instructions(frame.f_code) if i.offset == frame.f_lasti), None)
        if inst is not None and inst.opname == "UNPACK_SEQUENCE":
            return iter(self[i] for i in range(inst.argval))
        return self.tracer.iter(self)

    def __bool__(self):
        return self.tracer.to_bool(self)

    def __len__(self):
        raise RuntimeError("'len' is not supported in symbolic tracing by default. If you want this "
                           "call to be recorded, please call torch.fx.wrap('len') at module scope")

    def keys(self):
        return self.tracer.keys(self)

    def __hash__(self):
        return id(self)

    def __deepcopy__(self, memo):
        return self

    @classmethod
    def __torch_function__(cls, orig_method, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        tracer = next(a.tracer for a in _proxies((args, kwargs)))
        name = getattr(orig_method, "__name__", "")
        import jtorch
        if getattr(jtorch.Tensor, name, None) is orig_method:
            return tracer.create_proxy("call_method", name, args, kwargs)
        return tracer.create_proxy("call_function", orig_method, args, kwargs)


class Attribute(Proxy):
    """`proxy.attr`: a method call when called, else a `getattr` node (made on first use)."""

    def __init__(self, root: Proxy, attr: str):
        self.root, self.attr, self.tracer = root, attr, root.tracer
        self._node = None

    @property
    def node(self) -> Node:
        if self._node is None:
            self._node = self.tracer.create_proxy("call_function", getattr, (self.root, self.attr), {}).node
        return self._node

    def __call__(self, *args, **kwargs) -> Proxy:
        return self.tracer.create_proxy("call_method", self.attr, (self.root,) + args, kwargs)


def _proxies(a):
    if isinstance(a, Proxy):
        yield a
    elif isinstance(a, (tuple, list)):
        for e in a:
            yield from _proxies(e)
    elif isinstance(a, dict):
        for e in a.values():
            yield from _proxies(e)
    elif isinstance(a, slice):
        yield from _proxies((a.start, a.stop, a.step))


def find_proxy(args, kwargs):
    return next(_proxies((args, kwargs)), None)


_BINARY = ["add", "sub", "mul", "floordiv", "truediv", "mod", "pow", "lshift", "rshift", "and_",
           "or_", "xor", "matmul"]
_COMPARE = ["eq", "ne", "lt", "gt", "le", "ge"]


def _binary(fn):
    def impl(self, other):
        return self.tracer.create_proxy("call_function", fn, (self, other), {})
    return impl


def _reflected(fn):
    def impl(self, other):
        return self.tracer.create_proxy("call_function", fn, (other, self), {})
    return impl


def _unary(fn):
    def impl(self):
        return self.tracer.create_proxy("call_function", fn, (self,), {})
    return impl


for _name in _BINARY + _COMPARE + ["getitem"]:
    _fn = getattr(operator, _name)
    _dunder = _name.rstrip("_")
    setattr(Proxy, f"__{_dunder}__", _binary(_fn))
    if _name in _BINARY:
        setattr(Proxy, f"__r{_dunder}__", _reflected(_fn))
for _name in ("neg", "pos", "invert", "abs"):
    setattr(Proxy, f"__{_name}__", _unary(getattr(operator, _name)))
Proxy.__hash__ = lambda self: id(self)  # __eq__ is recorded, so identity hashing is kept explicitly
