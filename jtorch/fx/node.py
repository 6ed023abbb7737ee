"""Matches `torch.fx.node`: `Node` (one operation in a Graph) and `map_arg`."""
from __future__ import annotations

import builtins
import operator
from typing import Any, Callable

Target = Any
Argument = Any
_OPS = ("placeholder", "get_attr", "call_function", "call_method", "call_module", "output", "root")


def map_aggregate(a, fn: Callable):
    """Apply `fn` to every leaf of nested tuples/lists/dicts/slices, keeping their types."""
    if isinstance(a, tuple):
        t = tuple(map_aggregate(e, fn) for e in a)
        return t if type(a) is tuple or not hasattr(a, "_fields") else type(a)(*t)
    if isinstance(a, list):
        return [map_aggregate(e, fn) for e in a]
    if isinstance(a, dict):
        return {k: map_aggregate(v, fn) for k, v in a.items()}
    if isinstance(a, slice):
        return slice(map_aggregate(a.start, fn), map_aggregate(a.stop, fn), map_aggregate(a.step, fn))
    return fn(a)


def map_arg(a, fn: Callable):
    """Apply `fn` to every Node inside an argument structure."""
    return map_aggregate(a, lambda x: fn(x) if isinstance(x, Node) else x)


def _qualified_name(fn) -> str:
    """How a callable is named: `torch.relu`, `torch.nn.functional.relu`, `operator.add`,
    `builtins.getattr`; jtorch's functions by their public torch path."""
    name = getattr(fn, "__name__", "")
    if getattr(builtins, name, None) is fn:
        return f"builtins.{name}"
    if getattr(operator, name, None) is fn:
        return f"operator.{name}"
    import jtorch
    for path, ns in (("torch", jtorch), ("torch.nn.functional", jtorch.nn.functional),
                     ("torch.special", jtorch.special), ("torch.linalg", jtorch.linalg),
                     ("torch.fft", jtorch.fft)):
        if getattr(ns, name, None) is fn:
            return f"{path}.{name}"
    mod = getattr(fn, "__module__", None) or ""
    name = getattr(fn, "__qualname__", getattr(fn, "__name__", repr(fn)))
    if mod.startswith("jtorch"):
        mod = "torch" + mod[len("jtorch"):]
    return f"{mod}.{name}" if mod else name


class Node:
    """Matches `torch.fx.Node`: `op`, `target`, `args`, `kwargs`, `name`, `users`, `meta`."""

    def __init__(self, graph, name: str, op: str, target, args: tuple, kwargs: dict,
                 return_type=None):
        if op not in _OPS:
            raise ValueError(f"Node op must be one of {_OPS}, got {op!r}")
        self.graph, self.name, self.op, self.target = graph, name, op, target
        self.type = return_type
        self.users: dict[Node, None] = {}
        self.meta: dict = {}
        self._input_nodes: dict[Node, None] = {}
        self._args: tuple = ()
        self._kwargs: dict = {}
        self._erased = False
        self.stack_trace = None
        self._update_args_kwargs(args, kwargs)

    # -- inputs ---------------------------------------------------------------------------

    def _update_args_kwargs(self, args, kwargs):
        for n in self._input_nodes:
            n.users.pop(self, None)
        self._args, self._kwargs = tuple(args), dict(kwargs)
        self._input_nodes = {}
        map_arg((self._args, self._kwargs), lambda n: self._input_nodes.setdefault(n))
        for n in self._input_nodes:
            n.users.setdefault(self)

    @property
    def args(self) -> tuple:
        return self._args

    @args.setter
    def args(self, a):
        self._update_args_kwargs(a, self._kwargs)

    @property
    def kwargs(self) -> dict:
        return self._kwargs

    @kwargs.setter
    def kwargs(self, k):
        self._update_args_kwargs(self._args, k)

    @property
    def all_input_nodes(self) -> list:
        return list(self._input_nodes)

    def update_arg(self, idx: int, arg) -> None:
        a = list(self._args)
        a[idx] = arg
        self.args = tuple(a)

    def update_kwarg(self, key: str, arg) -> None:
        self.kwargs = {**self._kwargs, key: arg}

    def replace_all_uses_with(self, replace_with: "Node", delete_user_cb=lambda user: True) -> list:
        """Point every user of this node at `replace_with`; returns the users changed."""
        changed = []
        for user in list(self.users):
            if not delete_user_cb(user):
                continue
            user._update_args_kwargs(*map_arg((user.args, user.kwargs),
                                              lambda n: replace_with if n is self else n))
            changed.append(user)
        return changed

    def replace_input_with(self, old: "Node", new: "Node") -> None:
        self._update_args_kwargs(*map_arg((self.args, self.kwargs), lambda n: new if n is old else n))

    # -- position in the graph --------------------------------------------------------------

    @property
    def next(self) -> "Node":
        nodes = self.graph._nodes
        i = nodes.index(self)
        return nodes[i + 1] if i + 1 < len(nodes) else self.graph._root

    @property
    def prev(self) -> "Node":
        nodes = self.graph._nodes
        i = nodes.index(self)
        return nodes[i - 1] if i > 0 else self.graph._root

    def prepend(self, x: "Node") -> None:
        """Move `x` right before this node."""
        self.graph._nodes.remove(x)
        self.graph._nodes.insert(self.graph._nodes.index(self), x)

    def append(self, x: "Node") -> None:
        """Move `x` right after this node."""
        self.graph._nodes.remove(x)
        self.graph._nodes.insert(self.graph._nodes.index(self) + 1, x)

    def is_impure(self) -> bool:
        if self.op in ("placeholder", "output"):
            return True
        if self.op == "call_function":
            return getattr(self.target, "__name__", "").endswith("_") and self.target is not getattr
        if self.op == "call_method":
            return self.target.endswith("_")  # in-place Tensor methods
        return False

    # -- printing ---------------------------------------------------------------------------

    def __repr__(self):
        return self.name

    def _pretty_target(self) -> str:
        if self.op == "call_function":
            return _qualified_name(self.target)
        return str(self.target)

    def format_node(self, placeholder_names=None, maybe_return_typename=None) -> str:
        def fmt(a, mark="%"):  # torch shows nodes as %name and strings unquoted
            return map_aggregate(a, lambda x: _Ref(mark + x.name) if isinstance(x, Node)
                                 else _Ref(x) if isinstance(x, str) else x)
        if self.op == "placeholder":
            default = f"(default={self.args[0]!r})" if self.args else ""
            return f"%{self.name} : [num_users={len(self.users)}] = placeholder[target={self.target}]{default}"
        if self.op == "output":
            return f"return {fmt(self.args[0], '')!r}"
        if self.op == "get_attr":
            return f"%{self.name} : [num_users={len(self.users)}] = get_attr[target={self.target}]"
        kw = ", ".join(f"{k}: {v!r}" for k, v in fmt(self.kwargs).items())
        return (f"%{self.name} : [num_users={len(self.users)}] = {self.op}[target={self._pretty_target()}]"
                f"(args = {fmt(self.args)!r}, kwargs = {{{kw}}})")


class _Ref:
    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text

