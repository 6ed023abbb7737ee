"""nn.Module, Parameter, Buffer and containers. Expected values were checked against torch 2.13."""
import copy
import pickle
from collections import OrderedDict

import pytest

import jtorch as torch
import jtorch.nn as nn


class Lin(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(o, i))
        self.bias = nn.Parameter(torch.zeros(o))
        self.register_buffer("count", torch.zeros(1))
        self.register_buffer("tmp", torch.zeros(1), persistent=False)

    def forward(self, x):
        return x @ self.weight.t() + self.bias

    def extra_repr(self):
        return "i=%d, o=%d" % (self.weight.shape[1], self.weight.shape[0])


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = Lin(2, 3)
        self.seq = nn.Sequential(Lin(3, 3), nn.Identity(), nn.Flatten())
        self.b = self.a
        self.ml = nn.ModuleList([Lin(1, 1), Lin(1, 1), Lin(1, 2)])
        self.w = nn.Parameter(torch.ones(2))
        self.buf = nn.Buffer(torch.ones(1))

    def forward(self, x):
        return self.seq(self.a(x))


NET_REPR = """Net(
  (a): Lin(i=2, o=3)
  (seq): Sequential(
    (0): Lin(i=3, o=3)
    (1): Identity()
    (2): Flatten(start_dim=1, end_dim=-1)
  )
  (b): Lin(i=2, o=3)
  (ml): ModuleList(
    (0-1): 2 x Lin(i=1, o=1)
    (2): Lin(i=1, o=2)
  )
)"""


def test_repr():
    assert repr(Net()) == NET_REPR
    assert repr(nn.Sequential()) == "Sequential()"
    assert repr(nn.ModuleList()) == "ModuleList()"
    assert repr(nn.Unflatten(1, (2, 3))) == "Unflatten(dim=1, unflattened_size=(2, 3))"


def test_state_dict_keys_and_metadata():
    n = Net()
    sd = n.state_dict()
    assert list(sd) == ["w", "buf", "a.weight", "a.bias", "a.count", "seq.0.weight", "seq.0.bias",
                        "seq.0.count", "b.weight", "b.bias", "b.count", "ml.0.weight", "ml.0.bias",
                        "ml.0.count", "ml.1.weight", "ml.1.bias", "ml.1.count", "ml.2.weight",
                        "ml.2.bias", "ml.2.count"]
    assert list(sd._metadata) == ["", "a", "seq", "seq.0", "seq.1", "seq.2", "b", "ml", "ml.0",
                                  "ml.1", "ml.2"]
    assert sd._metadata["a"] == {"version": 1}
    assert list(n.a.state_dict(prefix="x.")) == ["x.weight", "x.bias", "x.count"]


def test_state_dict_values_share_memory_and_are_detached():
    n = Net()
    sd = n.state_dict()
    assert type(sd["a.weight"]) is torch.Tensor and not sd["a.weight"].requires_grad
    sd["a.weight"].mul_(3)
    assert n.a.weight.sum().item() == 18.0
    assert n.state_dict(keep_vars=True)["a.weight"] is n.a.weight


def test_named_members_order_and_ties():
    n = Net()
    assert [k for k, _ in n.named_parameters()] == [
        "w", "a.weight", "a.bias", "seq.0.weight", "seq.0.bias", "ml.0.weight", "ml.0.bias",
        "ml.1.weight", "ml.1.bias", "ml.2.weight", "ml.2.bias"]
    dup = [k for k, _ in n.named_parameters(remove_duplicate=False)]
    assert dup[5:7] == ["b.weight", "b.bias"] and len(dup) == 13
    assert [k for k, _ in n.named_parameters(recurse=False)] == ["w"]
    assert [k for k, _ in n.named_buffers()][:3] == ["buf", "a.count", "a.tmp"]
    assert [k for k, _ in n.named_modules()] == ["", "a", "seq", "seq.0", "seq.1", "seq.2", "ml",
                                                 "ml.0", "ml.1", "ml.2"]
    assert [k for k, _ in n.named_children()] == ["a", "seq", "ml"]
    assert len(list(n.parameters())) == 11


def test_load_state_dict_strict_and_errors():
    n = Net()
    sd = n.state_dict()
    sd["extra"] = torch.ones(1)
    del sd["a.bias"]
    r = n.load_state_dict(sd, strict=False)
    assert r.missing_keys == ["a.bias"] and r.unexpected_keys == ["extra"]
    with pytest.raises(RuntimeError) as e:
        n.load_state_dict(sd)
    assert str(e.value) == ('Error(s) in loading state_dict for Net:\n\tMissing key(s) in '
                            'state_dict: "a.bias". \n\tUnexpected key(s) in state_dict: '
                            '"extra". ')
    sd = n.state_dict()
    sd["a.weight"] = torch.ones(5)
    with pytest.raises(RuntimeError, match=r"size mismatch for a.weight: copying a param with shape "
                                           r"torch.Size\(\[5\]\) from checkpoint, the shape in "
                                           r"current model is torch.Size\(\[3, 2\]\)."):
        n.load_state_dict(sd)
    assert str(n.load_state_dict(n.state_dict())) == "<All keys matched successfully>"


def test_load_state_dict_copies_or_assigns():
    n = Net()
    w = n.a.weight
    n.load_state_dict({k: v * 2 for k, v in n.state_dict().items()})
    assert n.a.weight is w and w.sum().item() == 12.0 and w.requires_grad
    n.load_state_dict({k: v + 1 for k, v in n.state_dict().items()}, assign=True)
    assert n.a.weight is not w and type(n.a.weight) is nn.Parameter and n.a.weight.requires_grad


def test_hooks_order_kwargs_prepend_and_removal():
    n = Net()
    log = []
    hs = [n.register_forward_pre_hook(lambda m, a: log.append("pre1")),
          n.register_forward_pre_hook(lambda m, a: log.append("pre0"), prepend=True),
          n.register_forward_hook(lambda m, a, k, o: log.append(("kw", k)), with_kwargs=True),
          n.register_forward_hook(lambda m, a, o: log.append("fwd"))]
    n(torch.ones(2, 2))
    assert log == ["pre0", "pre1", ("kw", {}), "fwd"]
    for h in hs:
        h.remove()
    log.clear()
    n(torch.ones(2, 2))
    assert log == []
    n.register_forward_pre_hook(lambda m, a: (a[0] * 2,))
    n.register_forward_hook(lambda m, a, o: o.sum())
    assert n(torch.ones(1, 2)).item() == 36.0


def test_always_call_hook_runs_when_forward_raises():
    class Bad(nn.Module):
        def forward(self, x):
            raise ValueError("bad")
    m, log = Bad(), []
    m.register_forward_hook(lambda mod, a, o: log.append(("always", o)), always_call=True)
    m.register_forward_hook(lambda mod, a, o: log.append("never"))
    with pytest.raises(ValueError):
        m(1)
    assert log == [("always", None)]


def test_full_backward_hooks():
    m, log = Lin(2, 3), []
    m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 2,))
    m.register_full_backward_hook(lambda mod, gi, go: log.append((gi[0].tolist(), go[0].tolist())))
    x = torch.ones(1, 2, requires_grad=True)
    m(x).sum().backward()
    # torch: grad_output doubled by the pre-hook, grad_input computed from it
    assert log == [([[6.0, 6.0]], [[2.0, 2.0, 2.0]])]
    assert x.grad.tolist() == [[6.0, 6.0]] and m.weight.grad.tolist() == [[2.0, 2.0]] * 3


def test_setattr_routing_and_errors():
    n = Net()
    with pytest.raises(TypeError, match=r"cannot assign 'torch.FloatTensor' as parameter 'w' "
                                        r"\(torch.nn.Parameter or None expected\)"):
        n.w = torch.ones(1)
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'a'"):
        n.a = 3
    with pytest.raises(KeyError, match="attribute 'a' already exists"):
        n.register_buffer("a", torch.ones(1))
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        n.add_module("zz", 3)
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'foo'"):
        n.foo
    with pytest.raises(TypeError, match=r"cannot assign 'torch.FloatTensor' object to parameter "
                                        r"'nl' \(torch.nn.Parameter or None required\)"):
        n.register_parameter("nl", nn.Parameter(torch.ones(1)) * 2)
    n.seq = nn.Parameter(torch.ones(1))  # a name moves from _modules to _parameters
    assert "seq" not in n._modules and "seq" in n._parameters
    n.nb = nn.Buffer(torch.ones(1), persistent=False)
    assert "nb" in n._buffers and "nb" not in n.state_dict()
    del n.nb
    assert not hasattr(n, "nb") and "nb" not in n._non_persistent_buffers_set


def test_get_submodule_parameter_buffer():
    n = Net()
    assert n.get_submodule("seq.0") is n.seq[0]
    assert n.get_parameter("seq.0.weight") is n.seq[0].weight
    assert n.get_buffer("a.count") is n.a.count
    with pytest.raises(AttributeError, match="Sequential has no attribute `5`"):
        n.get_submodule("seq.5")
    with pytest.raises(AttributeError, match="`weight` is not an nn.Module"):
        n.get_submodule("a.weight")
    with pytest.raises(AttributeError, match="`count` is not an nn.Parameter"):
        n.get_parameter("a.count")


def test_train_eval_requires_grad_zero_grad_apply():
    n = Net()
    assert n.eval() is n and not n.seq[0].training and n.train().ml[2].training
    n(torch.ones(2, 2)).sum().backward()
    assert n.a.weight.grad.tolist() == [[6.0, 6.0]] * 3
    n.zero_grad(set_to_none=False)
    assert n.a.weight.grad.tolist() == [[0.0, 0.0]] * 3
    n.zero_grad()
    assert n.a.weight.grad is None
    n.requires_grad_(False)
    assert not any(p.requires_grad for p in n.parameters())
    seen = []
    n.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Lin", "Lin", "Identity", "Flatten", "Sequential", "Lin", "Lin", "Lin",
                    "ModuleList", "Net"]
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        n.train("yes")


def test_dtype_conversions_keep_parameter_objects():
    n = Net()
    n.register_buffer("ids", torch.arange(3))
    w = n.a.weight
    n.double()
    assert n.a.weight is w and w.dtype == torch.float64 and n.ids.dtype == torch.int64
    assert type(w) is nn.Parameter and w.requires_grad
    n.to(torch.float32)
    assert w.dtype == torch.float32
    n.half()
    assert w.dtype == torch.float16
    n.to(dtype=torch.float64, device="cpu")
    assert w.dtype == torch.float64
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex"):
        n.to(torch.int32)


def test_parameter_and_buffer():
    t = torch.zeros(2)
    p = nn.Parameter(t)
    t.add_(1)  # shares memory with t
    assert repr(p) == str(p) == "Parameter containing:\ntensor([1., 1.], requires_grad=True)"
    assert repr(nn.Parameter(torch.ones(1), requires_grad=False)) == \
        "Parameter containing:\ntensor([1.])"
    assert repr(nn.Parameter()) == "Parameter containing:\ntensor([], requires_grad=True)"
    assert p.is_leaf and isinstance(p, torch.Tensor)
    assert type(p * 2) is torch.Tensor and type(p.detach()) is torch.Tensor
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype"):
        nn.Parameter(torch.ones(2, dtype=torch.int64))
    q = pickle.loads(pickle.dumps(p))
    assert type(q) is nn.Parameter and q.requires_grad and q.tolist() == [1.0, 1.0]
    d = copy.deepcopy(p)
    d.data.add_(5)
    assert p.tolist() == [1.0, 1.0] and type(d) is nn.Parameter
    b = nn.Buffer(torch.ones(2))
    assert type(b) is torch.Tensor and isinstance(b, nn.Buffer) and b.persistent
    assert not isinstance(torch.ones(1), nn.Buffer)


def test_module_pickle_and_deepcopy_keep_ties():
    n = Net()
    n.a.weight.data.fill_(2)
    for m in (pickle.loads(pickle.dumps(n)), copy.deepcopy(n)):
        assert m.a is m.b and m.a.weight.tolist() == [[2.0, 2.0]] * 3
        assert repr(m) == NET_REPR and list(m.state_dict()) == list(n.state_dict())


def test_dir_lists_members():
    n = Net()
    d = dir(n)
    assert {"a", "seq", "w", "buf", "forward", "T_destination"} <= set(d) and d == sorted(d)


def test_sequential_ops():
    s = nn.Sequential(nn.Identity(), nn.Flatten(), Lin(1, 1))
    assert len(s) == 3 and isinstance(s[-1], Lin) and type(s[1:]) is nn.Sequential
    s.insert(1, Lin(2, 2))
    s.append(nn.Identity())
    del s[0]
    assert list(s._modules) == ["0", "1", "2", "3"]
    assert isinstance(s.pop(0), Lin) and list(s._modules) == ["0", "1", "2"]
    assert len(s + nn.Sequential(nn.Identity())) == 4 and len(s * 2) == 6
    with pytest.raises(IndexError, match="index 10 is out of range"):
        s[10]
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential class"):
        s + 3
    od = nn.Sequential(OrderedDict([("x", nn.Identity()), ("y", nn.Flatten())]))
    assert list(od._modules) == ["x", "y"]
    assert nn.Sequential(nn.Flatten(), nn.Unflatten(1, (2, 3)))(torch.ones(4, 6)).shape == (4, 2, 3)


def test_module_list_and_dict():
    ml = nn.ModuleList([Lin(1, 1), nn.Identity()])
    ml.insert(0, nn.Flatten())
    ml += [nn.Identity()]
    assert len(ml) == 4 and isinstance(ml[0], nn.Flatten) and len(ml[1:3]) == 2
    del ml[0:2]
    assert list(ml._modules) == ["0", "1"]
    md = nn.ModuleDict([("b", nn.Identity()), ("a", nn.Flatten())])
    md["d"] = nn.Identity()
    assert list(md) == ["b", "a", "d"] and "a" in md and isinstance(md.pop("a"), nn.Flatten)
    with pytest.raises(ValueError, match="ModuleDict update sequence element #0 has length 1"):
        md.update([("x",)])


def test_parameter_list_and_dict():
    pl = nn.ParameterList([torch.ones(2)])
    pl.append(torch.zeros(1, 3))
    assert [type(p) for p in pl] == [nn.Parameter] * 2
    assert repr(pl) == ("ParameterList(\n    (0): Parameter containing: [torch.float32 of size 2]\n"
                        "    (1): Parameter containing: [torch.float32 of size 1x3]\n)")
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        pl(1)
    pd = nn.ParameterDict({"b": torch.ones(1), "a": torch.ones(2)})  # plain dicts are sorted
    pd.update(OrderedDict([("z", torch.ones(1)), ("c", torch.ones(1))]))
    assert list(pd) == ["a", "b", "z", "c"]
    assert repr(nn.ParameterDict({"p": torch.ones(2, 2)})) == \
        "ParameterDict(  (p): Parameter containing: [torch.FloatTensor of size 2x2])"
    assert [k for k, _ in pd.named_parameters()] == ["a", "b", "z", "c"]


def test_state_dict_hooks():
    m = Lin(1, 1)
    log = []
    m.register_state_dict_pre_hook(lambda mod, prefix, keep: log.append(("pre", prefix)))
    m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: log.append(("post", len(sd))))
    m.register_load_state_dict_pre_hook(lambda mod, sd, prefix, *rest: log.append("lpre"))
    m.register_load_state_dict_post_hook(lambda mod, keys: log.append(("lpost", list(keys))))
    m.load_state_dict(m.state_dict())
    assert log == [("pre", ""), ("post", 3), "lpre", ("lpost", [[], []])]


def test_forward_not_implemented():
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required '
                                                  r'"forward" function'):
        nn.Module()(1)


def test_lazy_module_mixin():
    import warnings
    from jtorch.nn.modules.lazy import LazyModuleMixin

    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(1))

        def forward(self, x):
            return x * self.w

    class LazyScale(LazyModuleMixin, Scale):
        cls_to_become = Scale

        def __init__(self):
            super().__init__()
            self.w = nn.UninitializedParameter()
            self.register_buffer("b", nn.UninitializedBuffer())

        def initialize_parameters(self, x):
            with torch.no_grad():
                self.w.materialize((x.shape[-1],))
                self.w.fill_(2.0)
                self.b.materialize((x.shape[-1],))
                self.b.fill_(0.0)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m, m2 = LazyScale(), LazyScale()
    assert repr(m.w) == "<UninitializedParameter>" and m.has_uninitialized_params()
    assert type(m.state_dict()["w"]) is nn.UninitializedParameter
    assert m(torch.ones(2, 3)).tolist() == [[2.0, 2.0, 2.0]] * 2
    assert type(m) is Scale and type(m.w) is nn.Parameter and m.w.shape == (3,) and m.w.requires_grad
    assert type(m.b) is torch.Tensor
    m2.load_state_dict({"w": torch.ones(4), "b": torch.zeros(4)})
    assert m2.w.shape == (4,) and type(m2).__name__ == "LazyScale" and not m2.has_uninitialized_params()
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter"):
        nn.UninitializedParameter().shape


def test_modules_utils_helpers():
    from jtorch.nn.modules.utils import (_list_with_default, _pair, _reverse_repeat_tuple,
                                         _triple, consume_prefix_in_state_dict_if_present)
    assert _pair(3) == (3, 3) and _pair([1, 2]) == (1, 2) and _triple(1) == (1, 1, 1)
    assert _reverse_repeat_tuple((1, 2), 2) == (2, 2, 1, 1)
    assert _list_with_default([None, 4], [1, 2, 3]) == [2, 4]
    sd = nn.Sequential(Lin(1, 1)).state_dict()
    wrapped = OrderedDict(("module." + k, v) for k, v in sd.items())
    wrapped._metadata = OrderedDict(("module" + ("." + k if k else ""), v)
                                    for k, v in sd._metadata.items())
    consume_prefix_in_state_dict_if_present(wrapped, "module.")
    assert list(wrapped) == ["0.weight", "0.bias", "0.count"]
    assert list(wrapped._metadata) == ["", "0"]
