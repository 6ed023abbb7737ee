"""data_ptr() is a real address; storages (from_file, slicing, asarray); view(dtype); safetensors
round trips under the drop-in alias. Expected values are torch 2.13's."""
import ctypes
import copy
import os
import subprocess
import sys
import textwrap

import pytest

import jtorch as torch


def test_data_ptr_is_readable_memory():
    x = torch.arange(12, dtype=torch.int32).reshape(3, 4) * 3
    row = x[2]
    assert row.data_ptr() - x.data_ptr() == 2 * 4 * 4
    assert list(memoryview(ctypes.string_at(row.data_ptr(), 16)).cast("i")) == [24, 27, 30, 33]
    assert x.untyped_storage().data_ptr() == x.data_ptr()
    assert torch.empty(0).data_ptr() == 0 and torch.empty(3, device="meta").data_ptr() == 0


def test_data_ptr_unique_per_storage():
    # deepcopy shares the jax buffer; torch code reads equal addresses as shared memory
    x = torch.randn(3, 4)
    y = copy.deepcopy(x)
    assert x.data_ptr() != y.data_ptr() and torch.equal(x, y)
    assert x.detach().data_ptr() == x.data_ptr()


def test_data_ptr_under_compile_falls_back():
    x = torch.ones(3)

    @torch.compile
    def f(t):
        return t.data_ptr() != 0

    with pytest.warns(UserWarning):
        assert f(x) and f(x)


def test_view_dtype_matches_torch():
    assert torch.tensor([1.0, -2.5]).view(torch.uint8).tolist() == [0, 0, 128, 63, 0, 0, 32, 192]
    assert torch.tensor([0, 0, 128, 63, 0, 0, 0, 64], dtype=torch.uint8).view(
        torch.float32).tolist() == [1.0, 2.0]
    v = torch.arange(8, dtype=torch.uint8).reshape(2, 4)[:, 2:].view(torch.int16)
    assert v.tolist() == [[770], [1798]] and v.storage_offset() == 1 and v.stride() == (2, 1)
    assert torch.arange(6.0).reshape(2, 3).view(torch.uint8).stride() == (12, 1)
    with pytest.raises(RuntimeError, match=r"self.stride\(-1\) must be 1 to view Float as Half"):
        torch.arange(6.0).reshape(2, 3).t().view(torch.float16)
    with pytest.raises(RuntimeError, match=r"self.dim\(\) cannot be 0"):
        torch.tensor(1.0).view(torch.uint8)
    with pytest.raises(RuntimeError, match=r"self.size\(-1\) must be divisible by 4"):
        torch.zeros(3, dtype=torch.uint8).view(torch.float32)


def test_view_dtype_writes_through_both_ways():
    z = torch.zeros(2)
    z.view(torch.int32)[0] = 1065353216
    z.view(torch.uint8)[4:8] = torch.tensor([0, 0, 0, 64], dtype=torch.uint8)
    assert z.tolist() == [1.0, 2.0]
    z.add_(1)
    assert z.view(torch.int32).tolist() == [1073741824, 1077936128]


def test_view_dtype_under_compile():
    def f(x):
        return x.view(torch.int32) + 1
    x = torch.tensor([1.0, 2.0])
    cf = torch.compile(f, fullgraph=True)
    assert cf(x).tolist() == f(x).tolist() == [1065353217, 1073741825]
    assert cf(x).tolist() == [1065353217, 1073741825]


def test_untyped_storage_slices_and_from_file(tmp_path):
    s = torch.tensor([1.0, 2.0]).untyped_storage()
    sl = s[4:8]
    assert (s.nbytes(), sl.nbytes(), sl.tolist(), s[-1]) == (8, 4, [0, 0, 0, 64], 64)
    assert sl.data_ptr() - s.data_ptr() == 4 and s.untyped() is s
    assert repr(sl) == " 0\n 0\n 0\n 64\n[torch.storage.UntypedStorage(device=cpu) of size 4]"
    with pytest.raises(IndexError, match="out of range for storage of size 8"):
        s[8]
    with pytest.raises(RuntimeError, match="only a step of 1"):
        s[0:4:2]
    p = tmp_path / "b.bin"
    p.write_bytes(bytes([0, 0, 128, 63, 0, 0, 0, 64, 1, 2, 3, 4]))
    f = torch.UntypedStorage.from_file(str(p), False, 12)
    t = torch.asarray(f[0:8], dtype=torch.uint8).view(dtype=torch.float32)
    assert t.tolist() == [1.0, 2.0]
    assert torch.asarray(f[8:12], dtype=torch.int16).tolist() == [513, 1027]
    with pytest.raises(RuntimeError, match="smaller than the required mapping size"):
        torch.UntypedStorage.from_file(str(p), False, 13)


def _run_dropin(tmp_path, body):
    script = tmp_path / "s.py"
    script.write_text(textwrap.dedent(body))
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    r = subprocess.run([sys.executable, "-m", "jtorch", str(script)], capture_output=True,
                       text=True, cwd=tmp_path, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout


def test_safetensors_round_trips_under_the_alias(tmp_path):
    pytest.importorskip("safetensors")
    out = _run_dropin(tmp_path, """
        import torch
        from safetensors.torch import save_file, load_file, safe_open, save, load
        t = {"a": torch.arange(6, dtype=torch.float32).reshape(2, 3), "b": torch.tensor([1, 2, 3]),
             "c": torch.tensor([True, False]), "d": torch.randn(4, 5).to(torch.bfloat16),
             "e": torch.zeros(0, 3), "f": torch.tensor(3.5, dtype=torch.float64),
             "g": torch.arange(12).reshape(3, 4)[1:], "h": torch.ones(3, dtype=torch.float16)}
        save_file(t, "x.safetensors", metadata={"k": "v"})
        back = load_file("x.safetensors")
        assert all(back[k].dtype == t[k].dtype and torch.equal(back[k], t[k]) for k in t)
        with safe_open("x.safetensors", framework="pt") as f:
            assert sorted(f.keys()) == sorted(t) and f.metadata() == {"k": "v"}
            assert f.get_slice("a")[:, 1:].tolist() == [[1.0, 2.0], [4.0, 5.0]]
        assert all(torch.equal(load(save(t))[k], t[k]) for k in t)
        x = torch.randn(3, 4)
        for bad in ({"a": x, "b": x}, {"a": x, "b": x[0]}):
            try:
                save_file(bad, "y.safetensors")
            except RuntimeError as e:
                assert "share memory" in str(e)
            else:
                raise AssertionError("shared tensors were saved")
        import copy
        save_file({"a": x, "b": copy.deepcopy(x)}, "z.safetensors")
        print("ok")
    """)
    assert out.strip().endswith("ok")


def test_numpy_interop_raises_instead_of_diverging():
    import numpy as np
    t = torch.arange(3.0)
    for a in (t.numpy(), np.asarray(t), t[1:].numpy()):
        with pytest.raises(ValueError, match="read-only"):
            a[0] = 5.0
    assert t.tolist() == [0.0, 1.0, 2.0]
    src = np.zeros(3, np.float32)
    u = torch.from_numpy(src)  # a copy (documented): jax arrays never alias numpy memory
    src[0] = 1.0
    assert u.tolist() == [0.0, 0.0, 0.0]
    w = t.numpy().copy()
    w[0] = 9.0
    assert w[0] == 9.0
