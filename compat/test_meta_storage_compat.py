"""The meta device, storages and `view(dtype)` (issue 13, section 2), run on torch and jtorch."""
from __future__ import annotations

import pytest


def _desc(t):
    """What a meta tensor has: device, shape, dtype, strides, repr."""
    return [str(t.device), t.is_meta, list(t.shape), str(t.dtype), list(t.stride()), repr(t)]


def _raises(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001 - the type is the behaviour compared
        return type(e).__name__
    return "no error"


META_CASES = {
    "empty": lambda lib: _desc(lib.empty(2, 3, device="meta")),
    "empty_0d": lambda lib: _desc(lib.empty((), device="meta")),
    "empty_0_size": lambda lib: _desc(lib.empty(0, 4, device="meta")),
    "zeros_int": lambda lib: _desc(lib.zeros(3, dtype=lib.int64, device="meta")),
    "ones_bool": lambda lib: _desc(lib.ones(2, dtype=lib.bool, device="meta")),
    "full_half": lambda lib: _desc(lib.full((2,), 3.0, dtype=lib.float16, device="meta")),
    "requires_grad": lambda lib: _desc(lib.empty(2, device="meta", requires_grad=True)),
    "arange": lambda lib: _desc(lib.arange(5, device=lib.device("meta"))),
    "randn": lambda lib: _desc(lib.randn(2, 2, device="meta")),
    "empty_like": lambda lib: _desc(lib.empty_like(lib.empty(2, 5, device="meta"))),
    "zeros_like_to_meta": lambda lib: _desc(lib.zeros_like(lib.ones(3), device="meta")),
    "to_meta": lambda lib: _desc(lib.ones(2, 3).to("meta")),
    "add_broadcast": lambda lib: _desc(lib.empty(2, 1, device="meta") + lib.empty(3, device="meta")),
    "add_0d_cpu": lambda lib: _desc(lib.empty(2, device="meta") + lib.tensor(2.0)),
    "mul_scalar_int": lambda lib: _desc(lib.empty(2, dtype=lib.int32, device="meta") * 2),
    "promote": lambda lib: _desc(lib.empty(2, dtype=lib.int64, device="meta") / 2),
    "matmul": lambda lib: _desc(lib.empty(2, 3, device="meta") @ lib.empty(3, 5, device="meta")),
    "sum_dim": lambda lib: _desc(lib.empty(2, 3, 4, device="meta").sum((0, 2), keepdim=True)),
    "cat": lambda lib: _desc(lib.cat([lib.empty(2, 3, device="meta")] * 2, dim=1)),
    "softmax": lambda lib: _desc(lib.softmax(lib.empty(2, 3, device="meta"), -1)),
    "linear": lambda lib: _desc(lib.nn.functional.linear(lib.empty(4, 3, device="meta"),
                                                          lib.empty(5, 3, device="meta"))),
    "conv2d": lambda lib: _desc(lib.nn.functional.conv2d(lib.empty(1, 3, 8, 8, device="meta"),
                                                          lib.empty(4, 3, 3, 3, device="meta"),
                                                          stride=2, padding=1)),
    "view_t_slice": lambda lib: _desc(lib.empty(4, 6, device="meta").t()[1:3]),
    "view_reshape": lambda lib: _desc(lib.empty(4, 6, device="meta").view(2, -1)),
    "index_int_tensor": lambda lib: _desc(lib.empty(4, 6, device="meta")[lib.tensor([0, 2])]),
    "inplace_stays_meta": lambda lib: _desc(lib.empty(2, 3, device="meta").add_(1).mul_(2)),
    "inplace_view_stays_meta": lambda lib: _desc(
        (lambda b: (b[0].fill_(3.0), b)[1])(lib.empty(2, 3, device="meta"))),
    "zero_uniform_": lambda lib: _desc(lib.empty(2, 3, device="meta").zero_().uniform_()),
    "copy_from_cpu": lambda lib: _desc(lib.empty(2, 3, device="meta").copy_(lib.ones(2, 3))),
    "clone_contiguous": lambda lib: _desc(lib.empty(2, 3, device="meta").t().contiguous()),
    "int_default_dtype_repr": lambda lib: repr(lib.empty(2, device="meta", dtype=lib.float64)),
    "new_zeros": lambda lib: _desc(lib.empty(2, device="meta").new_zeros(3, 4)),
    "new_tensor": lambda lib: _desc(lib.empty(2, device="meta").new_tensor([1, 2])),
    "new_full_cpu": lambda lib: str(lib.empty(2, device="meta").new_full((2,), 1.0, device="cpu").device),
    "full_like": lambda lib: _desc(lib.full_like(lib.empty(2, device="meta"), 7)),
    "rand_like": lambda lib: _desc(lib.rand_like(lib.empty(2, dtype=lib.float64, device="meta"))),
    "randint_uint8": lambda lib: _desc(lib.randint(0, 5, (3,), dtype=lib.uint8, device="meta")),
    "randn_complex": lambda lib: _desc(lib.randn(2, dtype=lib.complex64, device="meta")),
    "randperm": lambda lib: _desc(lib.randperm(4, device="meta")),
    "sdpa": lambda lib: _desc(lib.nn.functional.scaled_dot_product_attention(
        *[lib.empty(1, 2, 5, 4, device="meta")] * 3, is_causal=True)),
    "embedding": lambda lib: _desc(lib.nn.functional.embedding(
        lib.empty(2, 3, dtype=lib.int64, device="meta"), lib.empty(10, 4, device="meta"))),
    "cross_entropy": lambda lib: _desc(lib.nn.functional.cross_entropy(
        lib.empty(4, 5, device="meta"), lib.empty(4, dtype=lib.int64, device="meta"))),
    "grad_fn": lambda lib: _desc(lib.empty(3, device="meta", requires_grad=True) * 2),
    "grad_fn_linear": lambda lib: _desc(lib.nn.Linear(2, 3, device="meta")(lib.empty(4, 2, device="meta"))),
    "grad_fn_split_view": lambda lib: [repr(t) for t in
                                       lib.empty(4, 6, device="meta", requires_grad=True).split(3, 1)],
    "no_grad_fn_under_no_grad": lambda lib: (lambda x: [repr(x.detach() * 2), repr(x.argmax())])(
        lib.empty(3, device="meta", requires_grad=True)),
    "storage": lambda lib: [lib.empty(2, 3, device="meta").untyped_storage().nbytes(),
                            lib.empty(2, 3, device="meta").data_ptr()],
}


@pytest.mark.parametrize("name", sorted(META_CASES))
def test_meta(compat, name):
    compat.value(META_CASES[name])


META_ERRORS = {
    "item_1": lambda lib: lib.empty((), device="meta").item(),
    "item_many": lambda lib: lib.empty(3, device="meta").item(),
    "bool": lambda lib: bool(lib.empty((), device="meta")),
    "float": lambda lib: float(lib.empty((), device="meta")),
    "numpy": lambda lib: lib.empty(2, device="meta").numpy(),
    "tolist": lambda lib: lib.empty(2, device="meta").tolist(),
    "to_cpu": lambda lib: lib.empty(2, device="meta").to("cpu"),
    "cpu": lambda lib: lib.empty(2, device="meta").cpu(),
    "copy_into_cpu": lambda lib: lib.ones(2).copy_(lib.empty(2, device="meta")),
    "mixed_devices": lambda lib: lib.empty(2, device="meta") + lib.ones(2),
    "nonzero": lambda lib: lib.empty(2, device="meta").nonzero(),
    "bool_mask": lambda lib: lib.empty(2, device="meta")[lib.empty(2, device="meta") > 0],
    "module_to_cpu": lambda lib: lib.nn.Linear(2, 3, device="meta").to("cpu"),
}


@pytest.mark.parametrize("name", sorted(META_ERRORS))
def test_meta_errors(compat, name):
    compat.value(lambda lib: _raises(lambda: META_ERRORS[name](lib)))


def _under_meta(lib):
    out = []
    with lib.device("meta") as d:
        out.append(str(d))
        out.append(str(lib.get_default_device()))
        m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.LayerNorm(4), lib.nn.Embedding(5, 4),
                              lib.nn.Conv2d(2, 3, 3), lib.nn.BatchNorm1d(4), lib.nn.LSTM(4, 5))
        out.append([(n, str(t.device), list(t.shape), type(t).__name__)
                    for n, t in list(m.named_parameters()) + list(m.named_buffers())])
        out.append([str(f().device) for f in (lambda: lib.tensor([1, 2]), lambda: lib.zeros(2),
                                              lambda: lib.zeros(2, device="cpu"))])
        y = m[0](lib.empty(7, 3))
        out.append(_desc(y)[:4])
    out.append(str(lib.get_default_device()))
    out.append(str(lib.zeros(1).device))
    return out


def test_device_context_manager(compat):
    compat.value(_under_meta)


def test_device_context_cpu_inside_meta(compat):
    def f(lib):
        with lib.device("meta"):
            with lib.device("cpu"):
                inner = str(lib.ones(1).device)
            after = str(lib.ones(1).device)
        return [inner, after, str(lib.ones(1).device)]
    compat.value(f)


def test_set_default_device(compat):
    def f(lib):
        lib.set_default_device("meta")
        try:
            got = [str(lib.get_default_device()), str(lib.ones(2).device),
                   str(lib.nn.Linear(2, 2).weight.device)]
        finally:
            lib.set_default_device(None)
        return got + [str(lib.get_default_device()), str(lib.ones(2).device)]
    compat.value(f)


def test_to_empty_then_init(compat):
    def f(lib):
        with lib.device("meta"):
            m = lib.nn.Linear(3, 2)
        m.to_empty(device="cpu")
        out = [str(m.weight.device), type(m.weight).__name__, m.weight.requires_grad,
               list(m.weight.shape)]
        with lib.no_grad():
            m.weight.fill_(0.5)
            m.bias.zero_()
        out.append(m(lib.ones(1, 3)))
        m2 = lib.nn.Linear(3, 2, device="meta").to_empty(device=None)
        out.append(str(m2.weight.device))
        return out
    compat.value(f)


def test_meta_init_draws_nothing(compat):
    # torch's samplers do nothing on meta tensors: the CPU generator does not move.
    def f(lib):
        lib.manual_seed(0)
        expected = lib.rand(3)
        lib.manual_seed(0)
        with lib.device("meta"):
            lib.nn.Linear(8, 8)
            lib.nn.LSTM(4, 4)
            lib.empty(5, device="meta").normal_()
            lib.rand(4)
            lib.randn_like(lib.empty(3))
            lib.randint(0, 9, (4,))
            lib.randperm(5)
        return lib.equal(lib.rand(3), expected)
    compat.value(f)


def _buffers_after_assign(lib):
    # from_pretrained's pattern: build on meta, load the saved parameters with assign=True,
    # then materialise and re-create what the checkpoint does not hold (a non-persistent buffer).
    class Emb(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = lib.nn.Embedding(6, 2)
            self.register_buffer("position_ids", lib.arange(6).expand((1, -1)), persistent=False)

        def forward(self, x):
            return self.w(self.position_ids[:, :x.shape[1]]) + x

    with lib.device("meta"):
        m = Emb()
    missing = m.load_state_dict({"w.weight": lib.arange(12.0).reshape(6, 2)}, strict=False,
                                assign=True)
    out = [sorted(missing.missing_keys), m.position_ids.is_meta, m.w.weight.is_meta]
    m.to_empty(device="cpu", recurse=False)  # only this module's own buffer
    with lib.no_grad():
        m.position_ids.copy_(lib.arange(6).expand((1, -1)))
    out.append(m(lib.zeros(1, 3, 2)))
    return out


def test_meta_build_then_assign(compat):
    compat.value(_buffers_after_assign)


# ---- storages, data_ptr and view(dtype) -----------------------------------------------------

VIEW_DTYPE = {
    "f32_to_u8": lambda lib: lib.tensor([1.0, -2.5]).view(lib.uint8),
    "f32_to_i32": lambda lib: lib.tensor([[1.0, 2.0], [3.0, -0.0]]).view(lib.int32),
    "f32_to_f16": lambda lib: lib.tensor([[1.0, 2.0], [3.0, 4.0]]).view(lib.float16),
    "u8_to_f32": lambda lib: lib.tensor([0, 0, 128, 63, 0, 0, 0, 64], dtype=lib.uint8).view(lib.float32),
    "u8_to_i16_2d": lambda lib: lib.arange(8, dtype=lib.uint8).reshape(2, 4).view(lib.int16),
    "u8_to_bool": lambda lib: lib.tensor([0, 1, 0], dtype=lib.uint8).view(lib.bool),
    "bf16_to_i16": lambda lib: lib.tensor([1.5, -3.0], dtype=lib.bfloat16).view(lib.int16),
    "i64_to_f64": lambda lib: lib.tensor([4607182418800017408]).view(lib.float64),
    "c64_to_f32": lambda lib: lib.tensor([1 + 2j, 3 - 4j]).view(lib.float32),
    "f32_to_c64": lambda lib: (lambda c: [str(c.dtype), c.real, c.imag])(
        lib.tensor([1.0, 2.0, 3.0, 4.0]).view(lib.complex64)),
    "same_dtype_kw": lambda lib: lib.tensor([1.0, 2.0]).view(dtype=lib.float32),
    "sliced_view": lambda lib: lib.arange(8, dtype=lib.uint8).reshape(2, 4)[:, 2:].view(lib.int16),
    "transposed_same_size": lambda lib: lib.arange(6.0).reshape(2, 3).t().view(lib.int32),
    "strides_u8": lambda lib: list(lib.arange(6.0).reshape(2, 3).view(lib.uint8).stride()),
    "offset_i16": lambda lib: lib.zeros(2, 4, dtype=lib.uint8)[:, 2:].view(lib.int16).storage_offset(),
    "grad": lambda lib: [lib.randn(3, requires_grad=True).view(lib.int32).requires_grad,
                         lib.randn(2, dtype=lib.float16, requires_grad=True).view(lib.bfloat16).grad_fn],
}


@pytest.mark.parametrize("name", sorted(VIEW_DTYPE))
def test_view_dtype(compat, name):
    compat.value(VIEW_DTYPE[name])


VIEW_DTYPE_ERRORS = {
    "zero_dim": lambda lib: lib.tensor(1.0).view(lib.uint8),
    "last_stride": lambda lib: lib.arange(6.0).reshape(2, 3).t().view(lib.float16),
    "size_divisible": lambda lib: lib.zeros(3, dtype=lib.uint8).view(lib.float32),
    "offset_divisible": lambda lib: lib.zeros(2, 5, dtype=lib.uint8)[:, 1:].view(lib.int16),
}


@pytest.mark.parametrize("name", sorted(VIEW_DTYPE_ERRORS))
def test_view_dtype_errors(compat, name):
    compat.value(lambda lib: _raises(lambda: VIEW_DTYPE_ERRORS[name](lib)))


def test_view_dtype_writes_through(compat):
    def f(lib):
        z = lib.zeros(2)
        v = z.view(lib.int32)
        v[0] = 1065353216
        u = z.view(lib.uint8)
        u[4:8] = lib.tensor([0, 0, 0, 64], dtype=lib.uint8)
        return [z, v, u, u.data_ptr() == z.data_ptr()]
    compat.value(f)


def test_data_ptr_offsets(compat):
    def f(lib):
        x = lib.arange(12.0).reshape(3, 4)
        p = x.data_ptr()
        return [p != 0, x[1].data_ptr() - p, x[:, 2].data_ptr() - p, x.t()[3].data_ptr() - p,
                x.untyped_storage().data_ptr() == p, x[2:].untyped_storage().data_ptr() == p,
                x.view(lib.uint8)[0, 5:].data_ptr() - p, lib.empty(0).data_ptr(),
                x.data_ptr() == x.data_ptr(), x.detach().data_ptr() == p,
                lib.ones(3).data_ptr() != lib.ones(3).data_ptr()]
    compat.value(f)


def test_data_ptr_reads_memory(compat):
    # safetensors reads tensor bytes through data_ptr with ctypes: the address must be real.
    import ctypes

    def f(lib):
        x = lib.arange(6, dtype=lib.int32).reshape(2, 3) * 7
        row = x[1]
        raw = ctypes.string_at(row.data_ptr(), 3 * 4)
        return list(memoryview(raw).cast("i"))
    compat.value(f)


def test_untyped_storage(compat):
    def f(lib):
        s = lib.tensor([1.0, 2.0], dtype=lib.float32).untyped_storage()
        sl = s[4:8]
        return [s.nbytes(), len(s), s.size(), s.element_size(), s[7], s[-1], s.tolist(),
                sl.nbytes(), sl.tolist(), sl.data_ptr() - s.data_ptr(), s[3:1].nbytes(),
                repr(sl), s.untyped() is s,
                _raises(lambda: s[8]), _raises(lambda: s[0:4:2])]
    compat.value(f)


def test_storage_from_file_asarray(compat, tmp_path):
    path = tmp_path / "bytes.bin"
    path.write_bytes(bytes([0, 0, 128, 63, 0, 0, 0, 64, 1, 2, 3, 4]))

    def f(lib):
        s = lib.UntypedStorage.from_file(str(path), False, 12)
        return [s.nbytes(), lib.asarray(s[0:8], dtype=lib.uint8),
                lib.asarray(s[0:8], dtype=lib.uint8).view(dtype=lib.float32),
                lib.asarray(s[8:12], dtype=lib.int16), lib.asarray(s, dtype=lib.int32).shape,
                _raises(lambda: lib.UntypedStorage.from_file(str(path), False, 13)),
                lib.frombuffer(bytearray(s.tolist()), dtype=lib.float32, count=2)]
    compat.value(f)


_SAFETENSORS_JTORCH = '''
import sys
import torch
from safetensors.torch import load_file, save_file
from safetensors import safe_open
got = load_file(sys.argv[1])
want = {k: v for k, v in __import__("_st_values").values(torch).items()}
assert sorted(got) == sorted(want), (sorted(got), sorted(want))
for k in want:
    assert got[k].dtype == want[k].dtype and torch.equal(got[k], want[k]), k
with safe_open(sys.argv[1], framework="pt") as f:
    assert f.get_slice("f32")[1:, :2].tolist() == want["f32"][1:, :2].tolist()
save_file({k: v * 2 if v.dtype != torch.bool else ~v for k, v in got.items()}, sys.argv[2])
print("ok")
'''

_ST_VALUES = '''
def values(torch):
    return {"f32": torch.arange(12, dtype=torch.float32).reshape(3, 4) / 4,
            "f64": torch.arange(5, dtype=torch.float64) - 2.5,
            "f16": torch.arange(6, dtype=torch.float16).reshape(2, 3) / 4,
            "bf16": torch.arange(4, dtype=torch.bfloat16) * 1.5,
            "i64": torch.arange(4) * -3, "i32": torch.arange(3, dtype=torch.int32),
            "u8": torch.arange(250, 256, dtype=torch.uint8), "b": torch.tensor([True, False]),
            "scalar": torch.tensor(7.25), "empty": torch.zeros(0, 2)}
'''


def test_safetensors_files_cross_library(tmp_path):
    import os
    import subprocess
    import sys
    from compat._harness import LIVE
    if not LIVE:
        pytest.skip("needs torch (the oracle) to write and read the files")
    pytest.importorskip("safetensors")
    import torch
    from safetensors.torch import load_file, save_file
    (tmp_path / "_st_values.py").write_text(_ST_VALUES)
    (tmp_path / "run.py").write_text(_SAFETENSORS_JTORCH)
    sys.path.insert(0, str(tmp_path))
    try:
        values = __import__("_st_values").values(torch)
    finally:
        sys.path.remove(str(tmp_path))
    save_file(values, str(tmp_path / "torch.safetensors"))
    r = subprocess.run([sys.executable, "-m", "jtorch", str(tmp_path / "run.py"),
                        str(tmp_path / "torch.safetensors"), str(tmp_path / "jtorch.safetensors")],
                       capture_output=True, text=True, cwd=tmp_path, timeout=300,
                       env=dict(os.environ, JAX_PLATFORMS="cpu"))
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]
    back = load_file(str(tmp_path / "jtorch.safetensors"))
    for k, v in values.items():
        exp = ~v if v.dtype == torch.bool else v * 2
        assert back[k].dtype == exp.dtype and torch.equal(back[k], exp), k
