"""torch.fx on jtorch: patching is undone after a trace, GraphModule subclasses (torchvision's
DualGraphModule pattern), graph editing, autowrap functions, leaf modules."""
import copy

import numpy as np
import pytest

import jtorch
import jtorch.fx as fx
import jtorch.nn as nn
import jtorch.nn.functional as F


def _clip(x):
    return x.clamp(min=0) if x.dim() else x


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 4)
        self.seq = nn.Sequential(nn.ReLU(), nn.Linear(4, 2))

    def forward(self, x):
        return F.softmax(self.seq(_clip(self.lin(x))), dim=-1)


def test_patches_restored_even_when_tracing_fails():
    before = (jtorch.relu, F.relu, nn.Module.__call__, nn.Module.__getattr__)

    def bad(x):
        if x.sum() > 0:  # control flow on a Proxy
            return x
        return x

    with pytest.raises(fx.proxy.TraceError):
        fx.symbolic_trace(bad)
    assert (jtorch.relu, F.relu, nn.Module.__call__, nn.Module.__getattr__) == before


def test_autowrap_function_and_leaf_module():
    m = Net()
    tracer = fx.Tracer(autowrap_functions=(_clip,))
    graph = tracer.trace(m)
    targets = [(n.op, n.target) for n in graph.nodes]
    assert ("call_function", _clip) in targets and ("call_module", "seq.0") in targets
    assert ("call_function", F.softmax) in targets
    gm = fx.GraphModule(m, graph)
    x = jtorch.randn(5, 3)
    np.testing.assert_allclose(gm(x).detach().numpy(), m(x).detach().numpy(), rtol=1e-6)
    assert "torch.nn.functional.softmax" in gm.code


def test_graph_module_subclass_and_deepcopy():
    class Dual(fx.GraphModule):
        def __init__(self, root, g1, g2):
            super(fx.GraphModule, self).__init__()  # as torchvision's DualGraphModule does
            for n in list(g1.nodes) + list(g2.nodes):
                if n.op in ("get_attr", "call_module"):
                    fx.graph_module._copy_attr(root, self, n.target)
            self.g1, self.g2 = g1, g2
            self.graph = g1

    m = Net()
    g = fx.Tracer(autowrap_functions=(_clip,)).trace(m)
    d = Dual(m, g, g)
    x = jtorch.randn(2, 3)
    np.testing.assert_allclose(d(x).detach().numpy(), m(x).detach().numpy(), rtol=1e-6)
    c = copy.deepcopy(fx.symbolic_trace(nn.Sequential(nn.Linear(3, 3), nn.Tanh())))
    assert isinstance(c, fx.GraphModule) and c(x).shape == (2, 3)


def test_graph_editing():
    gm = fx.symbolic_trace(lambda x: (x + 1).relu() * 2)
    add = next(n for n in gm.graph.nodes if n.name == "add")
    with pytest.raises(RuntimeError, match="still had 1 users"):
        gm.graph.erase_node(add)
    with gm.graph.inserting_after(add):
        neg = gm.graph.call_function(jtorch.neg, (add,))
    for user in list(add.users):
        if user is not neg:
            user.replace_input_with(add, neg)
    gm.recompile()
    assert gm(jtorch.tensor([1.0, -3.0])).tolist() == [0.0, 4.0]  # relu(-(x + 1)) * 2
    gm.graph.lint()
    assert "= torch.neg(add)" in gm.code


def test_proxy_errors():
    with pytest.raises(RuntimeError, match="'len' is not supported"):
        fx.symbolic_trace(lambda x: x + len(x))
    with pytest.raises(NotImplementedError, match=r"\*args"):
        fx.symbolic_trace(lambda *xs: xs[0])


def test_graph_module_pickles():
    import io
    import pickle
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    gm = fx.symbolic_trace(m)
    x = jtorch.randn(2, 3)
    back = pickle.loads(pickle.dumps(gm))
    assert type(back).__name__ == "Sequential" and back.code == gm.code
    np.testing.assert_array_equal(back(x).detach().numpy(), m(x).detach().numpy())
    buf = io.BytesIO()
    jtorch.save(gm, buf)
    buf.seek(0)
    np.testing.assert_array_equal(jtorch.load(buf, weights_only=False)(x).detach().numpy(),
                                  m(x).detach().numpy())


def test_is_fx_tracing_and_wrap_decorator():
    seen = []

    def f(x):
        seen.append(fx._symbolic_trace.is_fx_tracing())
        return x + 1
    fx.symbolic_trace(f)
    assert seen == [True] and not fx._symbolic_trace.is_fx_tracing()
    assert _wrapped_twice in [t for _, t in _wrap_targets()]


@fx.wrap
def _wrapped_twice(x):
    return x * 2 if x.dim() else x  # a Python branch: only traceable as a leaf


def _wrap_targets():
    gm = fx.symbolic_trace(lambda x: _wrapped_twice(x) + 1)
    return [(n.op, n.target) for n in gm.graph.nodes]
