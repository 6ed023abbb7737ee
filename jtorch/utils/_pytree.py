"""Matches `torch.utils._pytree`: flatten/unflatten nested containers of Tensors.

Pure Python, with torch's semantics rather than `jax.tree_util`'s: dict keys keep insertion
order (not sorted), `None` and Tensors are leaves, namedtuples, OrderedDict, defaultdict,
deque and `torch.Size` are nodes. jtorch's `torch.return_types` results (namedtuples there)
flatten like torch's structseqs: `TreeSpec(max, None, [...])`.
"""
from __future__ import annotations

import dataclasses
import json
import warnings
from collections import OrderedDict, defaultdict, deque, namedtuple
from typing import Any, Callable, NamedTuple

PyTree = Any
Context = Any
FlattenFunc = Callable[[PyTree], "tuple[list, Context]"]
UnflattenFunc = Callable[[list, Context], PyTree]


class NodeDef(NamedTuple):
    type: type
    flatten_fn: Callable
    unflatten_fn: Callable
    flatten_with_keys_fn: Callable | None


SUPPORTED_NODES: dict[Any, NodeDef] = {}
SERIALIZED_TYPE_TO_PYTHON_TYPE: dict[str, Any] = {}
SUPPORTED_SERIALIZED_TYPES: dict[Any, str] = {}


# ---- key paths ----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class SequenceKey:
    idx: int

    def __str__(self):
        return f"[{self.idx!r}]"

    def get(self, sequence):
        return sequence[self.idx]


@dataclasses.dataclass(frozen=True)
class MappingKey:
    key: Any

    def __str__(self):
        return f"[{self.key!r}]"

    def get(self, mapping):
        return mapping[self.key]


@dataclasses.dataclass(frozen=True)
class GetAttrKey:
    name: str

    def __str__(self):
        return f".{self.name}"

    def get(self, obj):
        return getattr(obj, self.name)


KeyEntry = Any
KeyPath = tuple


def keystr(kp: KeyPath) -> str:
    """The key path as a string, e.g. `['a'][0].x`."""
    return "".join(str(k) for k in kp)


def key_get(obj, kp: KeyPath):
    """The value at key path `kp` inside `obj`."""
    for k in kp:
        obj = k.get(obj)
    return obj


# ---- registration -------------------------------------------------------------------------

def _register(cls, flatten_fn, unflatten_fn, flatten_with_keys_fn=None, serialized_type_name=None):
    if cls in SUPPORTED_NODES:
        raise ValueError(f"{cls} is already registered as pytree node.")
    SUPPORTED_NODES[cls] = NodeDef(cls, flatten_fn, unflatten_fn, flatten_with_keys_fn)
    name = serialized_type_name or f"{getattr(cls, '__module__', '')}.{getattr(cls, '__qualname__', cls)}"
    SERIALIZED_TYPE_TO_PYTHON_TYPE[name] = cls
    SUPPORTED_SERIALIZED_TYPES[cls] = name


def register_pytree_node(cls, flatten_fn, unflatten_fn, *, serialized_type_name=None,
                         to_dumpable_context=None, from_dumpable_context=None,
                         flatten_with_keys_fn=None) -> None:
    """Matches `torch.utils._pytree.register_pytree_node`."""
    _register(cls, flatten_fn, unflatten_fn, flatten_with_keys_fn, serialized_type_name)


def _register_pytree_node(cls, flatten_fn, unflatten_fn, to_str_fn=None, maybe_from_str_fn=None, *,
                          serialized_type_name=None, to_dumpable_context=None,
                          from_dumpable_context=None, flatten_with_keys_fn=None) -> None:
    """Matches the deprecated `torch.utils._pytree._register_pytree_node`."""
    warnings.warn("`torch.utils._pytree._register_pytree_node` is deprecated. Please use "
                  "`torch.utils._pytree.register_pytree_node` instead.", FutureWarning, stacklevel=2)
    _register(cls, flatten_fn, unflatten_fn, flatten_with_keys_fn, serialized_type_name)


def _deregister_pytree_node(cls) -> None:
    SUPPORTED_NODES.pop(cls, None)
    name = SUPPORTED_SERIALIZED_TYPES.pop(cls, None)
    SERIALIZED_TYPE_TO_PYTHON_TYPE.pop(name, None)


def register_dataclass(cls, *, field_names=None, drop_field_names=None, serialized_type_name=None):
    """Matches `torch.utils._pytree.register_dataclass` (fields are the children)."""
    if field_names is None:
        drop = set(drop_field_names or ())
        field_names = [f.name for f in dataclasses.fields(cls) if f.init and f.name not in drop]
    names = list(field_names)

    def flatten(obj):
        return [getattr(obj, n) for n in names], names

    def unflatten(values, ctx):
        return cls(**dict(zip(ctx, values)))

    def flatten_with_keys(obj):
        return [(GetAttrKey(n), getattr(obj, n)) for n in names], names
    _register(cls, flatten, unflatten, flatten_with_keys, serialized_type_name)
    return cls


# ---- the built-in nodes -------------------------------------------------------------------

def is_namedtuple_class(cls) -> bool:
    return (isinstance(cls, type) and issubclass(cls, tuple)
            and isinstance(getattr(cls, "_fields", None), tuple) and hasattr(cls, "_make"))


def is_namedtuple_instance(obj) -> bool:
    return is_namedtuple_class(type(obj))


is_namedtuple = is_namedtuple_instance


def is_structseq_class(cls) -> bool:
    """True for torch's `torch.return_types` classes (namedtuples in jtorch)."""
    return is_namedtuple_class(cls) and cls.__module__ == "torch.return_types"


def is_structseq_instance(obj) -> bool:
    return is_structseq_class(type(obj))


is_structseq = is_structseq_instance


def _seq_keys(xs):
    return [(SequenceKey(i), x) for i, x in enumerate(xs)]


def _dict_keys(d):
    return [(MappingKey(k), v) for k, v in d.items()]


# The built-in nodes' functions, under torch's (private, but imported by libraries) names.
def _tuple_flatten(d):
    return list(d), None


def _tuple_flatten_with_keys(d):
    return _seq_keys(d), None


def _tuple_unflatten(values, context):
    return tuple(values)


def _list_flatten(d):
    return list(d), None


def _list_flatten_with_keys(d):
    return _seq_keys(d), None


def _list_unflatten(values, context):
    return list(values)


def _dict_flatten(d):
    return list(d.values()), list(d.keys())


def _dict_flatten_with_keys(d):
    return _dict_keys(d), list(d.keys())


def _dict_unflatten(values, context):
    return dict(zip(context, values))


def _namedtuple_flatten(d):
    return list(d), type(d)


def _namedtuple_flatten_with_keys(d):
    return [(GetAttrKey(f), x) for f, x in zip(type(d)._fields, d)], type(d)


def _namedtuple_unflatten(values, context):
    return context(*values)


def _ordereddict_flatten(d):
    return list(d.values()), list(d.keys())


def _ordereddict_flatten_with_keys(d):
    return _dict_keys(d), list(d.keys())


def _ordereddict_unflatten(values, context):
    return OrderedDict(zip(context, values))


_odict_flatten, _odict_unflatten = _ordereddict_flatten, _ordereddict_unflatten


def _defaultdict_flatten(d):
    return list(d.values()), [d.default_factory, list(d.keys())]


def _defaultdict_flatten_with_keys(d):
    return _dict_keys(d), [d.default_factory, list(d.keys())]


def _defaultdict_unflatten(values, context):
    return defaultdict(context[0], zip(context[1], values))


def _deque_flatten(d):
    return list(d), d.maxlen


def _deque_flatten_with_keys(d):
    return _seq_keys(d), d.maxlen


def _deque_unflatten(values, context):
    return deque(values, maxlen=context)


for _cls, _name, _tag in ((tuple, "tuple", "builtins.tuple"), (list, "list", "builtins.list"),
                          (dict, "dict", "builtins.dict"),
                          (namedtuple, "namedtuple", "collections.namedtuple"),
                          (OrderedDict, "ordereddict", "collections.OrderedDict"),
                          (defaultdict, "defaultdict", "collections.defaultdict"),
                          (deque, "deque", "collections.deque")):
    _register(_cls, globals()[f"_{_name}_flatten"], globals()[f"_{_name}_unflatten"],
              globals()[f"_{_name}_flatten_with_keys"], _tag)
del _cls, _name, _tag


def _register_size():
    from .._tensor import Size
    # torch unflattens a Size to a plain tuple.
    _register(Size, lambda s: (list(s), None), lambda v, c: tuple(v),
              lambda s: (_seq_keys(s), None), "torch.Size")


_register_size()


def _structseq_def(cls) -> NodeDef:
    return NodeDef(cls, lambda t: (list(t), None), lambda v, c: cls(*v),
                   lambda t: (_seq_keys(t), None))


def _get_node_type(tree) -> Any:
    cls = type(tree)
    if cls in SUPPORTED_NODES:
        return cls
    if is_namedtuple_class(cls):
        return cls if is_structseq_class(cls) else namedtuple
    return cls


def _node_def(tree) -> NodeDef | None:
    cls = type(tree)
    nd = SUPPORTED_NODES.get(cls)
    if nd is not None:
        return nd
    if is_namedtuple_class(cls):
        return _structseq_def(cls) if is_structseq_class(cls) else SUPPORTED_NODES[namedtuple]
    return None


def _is_leaf(tree, is_leaf=None) -> bool:
    return (is_leaf is not None and is_leaf(tree)) or _node_def(tree) is None


tree_is_leaf = _is_leaf


# ---- TreeSpec -----------------------------------------------------------------------------

class TreeSpec:
    """Matches `torch.utils._pytree.TreeSpec`: a node's type, context and children's specs."""

    def __init__(self, type: Any, context: Context, children_specs: list) -> None:
        self.type = type
        self._context = context
        self._children = list(children_specs)
        self.num_children = len(self._children)
        if type is None:
            self.num_leaves, self.num_nodes = 1, 1
        else:
            self.num_leaves = sum(c.num_leaves for c in self._children)
            self.num_nodes = 1 + sum(c.num_nodes for c in self._children)

    @property
    def context(self):
        return self._context

    @property
    def children_specs(self):
        return self._children

    def children(self) -> list:
        return list(self._children)

    def child(self, index: int) -> "TreeSpec":
        return self._children[index]

    def is_leaf(self) -> bool:
        return self.type is None

    def __eq__(self, other):
        if not isinstance(other, TreeSpec):
            return NotImplemented
        return (self.type == other.type and self._context == other._context
                and self._children == other._children)

    def __hash__(self):
        return hash((self.type, repr(self._context), tuple(self._children)))

    def __repr__(self, indent: int = 0) -> str:
        if self.type is None:
            return "*"
        name = "namedtuple" if self.type is namedtuple else self.type.__name__
        out = f"TreeSpec({name}, {self._context}, ["
        if self._children:
            indent += 2
            out += self._children[0].__repr__(indent)
            out += "," if len(self._children) > 1 else ""
            out += ",".join("\n" + " " * indent + c.__repr__(indent) for c in self._children[1:])
        return out + "])"

    def flatten_up_to(self, tree) -> list:
        """The subtrees of `tree` at this spec's leaves (`tree` must match the spec's nodes)."""
        out: list = []
        self._flatten_up_to(tree, out)
        return out

    def _flatten_up_to(self, tree, out):
        if self.type is None:
            out.append(tree)
            return
        if _get_node_type(tree) != self.type:
            raise ValueError(f"Type mismatch; expected {self.type!r}, but got {type(tree)!r}.")
        children, ctx = _node_def(tree).flatten_fn(tree)
        if len(children) != self.num_children:
            raise ValueError(f"Node arity mismatch; expected {self.num_children}, but got "
                             f"{len(children)}.")
        if ctx != self._context:
            raise ValueError(f"Node context mismatch for custom node type {self.type!r}.")
        for c, spec in zip(children, self._children):
            spec._flatten_up_to(c, out)

    def unflatten(self, leaves) -> PyTree:
        leaves = list(leaves)
        if len(leaves) != self.num_leaves:
            raise ValueError(f"treespec.unflatten(leaves): `leaves` has length {len(leaves)} but the "
                             f"spec refers to a pytree that holds {self.num_leaves} items ({self}).")
        return self._build(iter(leaves))

    def _build(self, it):
        if self.type is None:
            return next(it)
        children = [c._build(it) for c in self._children]
        if self.type is namedtuple:
            return self._context(*children)
        nd = SUPPORTED_NODES.get(self.type) or _structseq_def(self.type)
        return nd.unflatten_fn(children, self._context)


class LeafSpec(TreeSpec):
    """Matches `torch.utils._pytree.LeafSpec` (the spec of one leaf, shown as `*`)."""

    def __init__(self) -> None:
        super().__init__(None, None, [])


_LEAF_SPEC = LeafSpec()


def treespec_leaf() -> TreeSpec:
    return LeafSpec()


def treespec_tuple(elements=()) -> TreeSpec:
    return TreeSpec(tuple, None, list(elements))


def treespec_dict(mapping=(), **kwargs) -> TreeSpec:
    d = dict(mapping, **kwargs)
    return TreeSpec(dict, list(d.keys()), list(d.values()))


# ---- flatten / unflatten / map ------------------------------------------------------------

def _flatten(tree, is_leaf, leaves) -> TreeSpec:
    if _is_leaf(tree, is_leaf):
        leaves.append(tree)
        return _LEAF_SPEC
    children, ctx = _node_def(tree).flatten_fn(tree)
    specs = [_flatten(c, is_leaf, leaves) for c in children]
    return TreeSpec(_get_node_type(tree), ctx, specs)


def tree_flatten(tree: PyTree, is_leaf=None) -> tuple[list, TreeSpec]:
    """Matches `torch.utils._pytree.tree_flatten`."""
    leaves: list = []
    return leaves, _flatten(tree, is_leaf, leaves)


def tree_unflatten(leaves, treespec: TreeSpec) -> PyTree:
    """Matches `torch.utils._pytree.tree_unflatten`."""
    if not isinstance(treespec, TreeSpec):
        raise TypeError(f"tree_unflatten(leaves, treespec): Expected `treespec` to be instance of "
                        f"TreeSpec but got item of type {type(treespec)}.")
    return treespec.unflatten(leaves)


def tree_iter(tree: PyTree, is_leaf=None):
    if _is_leaf(tree, is_leaf):
        yield tree
        return
    for c in _node_def(tree).flatten_fn(tree)[0]:
        yield from tree_iter(c, is_leaf)


def tree_leaves(tree: PyTree, is_leaf=None) -> list:
    return list(tree_iter(tree, is_leaf))


def arg_tree_leaves(*args, **kwargs) -> list:
    return tree_leaves(args) + tree_leaves(kwargs)


def tree_structure(tree: PyTree, is_leaf=None) -> TreeSpec:
    return tree_flatten(tree, is_leaf)[1]


def tree_map(func, tree: PyTree, *rests, is_leaf=None) -> PyTree:
    """Matches `torch.utils._pytree.tree_map` (`rests` must have `tree`'s structure above its leaves)."""
    leaves, spec = tree_flatten(tree, is_leaf)
    flat = [leaves] + [spec.flatten_up_to(r) for r in rests]
    return spec.unflatten(func(*xs) for xs in zip(*flat))


def tree_map_(func, tree: PyTree, *rests, is_leaf=None) -> PyTree:
    """Matches `torch.utils._pytree.tree_map_` (calls `func` for its effects, returns `tree`)."""
    leaves, spec = tree_flatten(tree, is_leaf)
    flat = [leaves] + [spec.flatten_up_to(r) for r in rests]
    for xs in zip(*flat):
        func(*xs)
    return tree


def _type_pred(type_or_types_or_pred):
    if isinstance(type_or_types_or_pred, (type, tuple)) or (
            not callable(type_or_types_or_pred) and hasattr(type_or_types_or_pred, "__args__")):
        types = type_or_types_or_pred
        return lambda x: isinstance(x, types)
    if hasattr(type_or_types_or_pred, "__args__"):  # int | float
        return lambda x: isinstance(x, type_or_types_or_pred)
    if callable(type_or_types_or_pred):
        return type_or_types_or_pred
    raise TypeError("Argument must be a type, a tuple of types, or a callable.")


def map_only(type_or_types_or_pred, /):
    """Decorator: apply the function only to values of the given types (others pass through)."""
    pred = _type_pred(type_or_types_or_pred)

    def wrapper(func):
        def wrapped(x):
            return func(x) if pred(x) else x
        return wrapped
    return wrapper


def tree_map_only(type_or_types_or_pred, /, func, tree: PyTree, is_leaf=None) -> PyTree:
    return tree_map(map_only(type_or_types_or_pred)(func), tree, is_leaf=is_leaf)


def tree_map_only_(type_or_types_or_pred, /, func, tree: PyTree, is_leaf=None) -> PyTree:
    return tree_map_(map_only(type_or_types_or_pred)(func), tree, is_leaf=is_leaf)


def tree_all(pred, tree: PyTree, is_leaf=None) -> bool:
    return all(map(pred, tree_iter(tree, is_leaf)))


def tree_any(pred, tree: PyTree, is_leaf=None) -> bool:
    return any(map(pred, tree_iter(tree, is_leaf)))


def tree_all_only(type_or_types, pred, tree: PyTree, is_leaf=None) -> bool:
    p = _type_pred(type_or_types)
    return all(pred(x) for x in tree_iter(tree, is_leaf) if p(x))


def tree_any_only(type_or_types, pred, tree: PyTree, is_leaf=None) -> bool:
    p = _type_pred(type_or_types)
    return any(pred(x) for x in tree_iter(tree, is_leaf) if p(x))


# ---- key paths ----------------------------------------------------------------------------

def _keyed_children(tree):
    nd = _node_def(tree)
    if nd.flatten_with_keys_fn is not None:
        return nd.flatten_with_keys_fn(tree)[0]
    raise ValueError(f"Did not find a flatten_with_keys_fn for type: {type(tree)}. Please pass a "
                     "flatten_with_keys_fn argument to register_pytree_node.")


def _with_path(tree, is_leaf, path, out):
    if _is_leaf(tree, is_leaf):
        out.append((path, tree))
        return
    for k, c in _keyed_children(tree):
        _with_path(c, is_leaf, path + (k,), out)


def tree_flatten_with_path(tree: PyTree, is_leaf=None) -> tuple[list, TreeSpec]:
    """Matches `torch.utils._pytree.tree_flatten_with_path`: ([(key path, leaf)], spec)."""
    out: list = []
    _with_path(tree, is_leaf, (), out)
    return out, tree_structure(tree, is_leaf)


def tree_leaves_with_path(tree: PyTree, is_leaf=None) -> list:
    out: list = []
    _with_path(tree, is_leaf, (), out)
    return out


def tree_map_with_path(func, tree: PyTree, *rests, is_leaf=None) -> PyTree:
    pairs, spec = tree_flatten_with_path(tree, is_leaf)
    flat = [spec.flatten_up_to(r) for r in rests]
    return spec.unflatten(func(kp, x, *xs) for (kp, x), *xs in zip(pairs, *flat))


# ---- serialization ------------------------------------------------------------------------

DEFAULT_TREESPEC_SERIALIZATION_PROTOCOL = 1


def _to_json(spec: TreeSpec) -> dict:
    if spec.type is None:
        return {"type": None, "context": None, "children_spec": []}
    if spec.type not in SUPPORTED_SERIALIZED_TYPES:
        raise NotImplementedError(f"Serializing {spec.type} in pytree is not registered.")
    ctx = spec.context
    if spec.type is namedtuple:
        ctx = list(ctx._fields)
    elif spec.type is defaultdict:
        f = ctx[0]
        ctx = {"default_factory_module": f.__module__, "default_factory_name": f.__qualname__,
               "dict_context": ctx[1]}
    return {"type": SUPPORTED_SERIALIZED_TYPES[spec.type], "context": json.dumps(ctx),
            "children_spec": [_to_json(c) for c in spec.children_specs]}


def treespec_dumps(treespec: TreeSpec, protocol: int | None = None) -> str:
    """Matches `torch.utils._pytree.treespec_dumps` (JSON; namedtuples by field names)."""
    return json.dumps([protocol or DEFAULT_TREESPEC_SERIALIZATION_PROTOCOL, _to_json(treespec)])


def _from_json(d) -> TreeSpec:
    if d["type"] is None:
        return LeafSpec()
    cls = SERIALIZED_TYPE_TO_PYTHON_TYPE[d["type"]]
    ctx = json.loads(d["context"])
    if cls is namedtuple:
        ctx = namedtuple("_NamedTuple", ctx)
    elif cls is defaultdict:
        import importlib
        mod = importlib.import_module(ctx["default_factory_module"])
        ctx = [getattr(mod, ctx["default_factory_name"]), ctx["dict_context"]]
    return TreeSpec(cls, ctx, [_from_json(c) for c in d["children_spec"]])


def treespec_loads(serialized: str) -> TreeSpec:
    protocol, data = json.loads(serialized)
    if protocol != DEFAULT_TREESPEC_SERIALIZATION_PROTOCOL:
        raise ValueError(f"Unknown protocol {protocol}.")
    return _from_json(data)


def treespec_pprint(treespec: TreeSpec) -> str:
    return repr(treespec)
