"""nn.Module system: the same module code on torch and jtorch gives the same keys, text, order."""
import copy
import pickle
import warnings

import numpy as np


def _classes(lib):
    nn = lib.nn

    class Lin(nn.Module):
        def __init__(self, i, o):
            super().__init__()
            self.weight = nn.Parameter(lib.ones(o, i))
            self.bias = nn.Parameter(lib.zeros(o))
            self.register_buffer("count", lib.zeros(1))
            self.register_buffer("tmp", lib.zeros(1), persistent=False)

        def forward(self, x):
            return x @ self.weight.t() + self.bias

        def extra_repr(self):
            return "in=%d, out=%d" % (self.weight.shape[1], self.weight.shape[0])

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = Lin(2, 3)
            self.seq = nn.Sequential(Lin(3, 3), nn.Identity(), nn.Flatten())
            self.b = self.a  # tied: one set of parameters under two names
            self.ml = nn.ModuleList([Lin(1, 1), Lin(1, 1), Lin(1, 2)])
            self.md = nn.ModuleDict({"z": nn.Identity(), "y": Lin(1, 1)})
            self.pl = nn.ParameterList([lib.ones(2), nn.Parameter(lib.zeros(3, 1))])
            self.pd = nn.ParameterDict({"q": lib.ones(1), "p": lib.ones(2, 2)})
            self.w = nn.Parameter(lib.ones(2))
            self.buf = nn.Buffer(lib.ones(1))
            self.nb = nn.Buffer(lib.ones(1), persistent=False)

        def forward(self, x):
            return self.seq(self.a(x))

    return Lin, Net


def _net(lib):
    return _classes(lib)[1]()


def _err(fn):
    try:
        fn()
    except Exception as e:
        return [type(e).__name__, str(e)]
    return "ok"


def test_repr(compat):
    compat.value(lambda lib: repr(_net(lib)))
    compat.value(lambda lib: repr(lib.nn.ModuleList([lib.nn.Identity()] * 3 + [lib.nn.Flatten()])))
    compat.value(lambda lib: [repr(lib.nn.Sequential()), repr(lib.nn.ModuleList()),
                              repr(lib.nn.Unflatten(1, (2, 3))), repr(lib.nn.Identity(3, k=1))])


def test_names_and_order(compat):
    def names(lib):
        n = _net(lib)
        return {"state_dict": list(n.state_dict()),
                "metadata": list(n.state_dict()._metadata),
                "params": [k for k, _ in n.named_parameters()],
                "params_dup": [k for k, _ in n.named_parameters(remove_duplicate=False)],
                "params_norec": [k for k, _ in n.named_parameters(recurse=False)],
                "prefixed": [k for k, _ in n.named_parameters(prefix="m")],
                "buffers": [k for k, _ in n.named_buffers()],
                "modules": [k for k, _ in n.named_modules()],
                "modules_dup": [k for k, _ in n.named_modules(remove_duplicate=False)],
                "children": [k for k, _ in n.named_children()],
                "n_params": len(list(n.parameters())),
                "sd_prefix": list(n.a.state_dict(prefix="x.")),
                "dir": [k for k in dir(n) if not k.startswith("_")]}
    compat.value(names)


def test_state_dict_values(compat):
    def values(lib):
        n = _net(lib)
        sd = n.state_dict()
        kv = n.state_dict(keep_vars=True)
        sd["a.weight"].mul_(3)  # state_dict values share memory with the parameters
        return [type(sd["a.weight"]).__name__, sd["a.weight"].requires_grad,
                type(kv["a.weight"]).__name__, kv["a.weight"] is n.a.weight,
                n.a.weight.sum().item(), sd._metadata["a"], sd._metadata[""]]
    compat.value(values)


def test_load_state_dict(compat):
    def load(lib):
        n = _net(lib)
        out = []
        sd = n.state_dict()
        sd["extra"] = lib.ones(1)
        sd["a.nope.x"] = lib.ones(1)
        del sd["a.bias"]
        r = n.load_state_dict(sd, strict=False)
        out += [list(r), r.missing_keys, str(r), type(r).__name__]
        out.append(_err(lambda: n.load_state_dict(sd)))
        sd = n.state_dict()
        sd["a.weight"] = lib.ones(5)
        sd["w"] = 3
        out.append(_err(lambda: n.load_state_dict(sd)))
        out.append(str(n.load_state_dict(n.state_dict())))
        out.append(_err(lambda: n.load_state_dict([1])))
        m = _net(lib)
        sd = {k: v * 2 for k, v in m.state_dict().items()}
        w = m.a.weight
        m.load_state_dict(sd)
        out += [m.a.weight is w, m.a.weight.sum().item(), m.a.weight.requires_grad]
        m.load_state_dict({k: v + 1 for k, v in sd.items()}, assign=True)
        out += [m.a.weight is w, type(m.a.weight).__name__, m.a.weight.requires_grad,
                m.a.weight.sum().item(), m.b.weight is m.a.weight]
        return out
    compat.value(load)


def test_hooks_order(compat):
    def hooks(lib):
        n = _net(lib)
        log = []
        hs = [n.register_forward_pre_hook(lambda m, a: log.append("pre1")),
              n.register_forward_pre_hook(lambda m, a: log.append("pre0"), prepend=True),
              n.register_forward_pre_hook(lambda m, a, k: log.append(["prekw", sorted(k)]),
                                          with_kwargs=True),
              n.register_forward_hook(lambda m, a, k, o: log.append(["fwdkw", list(o.shape)]),
                                      with_kwargs=True),
              n.register_forward_hook(lambda m, a, o: log.append("fwd"), always_call=True),
              n.register_forward_hook(lambda m, a, o: log.append("fwd0"), prepend=True),
              n.a.register_forward_hook(lambda m, a, o: log.append("inner"))]
        n(lib.ones(2, 2))
        for h in hs:
            h.remove()
        n(lib.ones(2, 2))
        log.append("removed")
        # pre-hook replacing the input, forward hook replacing the output
        n.register_forward_pre_hook(lambda m, a: (a[0] * 2,))
        n.register_forward_hook(lambda m, a, o: o.sum())
        log.append(n(lib.ones(1, 2)).item())
        # always_call hooks run when forward raises
        class Bad(lib.nn.Module):
            def forward(self, x):
                raise ValueError("bad input")
        m = Bad()
        m.register_forward_hook(lambda mod, a, o: log.append(["always", o]), always_call=True)
        m.register_forward_hook(lambda mod, a, o: log.append("never"))
        log.append(_err(lambda: m(lib.ones(3, 5))))
        with m.register_forward_pre_hook(lambda mod, a: log.append("ctx")):
            pass
        log.append(_err(lambda: m(lib.ones(1, 2))))
        return log
    compat.value(hooks)


def test_backward_hooks(compat):
    def bw(lib):
        Lin = _classes(lib)[0]
        m = Lin(2, 3)
        log = []

        def full(mod, gin, gout):
            log.append(["full", [None if g is None else g.tolist() for g in gin],
                        [g.tolist() for g in gout]])
            return (gin[0] * 10,)

        def pre(mod, gout):
            log.append(["pre", [g.tolist() for g in gout]])
            return (gout[0] * 2,)
        m.register_full_backward_hook(full)
        m.register_full_backward_pre_hook(pre)
        x = lib.ones(1, 2, requires_grad=True)
        m(x).sum().backward()
        log += [x.grad.tolist(), m.weight.grad.tolist()]
        x2 = lib.ones(1, 2)  # no input requires grad: hook sees grad_input (None,)
        m.zero_grad()
        m(x2).sum().backward()
        log.append(m.weight.grad.tolist())
        return log
    compat.value(bw)


def test_attribute_errors(compat):
    def errors(lib):
        nn = lib.nn
        n = _net(lib)
        out = [_err(f) for f in [
            lambda: setattr(n, "w", lib.ones(1)), lambda: setattr(n, "a", 3),
            lambda: n.register_buffer("a", lib.ones(1)), lambda: n.register_parameter("x.y", None),
            lambda: n.add_module("", nn.Identity()), lambda: n.register_buffer("q", 3),
            lambda: n.register_parameter("zz", lib.ones(1)), lambda: n.add_module("zz", 3),
            lambda: setattr(n, "count", 4), lambda: setattr(n, "buf", 4), lambda: n.foo,
            lambda: n.register_parameter("nl", nn.Parameter(lib.ones(1)) * 2),
            lambda: n.register_buffer("", None), lambda: n.register_buffer(1, None),
            lambda: n.add_module("x.y", None), lambda: n.get_submodule("seq.5"),
            lambda: n.get_submodule("a.weight"), lambda: n.get_parameter("a.count"),
            lambda: n.get_parameter("a.zz"), lambda: n.get_buffer("a.weight"),
            lambda: n.train("yes"), lambda: nn.Module(3), lambda: nn.Module(k=3),
            lambda: n.to(lib.int32), lambda: nn.Module()(1), lambda: nn.Parameter(lib.ones(2, dtype=lib.int64)),
        ]]
        # routing: reassigning a name moves it between the dicts
        n.a = None
        n.w = None
        n.buf = None
        n.seq = nn.Parameter(lib.ones(1))
        out.append([list(n._modules), list(n._parameters), list(n._buffers)])
        del n.seq
        n.newbuf = nn.Buffer(lib.ones(1), persistent=False)
        out.append([list(n.state_dict()), hasattr(n, "seq"), sorted(n._non_persistent_buffers_set)])
        out.append(n.get_submodule("md.y").extra_repr())
        out.append(list(n.get_parameter("md.y.weight").shape))
        return out
    compat.value(errors)


def test_containers(compat):
    def cont(lib):
        nn = lib.nn
        Lin = _classes(lib)[0]
        out = []
        s = nn.Sequential(nn.Identity(), nn.Flatten(), Lin(1, 1))
        out += [len(s), repr(s[0:2]), repr(s[-1]), type(s[1:]).__name__]
        s.insert(1, Lin(2, 2))
        s.append(nn.Identity())
        del s[0]
        out += [repr(s), repr(s.pop(0)), list(s._modules)]
        out.append(repr(s + nn.Sequential(nn.Identity())))
        out.append(repr(s * 2))
        out.append(_err(lambda: s + 3))
        out.append(_err(lambda: s[10]))
        s[0] = nn.Identity()
        s.extend([nn.Flatten()])
        out.append(repr(s))
        from collections import OrderedDict
        out.append(repr(nn.Sequential(OrderedDict([("x", nn.Identity()), ("y", nn.Flatten())]))))
        ml = nn.ModuleList([Lin(1, 1), nn.Identity()])
        ml.insert(0, nn.Flatten())
        ml.append(nn.Identity())
        ml.extend([nn.Identity()])
        ml += [nn.Identity()]
        out += [repr(ml), len(ml), repr(ml[1:3]), repr(ml[-1]), repr(ml.pop(1))]
        del ml[0:2]
        out.append(list(ml._modules))
        out.append(_err(lambda: ml.extend(3)))
        md = nn.ModuleDict([("b", nn.Identity()), ("a", nn.Flatten())])
        md.update({"c": nn.Identity()})
        md["d"] = nn.Identity()
        out += [list(md), list(md.keys()), "a" in md, repr(md.pop("a")), len(md), repr(md)]
        out.append(_err(lambda: md.update([("x",)])))
        pl = nn.ParameterList([lib.ones(2)])
        pl.append(lib.zeros(1, 3))
        pl.extend([nn.Parameter(lib.ones(1), requires_grad=False)])
        out += [len(pl), [type(p).__name__ for p in pl], [p.requires_grad for p in pl], repr(pl),
                [k for k, _ in pl.named_parameters()], repr(pl[1:])]
        out.append(_err(lambda: pl(1)))
        pd = nn.ParameterDict({"b": lib.ones(1), "a": lib.ones(2)})
        pd.update(OrderedDict([("z", lib.ones(1)), ("c", lib.ones(1))]))
        pd["y"] = nn.Parameter(lib.ones(3))
        out += [list(pd), list(pd.keys()), repr(pd), [k for k, _ in pd.named_parameters()],
                "a" in pd, list(pd.pop("a").shape), len(pd), pd.get("nope"),
                list(pd.copy().keys()), list((pd | nn.ParameterDict({"k": lib.ones(1)})).keys())]
        out.append(_err(lambda: pd[1]))
        return out
    compat.value(cont)


def test_parameter(compat):
    def param(lib):
        nn = lib.nn
        t = lib.zeros(2)
        p = nn.Parameter(t)
        t.add_(1)  # Parameter(t) shares t's memory
        q = nn.Parameter(lib.ones(2, 2), requires_grad=False)
        out = [repr(p), str(p), repr(q), repr(nn.Parameter()), p.is_leaf, p.requires_grad,
               isinstance(p, lib.Tensor), type(p * 2).__name__, type(p.detach()).__name__,
               type(p.data).__name__, p.grad_fn is None]
        pp = pickle.loads(pickle.dumps(p))
        dp = copy.deepcopy(p)
        dp.data.add_(5)
        out += [type(pp).__name__, pp.tolist(), pp.requires_grad, type(dp).__name__,
                p.tolist(), dp.tolist()]
        b = nn.Buffer(lib.ones(2))
        out += [type(b).__name__, isinstance(b, nn.Buffer), isinstance(lib.ones(1), nn.Buffer),
                b.persistent, nn.Buffer(lib.ones(1), persistent=False).persistent]
        return out
    compat.value(param)


def test_conversions_and_modes(compat):
    def conv(lib):
        n = _net(lib)
        n.register_buffer("ids", lib.arange(3))
        w = n.a.weight
        out = []
        n.double()
        out += [str(n.a.weight.dtype), n.a.weight is w, str(n.ids.dtype), str(n.a.count.dtype),
                type(n.a.weight).__name__, n.a.weight.requires_grad]
        n.to(lib.float32)
        out += [str(w.dtype), n.a.weight is w]
        n.half().float()
        out.append(str(w.dtype))
        n.to(dtype=lib.float64, device="cpu")
        out.append(str(w.dtype))
        n.float()
        y = n(lib.ones(2, 2)).sum()
        y.backward()
        out += [n.a.weight.grad.tolist(), n.seq[0].bias.grad.tolist()]
        n.double()
        out.append(str(n.a.weight.grad.dtype))
        n.zero_grad(set_to_none=False)
        out.append(n.a.weight.grad.tolist())
        n.zero_grad()
        out.append(n.a.weight.grad)
        n.requires_grad_(False)
        out.append([p.requires_grad for p in n.parameters()])
        out += [n.training, n.eval() is n, n.seq[0].training, n.ml[2].training, n.train().md.y.training]
        seen = []
        n.apply(lambda m: seen.append(type(m).__name__))
        out.append(seen)
        return out
    compat.value(conv)


def test_pickle_and_deepcopy(compat):
    def pk(lib):
        n = _net(lib)
        n.a.weight.data.fill_(2)
        out = []
        for m in (pickle.loads(pickle.dumps(n)), copy.deepcopy(n)):
            out += [m.a is m.b, type(m.a.weight).__name__, m.a.weight.tolist(),
                    list(m.state_dict()) == list(n.state_dict()), repr(m) == repr(n),
                    m(lib.ones(1, 2)).tolist()]
        return out
    compat.value(pk)


def test_init_fans_and_gains(compat):
    def fans(lib):
        I = lib.nn.init
        out = [I._calculate_fan_in_and_fan_out(lib.empty(s)) for s in
               [(5, 3), (5, 3, 2, 7), (4, 2, 3), (1, 1, 1, 1, 2)]]
        out += [I.calculate_gain(n) for n in
                ["linear", "conv1d", "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]]
        out += [I.calculate_gain("leaky_relu", 0.2), I.calculate_gain("leaky_relu", 1)]
        out += [_err(f) for f in [
            lambda: I.calculate_gain("foo"), lambda: I.calculate_gain("leaky_relu", "x"),
            lambda: I.calculate_gain("leaky_relu", True), lambda: I._calculate_fan_in_and_fan_out(lib.empty(3)),
            lambda: I.kaiming_uniform_(lib.empty(3, 3), mode="fan"), lambda: I.eye_(lib.empty(3)),
            lambda: I.dirac_(lib.empty(3, 3)), lambda: I.dirac_(lib.empty(3, 3, 3), groups=2),
            lambda: I.orthogonal_(lib.empty(3)), lambda: I.sparse_(lib.empty(3), 0.1)]]
        with warnings.catch_warnings(record=True) as ws:
            warnings.simplefilter("always")
            I.kaiming_uniform_(lib.empty(0, 3))
            I.kaiming_normal_(lib.empty(0, 3))
            I.trunc_normal_(lib.empty(3), mean=10)
            out.append([[w.category.__name__, str(w.message)] for w in ws])
        return out
    compat.value(fans)


def test_init_deterministic(compat):
    def det(lib):
        I = lib.nn.init
        out = [I.eye_(lib.empty(2, 3)).tolist(), I.dirac_(lib.empty(4, 2, 3), groups=2).tolist(),
               I.dirac_(lib.empty(2, 3, 3, 3)).tolist(), I.constant_(lib.empty(2), 3.5).tolist(),
               I.ones_(lib.empty(2)).tolist(), I.zeros_(lib.empty(2)).tolist()]
        for shape in [(3, 5), (5, 3), (4, 2, 2)]:
            q = I.orthogonal_(lib.empty(*shape), gain=2).reshape(shape[0], -1)
            g = q @ q.t() if shape[0] <= q.shape[1] else q.t() @ q
            out.append(g.round(decimals=4).abs().tolist())
        s = I.sparse_(lib.empty(10, 4), 0.35)
        out.append((s == 0).sum(0).tolist())
        w = lib.nn.Parameter(lib.empty(3, 3))
        r = I.kaiming_uniform_(w)
        out += [r is w, w.requires_grad, w.grad_fn is None, w.is_leaf]
        return out
    compat.value(det)


def _stats(lib, fill, shape=(500, 400)):
    t = lib.empty(*shape, dtype=lib.float64)
    fill(t)
    return [t.mean().item(), t.std().item(), t.min().item(), t.max().item()]


# name -> (initialiser, bounded: whether min/max are compared too)
INITS = {
    "kaiming_uniform_a": (lambda I, t: I.kaiming_uniform_(t, a=5 ** 0.5), True),
    "kaiming_uniform_fan_out": (lambda I, t: I.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"), True),
    "kaiming_normal": (lambda I, t: I.kaiming_normal_(t, nonlinearity="relu"), False),
    "xavier_uniform": (lambda I, t: I.xavier_uniform_(t, gain=2.0), True),
    "xavier_normal": (lambda I, t: I.xavier_normal_(t), False),
    "uniform": (lambda I, t: I.uniform_(t, -2.0, 3.0), True),
    "normal": (lambda I, t: I.normal_(t, 1.0, 2.0), False),
    "trunc_normal": (lambda I, t: I.trunc_normal_(t, std=0.5, a=-0.3, b=0.4), True),
    "orthogonal": (lambda I, t: I.orthogonal_(t, gain=2.0), False),
}


def test_init_distributions(compat):
    # Different random streams: compare moments and ranges, not values. With 200k samples the
    # sampling error of the mean and std is far below these tolerances.
    for name, (fill, bounded) in INITS.items():
        exp = compat.oracle(lambda lib: _stats(lib, lambda t: fill(lib.nn.init, t)))
        got = _stats(__import__("jtorch"), lambda t: fill(__import__("jtorch").nn.init, t))
        scale = max(abs(exp[1]), 1e-3)
        np.testing.assert_allclose(got[:2], exp[:2], atol=0.02 * scale + 1e-3, err_msg=name)
        if bounded:
            np.testing.assert_allclose(got[2:], exp[2:], atol=0.01 * scale, err_msg=name)


def test_extra_state_and_state_dict_hooks(compat):
    def extra(lib):
        nn = lib.nn

        class E(nn.Module):
            def __init__(self):
                super().__init__()
                self.v = 3
                self.lin = _classes(lib)[0](1, 1)

            def get_extra_state(self):
                return {"v": self.v}

            def set_extra_state(self, state):
                self.v = state["v"]
        e = E()
        log = []
        e.register_state_dict_pre_hook(lambda m, prefix, keep: log.append(["pre", prefix, keep]))
        e.lin.register_state_dict_post_hook(lambda m, sd, prefix, meta: log.append(["post", prefix]))
        e.register_load_state_dict_pre_hook(lambda m, sd, prefix, *rest: log.append(["lpre", prefix]))
        e.register_load_state_dict_post_hook(lambda m, keys: log.append(["lpost", list(keys)]))
        sd = e.state_dict(prefix="p.")
        out = [list(sd), sd["p._extra_state"], log[:]]
        e2 = E()
        e2.load_state_dict({"_extra_state": {"v": 7}, **{k[2:]: v for k, v in sd.items()
                                                         if k != "p._extra_state"}})
        out.append(e2.v)
        out.append(_err(lambda: e2.load_state_dict({})))
        out.append(log)
        return out
    compat.value(extra)


def test_global_module_hooks(compat):
    def glob(lib):
        mm = lib.nn.modules.module
        log = []
        hs = [mm.register_module_forward_pre_hook(lambda m, a: log.append(["gpre", type(m).__name__])),
              mm.register_module_forward_hook(lambda m, a, o: log.append(["gfwd", type(m).__name__]))]
        n = lib.nn.Sequential(lib.nn.Identity(), lib.nn.Flatten())
        n.register_forward_pre_hook(lambda m, a: log.append("local_pre"))
        try:
            n(lib.ones(2, 2))
        finally:
            for h in hs:
                h.remove()
        n(lib.ones(2, 2))
        return log
    compat.value(glob)


def test_edge_routing(compat):
    def edge(lib):
        nn = lib.nn
        out = []

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.s = nn.Parameter(lib.tensor(2.0))
                self.register_buffer("none_buf", None)
                self.register_parameter("none_p", None)
                self.child = None
                self.plain = 3

            def extra_repr(self):
                return "line1\nline2"
        m = M()
        out.append([list(m.state_dict()), [k for k, _ in m.named_buffers()],
                    [k for k, _ in m.named_parameters()], list(m._modules), repr(m)])
        m.load_state_dict({"s": lib.tensor([5.0])})  # a 1-element vector loads into a 0-dim entry
        out.append(m.s.item())
        m.s = None
        m.child = nn.Identity()
        m.plain = nn.Parameter(lib.ones(1))
        out.append([list(m._parameters), list(m._modules), "plain" in m.__dict__,
                    list(m.state_dict()), repr(m)])
        m.none_buf = lib.ones(2)
        out.append([list(m.state_dict()), [k for k, _ in m.named_buffers()]])
        m.to("cpu", lib.float64)
        out.append(str(m.plain.dtype))
        m.to(lib.ones(1, dtype=lib.float16))
        out.append(str(m.plain.dtype))
        m.type(lib.float32)
        out.append([str(m.plain.dtype), str(m.none_buf.dtype)])
        with warnings.catch_warnings(record=True) as ws:
            warnings.simplefilter("always")
            d = m.state_dict(None, "pre.")
        out.append(list(d))
        out.append(_err(lambda: nn.Sequential().insert(0, 3))[0])
        out.append(_err(lambda: nn.Sequential(nn.Identity()).insert(5, nn.Identity())))
        return out
    compat.value(edge)


def test_backward_hooks_multi_input_and_nesting(compat):
    def bw(lib):
        nn = lib.nn

        class Two(nn.Module):
            def forward(self, x, k, y):
                return x * y * k, (x + y).sum()
        log = []
        m = Two()
        m.register_full_backward_pre_hook(lambda mod, go: log.append(["pre", [g.tolist() for g in go]]))
        m.register_full_backward_hook(lambda mod, gi, go: log.append(
            ["full", [None if g is None else g.tolist() for g in gi], [g.tolist() for g in go]]))
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = lib.tensor([3.0, 4.0])  # a tensor input without grad: zeros in grad_input
        a, b = m(x, 2.0, y)
        (a.sum() * 2 + b).backward()
        log.append(x.grad.tolist())
        y.requires_grad_(True)
        x.grad = None
        a, b = m(x, 2.0, y)
        a.sum().backward()  # output b gets no gradient: None in grad_output
        log += [x.grad.tolist(), y.grad.tolist()]
        seq = nn.Sequential(_classes(lib)[0](2, 2), nn.Identity())
        for i, mod in enumerate(seq):
            mod.register_full_backward_hook(lambda mod, gi, go, i=i: log.append(i))
        seq.register_full_backward_hook(lambda mod, gi, go: log.append("seq"))
        seq(lib.ones(1, 2, requires_grad=True)).sum().backward()
        return log
    compat.value(bw)
