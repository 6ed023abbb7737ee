"""torch.export / torch.jit.trace against torch 2.13: the same model and weights exported by
both, `ep.module()` outputs compared (static, dynamic batch, dynamic sequence with causal
attention, conv+BatchNorm), the errors torch raises at export and call time, state_dict keys
and graph signature kinds. jtorch's side also runs under jtorch.compile where it applies."""
import math

import numpy as np
import pytest

from compat._harness import LIVE, randn


def _init(lib, model, seed=0):
    with lib.no_grad():  # the same weights on both libraries
        for i, p in enumerate(model.parameters()):
            p.copy_(lib.tensor(randn(*p.shape, dtype="float32", seed=seed + i) * 0.3))
    return model


def _t(lib, *shape, seed=0):
    return lib.tensor(randn(*shape, dtype="float32", seed=seed))


def _mlp(lib):
    nn = lib.nn
    return _init(lib, nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)))


def _attention(lib):
    nn, F = lib.nn, lib.nn.functional

    class CausalSelfAttention(nn.Module):
        def __init__(self, C=16, H=2):
            super().__init__()
            self.qkv, self.proj, self.H = nn.Linear(C, 3 * C), nn.Linear(C, C), H
            self.ln = nn.LayerNorm(C)

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.qkv(self.ln(x)).split(C, dim=2)
            q, k, v = (t.view(B, T, self.H, C // self.H).transpose(1, 2) for t in (q, k, v))
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            mask = lib.ones(T, T, dtype=lib.bool).tril()
            att = F.softmax(att.masked_fill(~mask, float("-inf")), dim=-1)
            y = (att @ v) + F.scaled_dot_product_attention(q, k, v, is_causal=True)
            return x + self.proj(y.transpose(1, 2).contiguous().view(B, T, C))
    return _init(lib, CausalSelfAttention(), seed=20)


def _tiny_gpt(lib, vocab=20, block=32, C=16):
    nn = lib.nn

    class GPT(nn.Module):  # nanoGPT's shape: token + position embeddings, a block, a head
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = nn.Embedding(vocab, C), nn.Embedding(block, C)
            self.block, self.ln, self.head = _attention(lib), nn.LayerNorm(C), nn.Linear(C, vocab, bias=False)

        def forward(self, idx):
            b, t = idx.size()
            assert t <= block, f"Cannot forward sequence of length {t}"
            x = self.wte(idx) + self.wpe(lib.arange(0, t, dtype=lib.long))
            return self.head(self.ln(self.block(x)))
    return _init(lib, GPT(), seed=60)


def _convbn(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.bn, self.fc = nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6), nn.Linear(6, 4)

        def forward(self, x):
            y = lib.relu(self.bn(self.conv(x)))
            return {"logits": self.fc(y.mean((2, 3))), "pooled": (y.amax((2, 3)),)}
    return _init(lib, Net(), seed=40)


def _detach(out):
    if isinstance(out, dict):
        return {k: _detach(v) for k, v in out.items()}
    if isinstance(out, (tuple, list)):
        return [_detach(v) for v in out]
    return out.detach()


def _run_module(lib, ep, inputs, compiled=True):
    """ep.module() on each input; jtorch also under jtorch.compile (the same numbers)."""
    mod = ep.module()
    outs = [_detach(mod(*x)) for x in inputs]
    if compiled and lib.__name__ == "jtorch":
        f = lib.compile(lambda *a: mod(*a), fullgraph=True)
        with lib.no_grad():  # inference (grad mode compiles a second, differentiable program)
            for _ in range(2):  # call 1 eager, call 2 traced
                c = _detach(f(*inputs[0]))
        np.testing.assert_allclose(_flat(c), _flat(outs[0]), rtol=1e-5, atol=1e-6)
    return outs


def _flat(out):
    if isinstance(out, dict):
        return np.concatenate([_flat(v) for v in out.values()])
    if isinstance(out, (tuple, list)):
        return np.concatenate([_flat(v) for v in out])
    return out.numpy().ravel()


def test_static_mlp(compat):
    def run(lib):
        m = _mlp(lib)
        ep = lib.export.export(m, (_t(lib, 5, 4),))
        return _run_module(lib, ep, [(_t(lib, 5, 4, seed=1),)])
    compat.value(run, rtol=1e-5, atol=1e-6)


def test_dynamic_batch(compat):
    def run(lib):
        Dim = lib.export.Dim
        ep = lib.export.export(_mlp(lib), (_t(lib, 4, 4),), dynamic_shapes={"input": {0: Dim("batch", max=64)}})
        return _run_module(lib, ep, [(_t(lib, n, 4, seed=n),) for n in (1, 64)])
    compat.value(run, rtol=1e-5, atol=1e-6)


def test_dynamic_sequence_causal_attention(compat):
    def run(lib):
        Dim = lib.export.Dim
        m = _attention(lib)
        ep = lib.export.export(m, (_t(lib, 2, 8, 16),),
                               dynamic_shapes=({0: Dim("b"), 1: Dim("seq", max=128)},))
        return _run_module(lib, ep, [(_t(lib, b, s, 16, seed=s),) for b, s in ((3, 5), (1, 17))])
    compat.value(run, rtol=1e-5, atol=2e-6)


def test_dynamic_sequence_tiny_gpt(compat):
    def run(lib):
        Dim = lib.export.Dim
        ids = lambda b, t, seed: lib.tensor(np.random.default_rng(seed).integers(0, 20, (b, t)))  # noqa: E731
        ep = lib.export.export(_tiny_gpt(lib), (ids(2, 8, 0),),
                               dynamic_shapes=({0: Dim("b"), 1: Dim("seq", max=32)},))
        # (not under jtorch.compile here: the attention test covers it, and compiles are slow)
        return _run_module(lib, ep, [(ids(b, t, t),) for b, t in ((3, 5), (1, 32))], compiled=False)
    compat.value(run, rtol=1e-5, atol=2e-6)


def test_conv_batchnorm_eval_dynamic_batch(compat):
    def run(lib):
        m = _convbn(lib).eval()
        with lib.no_grad():
            m.bn.running_mean.copy_(_t(lib, 6, seed=3) * 0.1)
            m.bn.running_var.copy_(_t(lib, 6, seed=4).abs() + 0.5)
        ep = lib.export.export(m, (_t(lib, 4, 3, 8, 8),), dynamic_shapes=({0: lib.export.Dim("b")},))
        return _run_module(lib, ep, [(_t(lib, 5, 3, 8, 8, seed=5),)])
    compat.value(run, rtol=1e-5, atol=1e-6)


def test_conv_batchnorm_training_updates_buffers(compat):
    def run(lib):
        m = _convbn(lib).train()
        ep = lib.export.export(m, (_t(lib, 4, 3, 8, 8),))
        sig = ep.graph_signature
        mod = ep.module()
        out = _detach(mod(_t(lib, 4, 3, 8, 8, seed=9)))
        return (out, mod.bn.running_mean.detach(), mod.bn.running_var.detach(),
                int(mod.bn.num_batches_tracked), [s.kind.name for s in sig.output_specs],
                [s.target for s in sig.output_specs],
                [s.kind.name for s in ep.run_decompositions().graph_signature.output_specs],
                [s.target for s in ep.run_decompositions().graph_signature.output_specs])
    compat.value(run, rtol=1e-5, atol=1e-6)


def test_state_dict_and_signature(compat):
    def run(lib):
        m = _convbn(lib).eval()
        m.register_buffer("scratch", lib.zeros(2), persistent=False)
        ep = lib.export.export(m, (_t(lib, 2, 3, 8, 8),))
        sig = ep.graph_signature
        return (list(ep.state_dict), [s.kind.name for s in sig.input_specs],
                [s.target for s in sig.input_specs], [s.persistent for s in sig.input_specs],
                [s.kind.name for s in sig.output_specs], list(sig.parameters), list(sig.buffers),
                list(ep.constants), [tuple(t.shape) for t in ep.example_inputs[0]],
                sorted(ep.module().state_dict()))
    compat.value(run)


def test_load_state_dict_on_module(compat):
    def run(lib):
        m, other = _mlp(lib), _init(lib, _mlp(lib), seed=90)
        mod = lib.export.export(m, (_t(lib, 3, 4),)).module()
        mod.load_state_dict(other.state_dict())
        return mod(_t(lib, 3, 4, seed=5)).detach()
    compat.value(run, rtol=1e-5, atol=1e-6)


def test_gradients_through_module(compat):
    def run(lib):
        mod = lib.export.export(_mlp(lib), (_t(lib, 3, 4),)).module()
        x = _t(lib, 3, 4, seed=6).requires_grad_()
        mod(x).pow(2).sum().backward()
        return x.grad, [p.grad for p in mod.parameters()]
    compat.value(run, rtol=1e-5, atol=1e-6)


def test_call_errors(compat):
    def run(lib):
        Dim = lib.export.Dim
        mod = lib.export.export(_attention(lib), (_t(lib, 2, 8, 16),),
                                dynamic_shapes=({1: Dim("seq", max=32)},)).module()
        res = []
        for x in (_t(lib, 2, 40, 16), _t(lib, 3, 8, 16), _t(lib, 2, 8, 15)):
            try:
                mod(x)
                res.append("ran")
            except Exception as e:  # noqa: BLE001
                res.append(type(e).__name__)
        try:
            mod(_t(lib, 2, 8, 16), _t(lib, 2, 8, 16))
        except Exception as e:  # noqa: BLE001
            res.append(type(e).__name__)
        return res
    compat.value(run)


def test_data_dependent_control_flow_raises(compat):
    def run(lib):
        class M(lib.nn.Module):
            def forward(self, x):
                if x.sum() > 0:
                    return x + 1
                return x - 1
        try:
            lib.export.export(M(), (_t(lib, 3),))
        except RuntimeError as e:
            return type(e).__name__, isinstance(e, RuntimeError)
        return "exported"
    compat.value(run)


def test_specialized_dimension_raises(compat):
    def run(lib):
        class M(lib.nn.Module):
            def forward(self, x):
                return x + lib.ones(32)
        Dim = lib.export.Dim
        out = []
        for spec in ({1: Dim("n")}, {1: Dim.DYNAMIC}):
            try:
                lib.export.export(M(), (_t(lib, 4, 32),), dynamic_shapes=(spec,))
                out.append("exported")
            except Exception as e:  # noqa: BLE001
                out.append([type(e).__name__, isinstance(e, RuntimeError)])
        ep = lib.export.export(M(), (_t(lib, 4, 32),), dynamic_shapes=({0: Dim.AUTO, 1: Dim.AUTO},))
        out.append(_detach(ep.module()(_t(lib, 6, 32))))
        return out
    compat.value(run, rtol=1e-6)


def test_derived_dims_and_dict_inputs(compat):
    def run(lib):
        class M(lib.nn.Module):
            def forward(self, x, extra):
                return {"sum": x.repeat(1, 2) + extra["y"], "x": x * extra["scale"]}
        n = lib.export.Dim("n", max=50)
        ex = (_t(lib, 2, 3), {"y": _t(lib, 2, 6, seed=1), "scale": 2.0})
        ep = lib.export.export(M(), ex, dynamic_shapes={"x": {1: n}, "extra": {"y": {1: 2 * n}, "scale": None}})
        return _detach(ep.module()(_t(lib, 2, 5, seed=2), {"y": _t(lib, 2, 10, seed=3), "scale": 2.0}))
    compat.value(run)


def test_dim_api(compat):
    def run(lib):
        Dim = lib.export.Dim
        b = Dim("b", min=2, max=64)
        d = (2 * b, b + 1)
        try:
            Dim("x", min=5, max=2)
            bad = "created"
        except AssertionError:
            bad = "AssertionError"
        return (repr(b), repr(Dim("d")), b.min, b.max, repr(d[0]), d[0].max, d[1].min,
                repr(Dim.AUTO), repr(Dim.STATIC), repr(Dim.DYNAMIC), bad,
                [repr(x) for x in lib.export.dims("p", "q", max=9)])
    compat.value(run)


def test_export_argument_errors(compat):
    def run(lib):
        out = []
        for mod, args in ((lambda x: x, (_t(lib, 2),)), (_mlp(lib), [_t(lib, 2, 4)])):
            try:
                lib.export.export(mod, args)
                out.append("exported")
            except Exception as e:  # noqa: BLE001
                out.append(type(e).__name__)
        return out
    compat.value(run)


def test_jit_trace(compat):
    def run(lib):
        m = _mlp(lib)
        tm = lib.jit.trace(m, _t(lib, 5, 4))
        f = lib.jit.trace(lambda a, b: a * b + 1, (_t(lib, 2, 3), _t(lib, 2, 3, seed=1)))
        return (tm(_t(lib, 5, 4, seed=2)).detach(), tm(_t(lib, 9, 4, seed=3)).detach(),
                f(_t(lib, 2, 3, seed=4), _t(lib, 2, 3, seed=5)), sorted(tm.state_dict()))
    compat.value(run, rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(not LIVE, reason="needs torch to write torch's own archives")
def test_torch_archives_refused(tmp_path):
    import torch

    import jtorch

    class M(torch.nn.Module):
        def forward(self, x):
            return x + 1
    torch.export.save(torch.export.export(M(), (torch.randn(2),)), tmp_path / "t.pt2")
    torch.jit.save(torch.jit.trace(M(), torch.randn(2)), tmp_path / "ts.pt")
    with pytest.raises(RuntimeError, match="PyTorch .pt2 archive"):
        jtorch.export.load(tmp_path / "t.pt2")
    with pytest.raises(RuntimeError, match="TorchScript archive"):
        jtorch.jit.load(tmp_path / "ts.pt")
    with pytest.raises(RuntimeError, match="TorchScript archive"):
        jtorch.export.load(tmp_path / "ts.pt")


def test_module_train_eval_refused(compat):
    def run(lib):
        mod = lib.export.export(_mlp(lib), (_t(lib, 3, 4),)).module()
        out = []
        for call in (mod.eval, mod.train):
            try:
                call()
                out.append("ok")
            except Exception as e:  # noqa: BLE001
                out.append([type(e).__name__, str(e)])
        return out
    compat.value(run)


def test_shapes_collection(compat):
    def run(lib):
        class M(lib.nn.Module):
            def forward(self, x, y, z=None):
                return x + y[0] if z is None else x + y[0] + z
        x, y, z = _t(lib, 3, 4), _t(lib, 3, 4, seed=1), _t(lib, 3, 4, seed=2)
        sc = lib.export.ShapesCollection()
        b = lib.export.Dim("b")
        sc[x] = {0: b}
        sc[y] = (b, None)
        a = sc.dynamic_shapes(M(), (x, [y]))
        k = sc.dynamic_shapes(M(), (x,), {"y": [y], "z": z})
        ep = lib.export.export(M(), (x, [y]), dynamic_shapes=a)
        return (repr(a), repr(k), len(sc), sc[z], _detach(ep.module()(_t(lib, 5, 4), [_t(lib, 5, 4, seed=3)])))
    compat.value(run)
