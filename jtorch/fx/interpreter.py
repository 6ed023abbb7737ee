"""Matches `torch.fx.interpreter`: `Interpreter` runs a GraphModule node by node; `Transformer`
re-traces it through Proxies into a new GraphModule."""
from __future__ import annotations

from .graph import Graph
from .graph_module import GraphModule
from .node import map_arg
from .proxy import Proxy, TracerBase


def _fetch_attr(mod, target: str):
    for atom in target.split("."):
        if not hasattr(mod, atom):
            raise RuntimeError(f"Node referenced nonexistent target {target}")
        mod = getattr(mod, atom)
    return mod


class Interpreter:
    """Matches `torch.fx.Interpreter`: override `run_node` or the per-op methods."""

    def __init__(self, module, garbage_collect_values: bool = True, graph: Graph | None = None):
        self.module = module
        self.graph = graph if graph is not None else module.graph
        self.env: dict = {}
        self.garbage_collect_values = garbage_collect_values

    def run(self, *args, initial_env=None, enable_io_processing: bool = True):
        self.env = dict(initial_env or {})
        self.args_iter = iter(args)
        last_use = {}
        for node in self.graph.nodes:
            for a in node.all_input_nodes:
                last_use[a] = node
        for node in self.graph.nodes:
            if node in self.env:
                continue
            self.env[node] = self.run_node(node)
            if self.garbage_collect_values:
                for a in node.all_input_nodes:
                    if last_use.get(a) is node and a.op != "placeholder":
                        self.env.pop(a, None)
            if node.op == "output":
                return self.env[node]
        return None

    def run_node(self, n):
        args, kwargs = self.fetch_args_kwargs_from_env(n)
        return getattr(self, n.op)(n.target, args, kwargs)

    def fetch_args_kwargs_from_env(self, n):
        return self.map_nodes_to_values(n.args, n), self.map_nodes_to_values(n.kwargs, n)

    def map_nodes_to_values(self, args, n):
        def load(a):
            if a not in self.env:
                raise RuntimeError(f"Node {n} referenced nonexistent value {a}! Run Graph.lint() to "
                                   "diagnose such issues")
            return self.env[a]
        return map_arg(args, load)

    def placeholder(self, target, args, kwargs):
        if target.startswith("*"):
            return list(self.args_iter)
        try:
            return next(self.args_iter)
        except StopIteration:
            if args:
                return args[0]
            raise RuntimeError(f"Expected positional argument for parameter {target}, but one was "
                               "not passed in!") from None

    def get_attr(self, target, args, kwargs):
        return _fetch_attr(self.module, target)

    def call_function(self, target, args, kwargs):
        return target(*args, **kwargs)

    def call_method(self, target, args, kwargs):
        self_obj, *rest = args
        return getattr(self_obj, target)(*rest, **kwargs)

    def call_module(self, target, args, kwargs):
        return _fetch_attr(self.module, target)(*args, **kwargs)

    def output(self, target, args, kwargs):
        return args[0]

    def fetch_attr(self, target: str):
        return _fetch_attr(self.module, target)


class _TransformerTracer(TracerBase):
    def __init__(self, graph):
        self.graph = graph


class Transformer(Interpreter):
    """Matches `torch.fx.Transformer`: `transform()` returns a new GraphModule."""

    def __init__(self, module):
        super().__init__(module, garbage_collect_values=False)
        self.new_graph = Graph()
        self.tracer = _TransformerTracer(self.new_graph)

    def placeholder(self, target, args, kwargs):
        default = args[0] if args else None
        node = self.new_graph.placeholder(target) if not args else \
            self.new_graph.placeholder(target, default_value=default)
        return Proxy(node, self.tracer)

    def get_attr(self, target, args, kwargs):
        return self.tracer.create_proxy("get_attr", target, args, kwargs)

    def call_module(self, target, args, kwargs):
        return self.tracer.create_proxy("call_module", target, args, kwargs)

    def call_function(self, target, args, kwargs):
        return self.tracer.create_proxy("call_function", target, args, kwargs)

    def call_method(self, target, args, kwargs):
        return self.tracer.create_proxy("call_method", target, args, kwargs)

    def transform(self) -> GraphModule:
        result = super().run()
        if result is not None:
            self.new_graph.output(self.tracer.create_arg(result))
        return GraphModule(self.module, self.new_graph)
