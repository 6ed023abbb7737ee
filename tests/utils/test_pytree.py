"""torch.utils._pytree semantics (dict order kept, None and Tensors leaves, container nodes)."""
import collections

import pytest

import jtorch
import jtorch.utils._pytree as pt


def test_dict_order_kept_and_leaves():
    t = {"b": 1, "a": [None, jtorch.ones(2)]}
    leaves, spec = pt.tree_flatten(t)
    assert leaves[0] == 1 and leaves[1] is None and isinstance(leaves[2], jtorch.Tensor)
    assert spec.context == ["b", "a"] and spec.num_leaves == 3 and spec.num_nodes == 5
    assert list(pt.tree_unflatten([7, 8, 9], spec)) == ["b", "a"]


def test_container_nodes_roundtrip():
    P = collections.namedtuple("P", "x y")
    t = [P(1, 2), collections.OrderedDict(b=3), collections.defaultdict(int, {"k": 4}),
         collections.deque([5], maxlen=4)]
    back = pt.tree_map(lambda x: x * 10, t)
    assert back[0] == P(10, 20) and back[1] == collections.OrderedDict(b=30)
    assert back[2].default_factory is int and back[2]["k"] == 40 and back[3].maxlen == 4


def test_key_paths_and_errors():
    pairs, _ = pt.tree_flatten_with_path({"a": [1, {"b": 2}]})
    assert [pt.keystr(k) for k, _ in pairs] == ["['a'][0]", "['a'][1]['b']"]
    assert pt.key_get({"a": [1, {"b": 2}]}, pairs[1][0]) == 2
    with pytest.raises(ValueError, match="holds 1 items"):
        pt.tree_unflatten([1, 2], pt.tree_structure([0]))


def test_map_only_and_register():
    assert pt.tree_map_only(str, str.upper, ["a", 1]) == ["A", 1]

    class Box:
        def __init__(self, v):
            self.v = v
    pt.register_pytree_node(Box, lambda b: ([b.v], None), lambda v, c: Box(v[0]))
    try:
        assert pt.tree_leaves([Box(3)]) == [3]
        with pytest.raises(ValueError, match="already registered"):
            pt.register_pytree_node(Box, lambda b: ([], None), lambda v, c: Box(0))
    finally:
        pt._deregister_pytree_node(Box)
    assert pt.tree_leaves([Box(3)])[0].v == 3
