"""Matches `torch.fx`: symbolic tracing of Modules and functions into Graphs of Nodes,
`GraphModule` (generated Python `forward`), `Interpreter` and `Transformer`.

Tracing records calls through Proxy operators/attributes and, while a trace runs, through
jtorch's public functions (patched for the duration of the trace; see `_symbolic_trace`).
"""
from . import node, graph, proxy, graph_module, interpreter  # noqa: F401
from ._symbolic_trace import Tracer, is_fx_tracing, symbolic_trace, wrap  # noqa: F401
from .graph import Graph
from .graph_module import GraphModule
from .interpreter import Interpreter, Transformer
from .node import Node, map_arg
from .proxy import Proxy

__all__ = ["symbolic_trace", "Tracer", "wrap", "Graph", "GraphModule", "Interpreter", "Node",
           "Proxy", "Transformer", "map_arg"]
