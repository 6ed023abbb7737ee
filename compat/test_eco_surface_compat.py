"""The torch names ecosystem libraries reach for, compared with torch: prune, constraints,
flex_attention, sdpa_kernel, _C._nn._parse_to, PyTorchFileReader, hub, cuda extras on CPU."""
import importlib
import os
import warnings

import numpy as np
import pytest

from compat._harness import randn


def sub(lib, name):
    return importlib.import_module(f"{lib.__name__}.{name}")


def lin(lib, i, o, seed):
    m = lib.nn.Linear(i, o)
    with lib.no_grad():
        m.weight.copy_(lib.tensor(randn(o, i, dtype="float32", seed=seed)))
        m.bias.copy_(lib.tensor(randn(o, dtype="float32", seed=seed + 1)))
    return m


def prune_stack(lib):
    prune = sub(lib, "nn.utils.prune")
    m = lin(lib, 6, 4, 0)
    prune.l1_unstructured(m, "weight", amount=0.3)
    names = (sorted(n for n, _ in m.named_parameters()), sorted(n for n, _ in m.named_buffers()))
    first = m.weight_mask.clone()
    prune.ln_structured(m, "weight", amount=1, n=2, dim=0)
    x = lib.tensor(randn(3, 6, dtype="float32", seed=5))
    y = m(x)
    y.sum().backward()
    kind = type(list(m._forward_pre_hooks.values())[0]).__name__
    pruned = prune.is_pruned(m)
    prune.remove(m, "weight")
    return (names, first, m.weight_mask if hasattr(m, "weight_mask") else None, kind, y,
            m.weight_orig.grad if hasattr(m, "weight_orig") else m.weight.grad, pruned,
            prune.is_pruned(m), sorted(n for n, _ in m.named_parameters()), m.weight)


def prune_global(lib):
    prune = sub(lib, "nn.utils.prune")
    a, b, c = lin(lib, 5, 3, 1), lin(lib, 3, 2, 2), lin(lib, 4, 4, 3)
    prune.global_unstructured([(a, "weight"), (b, "weight")], pruning_method=prune.L1Unstructured,
                              amount=7)
    prune.custom_from_mask(c, "bias", lib.tensor([1, 0, 1, 0]))
    return a.weight_mask, b.weight_mask, a.weight, c.bias


@pytest.mark.parametrize("amount", [1.5, -1, 10, "x"])
def test_prune_amount_errors(compat, amount):
    compat.value(lambda lib: sub(lib, "nn.utils.prune").l1_unstructured(lin(lib, 2, 2, 0), "weight",
                                                                        amount=amount))


def test_prune_structured_needs_2d(compat):
    compat.value(lambda lib: sub(lib, "nn.utils.prune").ln_structured(lin(lib, 2, 2, 0), "bias",
                                                                      amount=1, n=1, dim=0))


def test_prune_l1_then_ln_structured_forward_backward_remove(compat):
    compat.value(prune_stack, rtol=1e-5)


def test_prune_global_and_custom_mask(compat):
    compat.value(prune_global)


def test_prune_random_counts(compat):
    def run(lib):
        prune = sub(lib, "nn.utils.prune")
        d = lin(lib, 4, 3, 0)
        prune.random_unstructured(d, "weight", amount=5)
        n = int((d.weight_mask == 0).sum())
        prune.random_structured(d, "weight", amount=1, dim=1)
        return n, int((d.weight_mask.sum(0) == 0).sum()) >= 1
    compat.value(run)


X = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, float("nan")], dtype="float32")
CONSTRAINTS = {
    "real": lambda C: C.real, "positive": lambda C: C.positive, "nonnegative": lambda C: C.nonnegative,
    "unit_interval": lambda C: C.unit_interval, "interval": lambda C: C.interval(-1, 1),
    "half_open": lambda C: C.half_open_interval(0, 1), "greater_than": lambda C: C.greater_than(0.5),
    "less_than": lambda C: C.less_than(1), "boolean": lambda C: C.boolean,
    "nonneg_int": lambda C: C.nonnegative_integer, "int_interval": lambda C: C.integer_interval(0, 1),
}


@pytest.mark.parametrize("name", sorted(CONSTRAINTS))
def test_constraints_check(compat, name):
    def run(lib):
        c = CONSTRAINTS[name](sub(lib, "distributions.constraints"))
        return c.check(lib.tensor(X)), c.is_discrete, c.event_dim, repr(c)
    compat.value(run)


def test_constraints_matrix_and_vector(compat):
    def run(lib):
        C = sub(lib, "distributions.constraints")
        A, B = lib.tensor([[2., 1.], [1., 2.]]), lib.tensor([[1., 2.], [2., 1.]])
        return (C.positive_definite.check(lib.stack([A, B])), C.positive_definite.check(lib.tensor([[1., 2.], [0., 1.]])),
                C.positive_semidefinite.check(lib.zeros(2, 2)), C.simplex.check(lib.tensor([[0.2, 0.8], [0.5, 0.6]])),
                C.lower_cholesky.check(lib.tensor([[1., 0.], [2., 3.]])), C.real_vector.check(lib.zeros(2, 3)),
                C.real_vector.event_dim, C.is_dependent(C.dependent),
                C.cat([C.positive, C.real], 0, [1, 2]).check(lib.tensor([-1., -1., 1.])))
    compat.value(run)


def flex(lib, **kw):
    F = sub(lib, "nn.attention.flex_attention")
    q = lib.tensor(randn(2, 4, 6, 8, dtype="float32", seed=0))
    k = lib.tensor(randn(2, 2, 7, 8, dtype="float32", seed=1))
    v = lib.tensor(randn(2, 2, 7, 5, dtype="float32", seed=2))

    def causal(b, h, qi, kv):
        return qi >= kv

    def window(b, h, qi, kv):
        return (qi - kv).abs() <= 2

    def bias(score, b, h, qi, kv):
        return score + (qi - kv) * 0.1 + h

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kw.get("empty"):
            bm = F.create_block_mask(lambda b, h, qi, kv: kv > 100, 2, 4, 6, 7, device="cpu")
            return F.flex_attention(q, k, v, block_mask=bm, enable_gqa=True, return_lse=True)
        bm = F.create_block_mask(F.and_masks(causal, window), None, None, 6, 7, device="cpu")
        out = F.flex_attention(q, k, v, score_mod=bias, block_mask=bm, enable_gqa=True, return_lse=True)
        return out, bm.shape, F.create_mask(F.or_masks(causal, window), 1, 1, 4, 4)


def test_flex_attention_mods_gqa_lse(compat):
    compat.value(flex, rtol=1e-5)


def test_flex_attention_fully_masked_rows(compat):
    compat.value(lambda lib: flex(lib, empty=True))


def test_flex_attention_heads_error(compat):
    def run(lib):
        F = sub(lib, "nn.attention.flex_attention")
        return F.flex_attention(lib.zeros(1, 4, 3, 8), lib.zeros(1, 2, 3, 8), lib.zeros(1, 2, 3, 8))
    compat.value(run)


def test_sdpa_kernel_flags(compat):
    def run(lib):
        A = sub(lib, "nn.attention")
        with A.sdpa_kernel(A.SDPBackend.MATH):
            inside = (lib.backends.cuda.flash_sdp_enabled(), lib.backends.cuda.math_sdp_enabled(),
                      [b.value for b in A._cur_sdpa_kernel_backends()])
        return inside, lib.backends.cuda.flash_sdp_enabled(), sorted(A.SDPBackend.__members__)
    compat.value(run)


@pytest.mark.parametrize("args", ["dtype", "dev_dtype_flag", "tensor", "kwargs", "two_strings"])
def test_parse_to(compat, args):
    def run(lib):
        a, k = {"dtype": ((lib.float16,), {}), "dev_dtype_flag": (("cpu", lib.float64, True), {}),
                "tensor": ((lib.ones(2, dtype=lib.int8),), {}),
                "kwargs": ((), {"device": "cpu", "non_blocking": True, "memory_format": lib.channels_last}),
                "two_strings": (("cpu", "cpu"), {})}[args]
        return [str(x) for x in sub(lib, "_C")._nn._parse_to(*a, **k)]
    compat.value(run)


def test_file_reader_reads_both_libraries_checkpoints(compat, tmp_path):
    def run(lib):
        out = []
        for writer in (lib, compat_torch()):
            if writer is None:
                continue
            p = str(tmp_path / f"{writer.__name__}.pt")
            writer.save({"a": writer.ones(2)}, p)
            r = sub(lib, "_C").PyTorchFileReader(p)
            out.append((sorted(r.get_all_records()), r.get_record("version"), r.get_record_size("data/0"),
                        open(p, "rb").read()[r.get_record_offset("data/0"):][:8] == r.get_record("data/0")))
        return out, [type(e).__name__ for e in errors(lib, tmp_path)]
    compat.value(run)


def compat_torch():
    from compat import _harness
    return _harness.torch


def errors(lib, tmp_path):
    out = []
    for f in (lambda: sub(lib, "_C").PyTorchFileReader(str(tmp_path / "missing.pt")),
              lambda: sub(lib, "_C").PyTorchFileReader(str(tmp_path / "torch.pt")).get_record("nope")):
        try:
            f()
        except Exception as e:
            out.append(e)
    return out


def test_hub_cache_and_downloads(compat, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))
    src = tmp_path / "w.pt"

    def run(lib):
        hub = sub(lib, "hub")
        lib.save({"w": lib.arange(3.0)}, str(src))
        d = hub.get_dir()
        dst = str(tmp_path / f"copy-{lib.__name__}.pt")
        hub.download_url_to_file(src.as_uri(), dst, progress=False)
        sd = hub.load_state_dict_from_url(src.as_uri(), model_dir=str(tmp_path / lib.__name__),
                                          progress=False)
        try:
            hub.download_url_to_file(src.as_uri(), dst + "x", hash_prefix="0000", progress=False)
            bad = None
        except Exception as e:
            bad = type(e).__name__
        return os.path.relpath(d, tmp_path), os.path.exists(dst), sd["w"], bad, os.path.exists(dst + "x")
    compat.value(run)


def test_cuda_extras_without_gpu(compat):
    def run(lib):
        if lib.cuda.is_available():
            pytest.skip("a GPU is visible")
        with lib.cuda.StreamContext(None):
            pass
        try:
            lib.cuda.CUDAGraph()
            graph = None
        except Exception as e:
            graph = type(e).__name__
        return (lib.cuda.get_rng_state_all(), dict(lib.cuda.memory_stats()), len(lib.cuda.default_generators),
                lib.cuda.set_rng_state_all([]), graph)
    compat.value(run)


def test_small_names(compat):
    def run(lib):
        v = sub(lib, "torch_version").TorchVersion("2.13.0")
        jit = lib.jit
        A = sub(lib, "jit.annotations")
        return (v > "2.1", v < (2, 14), v == "2.13", A.List is __import__("typing").List,
                jit._script_if_tracing(len)([1, 2]), isinstance(lib.nn.Linear(1, 1), jit.ScriptModule),
                sub(lib, "_C")._get_tracing_state(), sub(lib, "_C")._log_api_usage_once("x"),
                sub(lib, "types").Number == (int | float | bool) or "Union" in str(sub(lib, "types").Number))
    compat.value(run)
