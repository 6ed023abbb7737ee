"""Matches `torch.fx.graph_module`: `GraphModule`, a Module whose forward is generated from a Graph."""
from __future__ import annotations

import copy
import linecache

from .. import nn
from .graph import Graph

_USER_PRESERVED_ATTRIBUTES_KEY = "_user_preserved_attributes"
_counter = [0]


def _copy_attr(from_module, to_module, target: str) -> None:
    """Copy `from_module.<target>` (a dotted path) onto `to_module`, creating empty parent Modules."""
    *prefix, field = target.split(".")
    for item in prefix:
        f = getattr(from_module, item)
        t = getattr(to_module, item, None)
        if f is t:
            return
        if t is None:
            t = nn.Module()
            setattr(to_module, item, t)
        from_module, to_module = f, t
    orig = getattr(from_module, field)
    if isinstance(orig, nn.Module) or isinstance(orig, nn.Parameter):
        setattr(to_module, field, orig)
    elif hasattr(from_module, "_buffers") and field in from_module._buffers:
        to_module.register_buffer(field, orig)
    else:
        setattr(to_module, field, orig)


def _assign_attr(from_obj, to_module, target: str) -> None:
    *prefix, field = target.split(".")
    for item in prefix:
        t = getattr(to_module, item, None)
        if t is None:
            t = nn.Module()
            setattr(to_module, item, t)
        to_module = t
    setattr(to_module, field, from_obj)


def _rebuild(state: dict, class_name: str) -> "GraphModule":
    body = _CodeOnlyModule(state)
    return GraphModule(body, state["_graph"], class_name)


class _CodeOnlyModule(nn.Module):
    def __init__(self, body):
        super().__init__()
        self.__dict__ = body


class GraphModule(nn.Module):
    """Matches `torch.fx.GraphModule(root, graph, class_name)`; `recompile()` regenerates
    `forward` from `graph` (also on `gm.graph = g`)."""

    def __new__(cls, *args, **kwargs):
        # Each instance gets its own class, so `recompile()` can set `forward` on it.
        for t in cls.__mro__:
            if t.__qualname__.split(".")[-1] != "GraphModuleImpl":
                cls = t
                break

        class GraphModuleImpl(cls):
            pass
        return super().__new__(GraphModuleImpl)

    def __init__(self, root, graph: Graph, class_name: str = "GraphModule"):
        super().__init__()
        self.__class__.__name__ = class_name
        if isinstance(root, nn.Module):
            self.training = root.training
            for node in graph.nodes:
                if node.op in ("get_attr", "call_module"):
                    _copy_attr(root, self, node.target)
        elif isinstance(root, dict):
            for node in graph.nodes:
                if node.op in ("get_attr", "call_module"):
                    if node.target not in root:
                        raise RuntimeError(f"Node {node} referenced target {node.target} but that "
                                           "target was not provided in ``root``!")
                    _assign_attr(root[node.target], self, node.target)
        else:
            raise RuntimeError(f"Unsupported type {root} passed for root!")
        self.graph = graph
        self._tracer_cls = graph._tracer_cls
        self.meta = {}

    @property
    def graph(self) -> Graph:
        return self._graph

    @graph.setter
    def graph(self, g: Graph) -> None:
        self.__dict__["_graph"] = g
        g.owning_module = self
        self.recompile()

    @property
    def code(self) -> str:
        return self._code

    def recompile(self):
        """Regenerate `forward` from the graph."""
        pc = self._graph.python_code(root_module="self")
        _counter[0] += 1
        fname = f"<eval_with_key>.{_counter[0]}"
        linecache.cache[fname] = (len(pc.src), None, pc.src.splitlines(True), fname)
        ns = dict(pc.globals)
        exec(compile(pc.src, fname, "exec"), ns)  # noqa: S102 - the generated forward
        self.__dict__["_code"] = pc.src
        type(self).forward = ns["forward"]
        return pc

    def print_readable(self, print_output: bool = True, **kwargs) -> str:
        s = f"class {type(self).__name__}(torch.nn.Module):{self._code}"
        if print_output:
            print(s)
        return s

    def __str__(self):
        return super().__str__() + "\n\n" + self._code

    def __reduce__(self):
        # The per-instance class cannot be pickled by name: rebuild from the state and graph.
        state = {k: v for k, v in self.__dict__.items() if k not in ("_code",)}
        return _rebuild, (state, type(self).__name__)

    def __deepcopy__(self, memo):
        res = type(self).__new__(type(self))
        memo[id(self)] = res
        fake = _CodeOnlyModule(copy.deepcopy(self.__dict__, memo))
        GraphModule.__init__(res, fake, fake.__dict__["_graph"], type(self).__name__)
        return res

    def __copy__(self):
        res = GraphModule(self, self.graph, type(self).__name__)
        res.meta = dict(getattr(self, "meta", {}))
        return res
