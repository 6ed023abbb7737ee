"""torch.fx vs torch: the graph symbolic_trace records (node ops, names, targets), GraphModule
and Interpreter/Transformer results, leaf modules, fx.wrap, the torchvision-style feature
extraction flow (a Tracer subclass naming nodes by module path, outputs rewritten, dead code
removed) on a small ResNet, and the tracing errors."""
from __future__ import annotations

import collections
import importlib
import re

import numpy as np
import pytest

from compat._harness import LIVE

import jtorch.fx


def _leaf_fn(x, k):
    return x * k if x.dim() > 0 else x  # a Python branch: traceable only as a wrapped leaf


jtorch.fx.wrap("_leaf_fn")
if LIVE:
    import torch.fx
    torch.fx.wrap("_leaf_fn")


def _fill(lib, module):
    """Same weights on both libraries: each parameter/buffer from a seeded draw by its name."""
    for name, t in list(module.named_parameters()) + list(module.named_buffers()):
        if t.dtype.is_floating_point:
            rng = np.random.default_rng(sum(map(ord, name)))
            with lib.no_grad():
                t.copy_(lib.tensor(rng.uniform(-0.5, 0.5, tuple(t.shape)), dtype=t.dtype))
    return module


def _models(lib):
    nn = lib.nn

    class M(nn.Module):
        def __init__(s):
            super().__init__()
            s.conv = nn.Conv2d(3, 4, 3)
            s.layer1 = nn.Sequential(nn.ReLU(), nn.Conv2d(4, 4, 1))
            s.w = nn.Parameter(lib.ones(4))
            s.register_buffer("b", lib.zeros(1))

        def forward(s, x, y=2):
            z = s.conv(x)
            b, c, h, w = z.shape
            z = s.layer1(z) + z * s.w[:, None, None] + s.b
            z = lib.relu(z).flatten(1) + z.size(1)
            z = _leaf_fn(z, 3) - z.mean(dim=1, keepdim=True)
            return {"a": z, "b": lib.flatten(z, 1), "n": z.sum(dim=-1) - y, "c": c}

    class Block(nn.Module):
        def __init__(s, cin, cout, stride):
            super().__init__()
            s.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            s.bn1 = nn.BatchNorm2d(cout)
            s.relu = nn.ReLU(inplace=True)
            s.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            s.bn2 = nn.BatchNorm2d(cout)
            s.downsample = None if stride == 1 and cin == cout else nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(s, x):
            identity = x if s.downsample is None else s.downsample(x)
            out = s.relu(s.bn1(s.conv1(x)))
            out = s.bn2(s.conv2(out))
            return s.relu(out + identity)

    class ResNet(nn.Module):
        def __init__(s):
            super().__init__()
            s.conv1 = nn.Conv2d(3, 4, 3, 1, 1, bias=False)
            s.bn1 = nn.BatchNorm2d(4)
            s.relu = nn.ReLU(inplace=True)
            s.layer1 = nn.Sequential(Block(4, 4, 1), Block(4, 4, 1))
            s.layer2 = nn.Sequential(Block(4, 8, 2))
            s.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            s.fc = nn.Linear(8, 5)

        def forward(s, x):
            x = s.relu(s.bn1(s.conv1(x)))
            x = s.layer2(s.layer1(x))
            x = lib.flatten(s.avgpool(x), 1)
            return s.fc(x)
    return M, ResNet


def _x(lib, *shape):
    return lib.tensor(np.random.default_rng(0).standard_normal(shape), dtype=lib.float32)


def _node_table(gm):
    def target(n):
        if n.op != "call_function":
            return str(n.target)
        t = n.target
        return getattr(t, "__name__", str(t))
    return [[n.op, n.name, target(n), len(n.users)] for n in gm.graph.nodes]


def _trace_table(lib):
    M, _ = _models(lib)
    gm = lib.fx.symbolic_trace(_fill(lib, M()))
    return [_node_table(gm), str(gm.graph)]


def _trace_values(lib):
    M, _ = _models(lib)
    m = _fill(lib, M())
    gm = lib.fx.symbolic_trace(m)
    x = _x(lib, 2, 3, 5, 5)
    out, ref = gm(x, 1), m(x, 1)
    interp = lib.fx.Interpreter(gm).run(x, 1)
    trans = lib.fx.Transformer(gm).transform()(x, 1)
    return [out["a"], out["n"], out["c"], (out["b"] - ref["b"]).abs().max(), interp["n"], trans["a"],
            type(gm).__name__, isinstance(gm, lib.fx.GraphModule)]


def _resnet(lib):
    _, ResNet = _models(lib)
    m = _fill(lib, ResNet()).eval()
    gm = lib.fx.symbolic_trace(m)
    x = _x(lib, 2, 3, 8, 8)
    return [_node_table(gm), gm(x), m(x), gm.code, str(gm.graph)]


class _PathTracerFactory:
    """A Tracer subclass as torchvision's feature extraction writes one: nodes are named by
    module path, leaf modules are configurable."""

    @staticmethod
    def make(lib):
        class PathTracer(lib.fx.Tracer):
            def __init__(self, leaf_modules=(), **kwargs):
                super().__init__(**kwargs)
                self.leaf_modules = tuple(leaf_modules)
                self.current = ""
                self.node_to_qualname = collections.OrderedDict()

            def is_leaf_module(self, m, qualname):
                return isinstance(m, self.leaf_modules) or super().is_leaf_module(m, qualname)

            def call_module(self, m, forward, args, kwargs):
                old = self.current
                try:
                    self.current = self.path_of_module(m)
                    if not self.is_leaf_module(m, self.current):
                        return forward(*args, **kwargs)
                    return self.create_proxy("call_module", self.current, args, kwargs)
                finally:
                    self.current = old

            def create_proxy(self, kind, target, args, kwargs, name=None, type_expr=None, *_):
                proxy = super().create_proxy(kind, target, args, kwargs, name, type_expr)
                q = self.current if kind == "call_module" else \
                    (self.current + "." if self.current else "") + str(proxy.node)
                self.node_to_qualname[proxy.node] = re.sub(r"_[0-9]+$", "", q)
                return proxy
        return PathTracer


def _feature_extract(lib):
    _, ResNet = _models(lib)
    m = _fill(lib, ResNet()).eval()
    tracer = _PathTracerFactory.make(lib)(leaf_modules=(type(m.layer1[0]),))
    graph = tracer.trace(m)
    gm = lib.fx.GraphModule(tracer.root, graph, "ResNet")
    wanted = {"layer1": "feat1", "layer2.0.relu": "feat2", "avgpool": "pool"}
    for n in reversed(gm.graph.nodes):
        if n.op == "output":
            gm.graph.erase_node(n)
    nodes = list(gm.graph.nodes)
    outputs = {}
    for n in reversed(nodes):
        q = tracer.node_to_qualname.get(n)
        for query in list(wanted):
            if q is not None and ".".join(q.split(".")[:query.count(".") + 1]) == query:
                outputs[wanted.pop(query)] = n
                break
    outputs = dict(reversed(list(outputs.items())))
    with gm.graph.inserting_after(nodes[-1]):
        gm.graph.output(outputs)
    gm.graph.eliminate_dead_code()
    gm.recompile()
    feats = {k: v.detach() for k, v in gm(_x(lib, 2, 3, 8, 8)).items()}  # grad_fn names aside
    return [list(tracer.node_to_qualname.values()), [n.name for n in gm.graph.nodes], feats,
            sorted(name for name, _ in gm.named_modules() if name)]


def _errors(lib):
    out = []

    def branch(x):
        if x.sum() > 0:
            return x
        return -x

    def length(x):
        return x + len(x)
    for f in (branch, length):
        try:
            lib.fx.symbolic_trace(f)
            out.append("no error")
        except Exception as e:  # noqa: BLE001 - the type is what is compared
            out.append(type(e).__name__)
    gm = lib.fx.symbolic_trace(lambda x, n: x.relu() * n, concrete_args={"n": 3})
    out.append([n.op for n in gm.graph.nodes])
    out.append(gm(lib.tensor([-1.0, 2.0]), 3))
    out.append(_node_table(gm))
    return out


def _constants(lib):
    c = lib.tensor([1.0, -2.0, 3.0])

    def f(x):
        return (c * x, c + x, x - c, c[0] < x, c.add(x), 2 ** x, lib.cat([c, x]).view(2, 3).sum(0))
    gm = lib.fx.symbolic_trace(f)
    return [str(gm.graph), gm.code, list(gm(lib.tensor([0.5, 1.0, 2.0])))]


CASES = {"constants": _constants, "trace_table": _trace_table, "trace_values": _trace_values, "resnet": _resnet,
         "feature_extract": _feature_extract, "errors": _errors}


@pytest.mark.parametrize("name", sorted(CASES))
def test_fx(compat, name):
    compat.value(lambda lib: CASES[name](importlib.import_module(lib.__name__ + ".fx") and lib))
