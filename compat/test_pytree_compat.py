"""torch.utils._pytree vs torch's own: leaves, TreeSpec reprs, key paths, map and serialization."""
from __future__ import annotations

import collections
import importlib

import pytest

P = collections.namedtuple("P", "x y")


def _pt(lib):
    return importlib.import_module(lib.__name__ + ".utils._pytree")


def _tree(lib):
    return {"b": [1, (2.5, None)], "a": lib.arange(3.0), "c": collections.OrderedDict(z=1, x=2),
            "d": collections.defaultdict(list, {"k": [3]}), "e": collections.deque([4, 5], maxlen=3),
            "f": lib.Size([2, 3]), "g": P(lib.ones(1), "s"), "h": lib.ones(2, 3).max(0), "i": [],
            "j": {}, "k": ()}


def _flatten(lib):
    leaves, spec = _pt(lib).tree_flatten(_tree(lib))
    return [repr(spec).replace("torch.", "").replace("jtorch.", ""), len(leaves),
            [type(x).__name__ for x in leaves], spec.num_leaves, spec.num_nodes, spec.num_children]


def _roundtrip(lib):
    pt = _pt(lib)
    t = _tree(lib)
    back = pt.tree_unflatten(*pt.tree_flatten(t))
    return [repr(back[k]) == repr(t[k]) for k in t] + [type(back["g"]).__name__, str(back["f"])]


def _paths(lib):
    pt = _pt(lib)
    pairs, _ = pt.tree_flatten_with_path(_tree(lib))
    return [pt.keystr(kp) for kp, _ in pairs] + [repr(pairs[3][0])]


def _map(lib):
    pt = _pt(lib)
    t = {"w": [1, 2.0, lib.ones(2)], "v": (3, "s")}
    a = pt.tree_map(lambda x: x * 2 if isinstance(x, (int, float)) else x, t)
    b = pt.tree_map_only(lib.Tensor, lambda x: x + 1, t)
    c = pt.tree_map_only((int, str), lambda x: x * 3, t)
    d = pt.tree_map(lambda x, y: (x, y), [1, (2, 3)], [4, (5, 6)])
    return [repr(a), repr(b["w"][2]), repr(c), repr(d), pt.tree_all(lambda x: x is not None, t),
            pt.tree_any_only(str, lambda s: s == "s", t), pt.tree_leaves([[], {"a": None}])]


def _custom_node(lib):
    pt = _pt(lib)

    class Pair:
        def __init__(self, a, b):
            self.a, self.b = a, b
    pt.register_pytree_node(Pair, lambda p: ([p.a, p.b], "ctx"), lambda v, c: Pair(*v),
                            flatten_with_keys_fn=lambda p: ([(pt.GetAttrKey("a"), p.a),
                                                             (pt.GetAttrKey("b"), p.b)], "ctx"))
    try:
        leaves, spec = pt.tree_flatten([Pair(1, [2])])
        back = pt.tree_unflatten([10, 20], spec)
        paths = [pt.keystr(k) for k, _ in pt.tree_flatten_with_path([Pair(1, [2])])[0]]
        twice = "ok"
        try:
            pt.register_pytree_node(Pair, lambda p: ([], None), lambda v, c: Pair(0, 0))
        except ValueError:
            twice = "ValueError"
        return [leaves, repr(spec), back[0].a, back[0].b, paths, twice, Pair in pt.SUPPORTED_NODES]
    finally:
        pt._deregister_pytree_node(Pair)


def _errors(lib):
    pt = _pt(lib)
    out = []
    for f in (lambda: pt.tree_unflatten([1, 2], pt.tree_structure([0])),
              lambda: pt.tree_map(lambda x, y: x, [1, 2], (1, 2)),
              lambda: pt.tree_map(lambda x, y: x, [1, 2], [1]),
              lambda: pt.tree_unflatten([1], "not a spec")):
        try:
            f()
            out.append("no error")
        except Exception as e:  # noqa: BLE001 - the type is what is compared
            out.append(type(e).__name__)
    return out


def _specs(lib):
    pt = _pt(lib)
    s = pt.tree_structure({"a": [1, 2]})
    return [s == pt.tree_structure({"a": [5, 6]}), s == pt.tree_structure({"b": [1, 2]}),
            s.is_leaf(), pt.tree_structure(3).is_leaf(), repr(pt.LeafSpec()),
            pt.LeafSpec() == pt.tree_structure(None), repr(s.flatten_up_to({"a": [[1], 2]})),
            pt.treespec_dumps(pt.tree_structure([1, {"a": 2}, (3,), collections.OrderedDict(b=1)])),
            repr(pt.treespec_loads(pt.treespec_dumps(s))) == repr(s),
            pt.is_namedtuple(P(1, 2)), pt.is_structseq(lib.ones(2).max(0)),
            pt.tree_leaves([1, [2, 3]], is_leaf=lambda x: isinstance(x, list) and len(x) == 2)]


def _private_helpers(lib):
    # transformers imports these private names
    pt = _pt(lib)
    d = {"b": 1, "a": 2}
    vals, ctx = pt._dict_flatten(d)
    return [vals, ctx, repr(pt._dict_flatten_with_keys(d)[0]), pt._dict_unflatten([5, 6], ctx),
            pt._list_flatten([1, 2]), repr(pt._tuple_unflatten([1, 2], None)),
            repr(pt._defaultdict_unflatten([3], [list, ["k"]])),
            repr(pt._deque_unflatten([1, 2], 5)), pt._namedtuple_flatten(P(1, 2))[0],
            pt._namedtuple_unflatten([3, 4], P).y, repr(pt._ordereddict_flatten(collections.OrderedDict(z=1)))]


CASES = {"private_helpers": _private_helpers, "flatten": _flatten, "roundtrip": _roundtrip, "paths": _paths, "map": _map,
         "custom_node": _custom_node, "errors": _errors, "specs": _specs}


@pytest.mark.parametrize("name", sorted(CASES))
def test_pytree(compat, name):
    compat.value(CASES[name])
