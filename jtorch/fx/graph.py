"""Matches `torch.fx.graph`: `Graph` (an ordered list of Nodes), naming and Python codegen."""
from __future__ import annotations

import builtins
import contextlib
import inspect
import keyword
import math
import operator
import re

from .node import Node, _qualified_name, map_arg

_SUFFIX = re.compile(r"(.*)_(\d+)$")


def _snake_case(s: str) -> str:
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


class _Namespace:
    """Unique, legal Python names for nodes (torch's scheme: `add`, `add_1`, `sum_1`, ...)."""

    def __init__(self):
        self._used: set = set()
        self._base_count: dict = {}

    @staticmethod
    def _illegal(name: str) -> bool:
        return keyword.iskeyword(name) or name in builtins.__dict__ or name in ("torch", "inf", "nan",
                                                                                "device", "operator")

    def create_name(self, candidate: str) -> str:
        candidate = re.sub(r"[^0-9a-zA-Z_]+", "_", candidate) or "_unnamed"
        if candidate[0].isdigit():
            candidate = f"_{candidate}"
        if candidate in self._used or self._illegal(candidate):
            m = _SUFFIX.match(candidate)
            base, num = (candidate, None) if m is None else (m.group(1), int(m.group(2)))
            candidate = base if num is None else f"{base}_{num}"
            num = num or self._base_count.get(base, 0)
            while candidate in self._used or self._illegal(candidate):
                num += 1
                candidate = f"{base}_{num}"
            self._base_count[base] = num
        self._used.add(candidate)
        return candidate


class PythonCode:
    """The generated source of a graph (`src`) and the globals it needs."""

    def __init__(self, src: str, globals_: dict):
        self.src, self.globals = src, globals_


class Graph:
    """Matches `torch.fx.Graph`."""

    def __init__(self, owning_module=None, tracer_cls=None, tracer_extras=None):
        self._nodes: list[Node] = []
        self._ns = _Namespace()
        self._insert = None  # (node, "before"/"after") or None for the end
        self._root = Node(self, "_root", "root", "", (), {})
        self.owning_module = owning_module
        self._tracer_cls = tracer_cls
        self._codegen_globals: dict = {}

    def __getstate__(self):
        d = dict(self.__dict__)
        d["owning_module"] = None  # set again by the GraphModule that unpickles it
        return d

    @property
    def nodes(self) -> list:
        """The nodes in order (a copy: erasing while iterating is safe)."""
        return list(self._nodes)

    def find_nodes(self, *, op: str, target=None, sort: bool = True) -> list:
        return [n for n in self._nodes if n.op == op and (target is None or n.target is target
                                                          or n.target == target)]

    # -- building -----------------------------------------------------------------------------

    def create_node(self, op: str, target, args=None, kwargs=None, name=None, type_expr=None) -> Node:
        args, kwargs = tuple(args or ()), dict(kwargs or {})
        for n in map_arg_nodes((args, kwargs)):
            if n.graph is not self:
                raise RuntimeError(f"Argument '{n}' of Node '{name or target}' was used before it "
                                   "was defined in this graph (it belongs to another graph)")
        candidate = name or self._target_to_str(op, target)
        node = Node(self, self._ns.create_name(candidate), op, target, args, kwargs, type_expr)
        if self._insert is None:
            self._nodes.append(node)
        else:
            ref, where = self._insert
            i = self._nodes.index(ref) + (1 if where == "after" else 0)
            self._nodes.insert(i, node)
            if where == "after":
                self._insert = (node, "after")
        return node

    @staticmethod
    def _target_to_str(op, target) -> str:
        if op == "call_function":
            return _snake_case(getattr(target, "__name__", None) or "fn")
        if op == "output":
            return "output"
        return _snake_case(str(target)).replace(".", "_")

    def placeholder(self, name: str, type_expr=None, default_value=inspect.Signature.empty) -> Node:
        args = () if default_value is inspect.Signature.empty else (default_value,)
        return self.create_node("placeholder", name, args, {}, name=name, type_expr=type_expr)

    def get_attr(self, qualified_name: str, type_expr=None) -> Node:
        return self.create_node("get_attr", qualified_name, type_expr=type_expr)

    def call_module(self, module_name: str, args=None, kwargs=None, type_expr=None) -> Node:
        return self.create_node("call_module", module_name, args, kwargs, type_expr=type_expr)

    def call_method(self, method_name: str, args=None, kwargs=None, type_expr=None) -> Node:
        return self.create_node("call_method", method_name, args, kwargs, type_expr=type_expr)

    def call_function(self, the_function, args=None, kwargs=None, type_expr=None) -> Node:
        return self.create_node("call_function", the_function, args, kwargs, type_expr=type_expr)

    def output(self, result, type_expr=None) -> Node:
        return self.create_node("output", "output", (result,), type_expr=type_expr)

    def node_copy(self, node: Node, arg_transform=lambda x: x) -> Node:
        args, kwargs = map_arg((node.args, node.kwargs), arg_transform)
        n = self.create_node(node.op, node.target, args, kwargs, node.name, node.type)
        n.meta = dict(node.meta)
        return n

    def graph_copy(self, g: "Graph", val_map: dict, return_output_node=False):
        out = None
        for node in g._nodes:
            if node.op == "output":
                out = map_arg(node.args[0], lambda n: val_map[n])
                continue
            val_map[node] = self.node_copy(node, lambda n: val_map[n])
        return out

    @contextlib.contextmanager
    def inserting_before(self, n: Node | None = None):
        old = self._insert
        self._insert = None if n is None else (n, "before")
        try:
            yield
        finally:
            self._insert = old

    @contextlib.contextmanager
    def inserting_after(self, n: Node | None = None):
        old = self._insert
        self._insert = None if n is None else (n, "after")
        try:
            yield
        finally:
            self._insert = old

    def erase_node(self, to_erase: Node) -> None:
        if to_erase.users:
            raise RuntimeError(f"Tried to erase Node {to_erase} but it still had {len(to_erase.users)} "
                               f"users in the graph: {to_erase.users}!")
        if to_erase.graph is not self or to_erase not in self._nodes:
            raise RuntimeError(f"Attempting to remove {to_erase} from wrong graph!")
        to_erase._update_args_kwargs((), {})
        self._nodes.remove(to_erase)
        to_erase._erased = True

    def eliminate_dead_code(self, is_impure_node=None) -> bool:
        """Remove nodes without users (placeholders, outputs and in-place calls stay)."""
        changed = False
        for node in reversed(self._nodes):
            impure = is_impure_node(node) if is_impure_node is not None else node.is_impure()
            if not impure and not node.users:
                self.erase_node(node)
                changed = True
        return changed

    def lint(self) -> None:
        seen = set()
        for n in self._nodes:
            for a in n.all_input_nodes:
                if a not in seen:
                    raise RuntimeError(f"Argument '{a}' of Node '{n}' was used before it has been defined!")
            seen.add(n)

    # -- printing and codegen -------------------------------------------------------------------

    def __str__(self):
        lines = ["graph():"] + ["    " + n.format_node() for n in self._nodes]
        return "\n".join(lines)

    def print_tabular(self) -> None:
        """Print the nodes as a table (opcode, name, target, args, kwargs)."""
        rows = [["opcode", "name", "target", "args", "kwargs"]]
        rows += [[n.op, n.name, n._pretty_target() if n.op == "call_function" else str(n.target),
                  str(n.args), str(n.kwargs)] for n in self._nodes]
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        print(fmt.format(*rows[0]))
        print(fmt.format(*["-" * w for w in widths]))
        for r in rows[1:]:
            print(fmt.format(*r))

    def python_code(self, root_module: str = "self") -> PythonCode:
        import jtorch
        globals_ = {"torch": jtorch, "operator": operator, "inf": math.inf, "nan": math.nan,
                    "device": jtorch.device, "getattr": getattr}
        consts: dict = {}

        def const_name(v) -> str:
            key = id(v)
            if key not in consts:
                consts[key] = f"_fx_const_{len(consts)}"
                globals_[consts[key]] = v
            return consts[key]

        def fn_name(fn) -> str:
            q = _qualified_name(fn).removeprefix("builtins.")
            try:
                if eval(q, dict(globals_)) is fn:  # noqa: S307 - our own generated names
                    return q
            except Exception:  # noqa: BLE001 - not reachable by that name: pass it as a global
                pass
            return const_name(fn)

        def render(a) -> str:
            if isinstance(a, Node):
                return a.name
            if isinstance(a, tuple) and not hasattr(a, "_fields"):
                inner = ", ".join(render(e) for e in a)
                return f"({inner},)" if len(a) == 1 else f"({inner})"
            if isinstance(a, list):
                return "[" + ", ".join(render(e) for e in a) + "]"
            if isinstance(a, dict):
                return "{" + ", ".join(f"{k!r}: {render(v)}" for k, v in a.items()) + "}"
            if isinstance(a, slice):
                return f"slice({render(a.start)}, {render(a.stop)}, {render(a.step)})"
            if a is None or a is Ellipsis or isinstance(a, (bool, int, str)):
                return repr(a)
            if isinstance(a, float):
                return repr(a) if math.isfinite(a) else ("inf" if a > 0 else "-inf" if a < 0 else "nan")
            if type(a).__name__ in ("dtype", "device") and type(a).__module__.startswith("jtorch"):
                return repr(a)  # `torch.float32`, `device(type='cpu')`: names the globals hold
            return const_name(a)

        def attr_path(target: str) -> str:
            out = root_module
            for p in target.split("."):
                out = f"{out}.{p}" if p.isidentifier() and not keyword.iskeyword(p) else f'getattr({out}, "{p}")'
            return out

        # Free each value after its last use (as torch's code does: `;  x = None`), so eager
        # execution of a GraphModule does not keep every intermediate alive until it returns.
        last_use: dict = {}
        for n in self._nodes:
            for a in n.all_input_nodes:
                last_use[a] = n
        frees: dict = {}
        for n in self._nodes:
            if n.op == "output":
                continue
            frees[n] = [a.name for a in n.all_input_nodes if last_use[a] is n]
            if not n.users and n.op != "placeholder":
                frees[n].append(n.name)
        params, body = [], []
        for n in self._nodes:
            n_before = len(body)
            self._emit(n, body, params, render, fn_name, attr_path)
            if frees.get(n) and len(body) > n_before:
                body[-1] += ";  " + " = ".join(frees[n]) + " = None"
        if not body or not body[-1].startswith("return"):
            body.append("return None")
        src = f"\n\n\ndef forward({', '.join([root_module] + params)}):\n" + \
              "".join(f"    {line}\n" for line in body) + "    "  # torch's layout
        return PythonCode(src, globals_)

    def _emit(self, n, body, params, render, fn_name, attr_path):
        """Append the statement for node `n` to `body` (placeholders go to `params`)."""
        if n.op == "placeholder":
            t = n.target
            params.append(f"{t} = {render(n.args[0])}" if n.args else t)
            if t.startswith("*"):
                return
            if t != n.name:
                body.append(f"{n.name} = {t}")
        elif n.op == "get_attr":
            body.append(f"{n.name} = {attr_path(n.target)}")
        elif n.op == "call_module":
            body.append(f"{n.name} = {attr_path(n.target)}({self._call_args(n, render)})")
        elif n.op == "call_method":
            obj, rest = n.args[0], n.args[1:]
            body.append(f"{n.name} = {render(obj)}.{n.target}({self._call_args(n, render, rest)})")
        elif n.op == "call_function":
            body.append(f"{n.name} = {self._render_call(n, render, fn_name)}")
        elif n.op == "output":
            body.append(f"return {render(n.args[0])}")

    @staticmethod
    def _call_args(n, render, args=None) -> str:
        args = n.args if args is None else args
        parts = [render(a) for a in args] + [f"{k} = {render(v)}" for k, v in n.kwargs.items()]
        return ", ".join(parts)

    def _render_call(self, n, render, fn_name) -> str:
        t, a = n.target, n.args
        binary = {operator.add: "+", operator.sub: "-", operator.mul: "*", operator.truediv: "/",
                  operator.floordiv: "//", operator.mod: "%", operator.pow: "**",
                  operator.matmul: "@", operator.and_: "&", operator.or_: "|", operator.xor: "^",
                  operator.lshift: "<<", operator.rshift: ">>", operator.lt: "<", operator.le: "<=",
                  operator.gt: ">", operator.ge: ">=", operator.eq: "==", operator.ne: "!="}
        if t in binary and len(a) == 2 and not n.kwargs:
            return f"{render(a[0])} {binary[t]} {render(a[1])}"
        unary = {operator.neg: "-", operator.pos: "+", operator.invert: "~"}
        if t in unary and len(a) == 1:
            return f"{unary[t]}{render(a[0])}"
        if t is operator.getitem and len(a) == 2:
            return f"{render(a[0])}[{render(a[1])}]"
        if t is getattr and len(a) == 2 and isinstance(a[1], str) and a[1].isidentifier():
            return f"{render(a[0])}.{a[1]}"
        return f"{fn_name(t)}({self._call_args(n, render)})"


def map_arg_nodes(a):
    found = []
    map_arg(a, found.append)
    return found
