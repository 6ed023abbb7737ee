"""Checkpoints both ways between jtorch and torch 2.13, and the malicious-pickle corpus."""
import collections
import io
import os
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import jtorch  # noqa: E402

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
         "float64", "complex64", "complex128"]


def _np(t):
    """Values of a torch or jtorch tensor as numpy (bfloat16 through float32)."""
    if t.dtype in (torch.bfloat16, jtorch.bfloat16):
        t = t.float()
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t)


def _to_torch(obj, **kw):
    buf = io.BytesIO()
    jtorch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, **kw)


def _to_jtorch(obj, legacy=False, **kw):
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=not legacy)
    buf.seek(0)
    return jtorch.load(buf, **kw)


def _make(lib, name):
    return (lib.arange(12) % 5 - 2).to(getattr(lib, name)).reshape(3, 4)


@pytest.mark.parametrize("weights_only", [True, False])
@pytest.mark.parametrize("name", NAMES)
def test_jtorch_file_loads_in_torch(name, weights_only):
    out = _to_torch({"x": _make(jtorch, name)}, weights_only=weights_only)
    want = _make(torch, name)
    assert out["x"].dtype == want.dtype and out["x"].shape == want.shape
    np.testing.assert_array_equal(_np(out["x"]), _np(want))


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
@pytest.mark.parametrize("name", NAMES)
def test_torch_file_loads_in_jtorch(name, legacy):
    out = _to_jtorch({"x": _make(torch, name)}, legacy=legacy)
    want = _make(jtorch, name)
    assert out["x"].dtype == want.dtype and tuple(out["x"].shape) == tuple(want.shape)
    np.testing.assert_array_equal(_np(out["x"]), _np(want))


def _views(lib):
    x = lib.arange(12.0)
    m = x.reshape(3, 4)
    return {"x": x, "row": m[1], "col": m[:, 2], "t": m.t(), "n": lib.arange(10.0)[3:7]}


@pytest.mark.parametrize("weights_only", [True, False])
def test_views_share_storage_in_torch(weights_only):
    out = _to_torch(_views(jtorch), weights_only=weights_only)
    want = _views(torch)
    for k in want:
        assert out[k].stride() == want[k].stride() and out[k].storage_offset() == want[k].storage_offset()
        np.testing.assert_array_equal(out[k].numpy(), want[k].numpy())
    ptr = out["x"].untyped_storage().data_ptr()
    assert all(out[k].untyped_storage().data_ptr() == ptr for k in ("row", "col", "t"))
    out["x"].mul_(10)
    assert out["col"].tolist() == [20.0, 60.0, 100.0]


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_views_share_storage_in_jtorch(legacy):
    out = _to_jtorch(_views(torch), legacy=legacy)
    want = _views(torch)
    for k in want:
        assert out[k].stride() == want[k].stride() and out[k].storage_offset() == want[k].storage_offset()
        np.testing.assert_array_equal(_np(out[k]), want[k].numpy())
    out["x"].mul_(10)
    assert out["col"].tolist() == [20.0, 60.0, 100.0] and out["t"][2].tolist() == [20.0, 60.0, 100.0]


def _misc(lib):
    return {"nested": [1, 2.5, "s", None, (True, b"b"), {"k": [lib.ones(2)]}],
            "size": lib.Size([2, 3]), "dtype": lib.float16, "device": lib.device("cpu"),
            "od": collections.OrderedDict(w=lib.zeros(2, requires_grad=True)), "scalar": lib.tensor(7),
            "set": {1, 2}}


@pytest.mark.parametrize("direction", ["jtorch->torch", "torch->jtorch"])
def test_containers_and_torch_objects(direction):
    if direction == "jtorch->torch":
        out, lib = _to_torch(_misc(jtorch)), torch
    else:
        out, lib = _to_jtorch(_misc(torch)), jtorch
    assert out["nested"][:5] == [1, 2.5, "s", None, (True, b"b")]
    assert out["nested"][5]["k"][0].tolist() == [1.0, 1.0]
    assert type(out["size"]) is lib.Size and out["size"] == (2, 3)
    assert out["dtype"] == lib.float16 and out["device"] == lib.device("cpu")
    assert type(out["od"]) is collections.OrderedDict and out["od"]["w"].requires_grad
    assert out["scalar"].item() == 7 and out["scalar"].dtype == lib.int64 and out["set"] == {1, 2}


def test_module_and_optimizer_state_dicts_from_torch():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.randn(5, 3)).sum().backward()
    opt.step()
    ckpt = {"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 3}
    out = _to_jtorch(ckpt)
    assert list(out["model"]) == list(ckpt["model"]) and out["epoch"] == 3
    for k, v in ckpt["model"].items():
        assert out["model"][k].dtype == jtorch.float32 if v.is_floating_point() else True
        np.testing.assert_array_equal(_np(out["model"][k]), v.numpy())
    st = out["opt"]["state"]
    assert sorted(st) == sorted(ckpt["opt"]["state"])
    assert st[0]["step"].item() == 1.0 and st[0]["exp_avg"].shape == ckpt["opt"]["state"][0]["exp_avg"].shape
    assert out["opt"]["param_groups"][0]["lr"] == 1e-3
    assert out["opt"]["param_groups"][0]["params"] == ckpt["opt"]["param_groups"][0]["params"]


def test_parameters_from_torch_and_back():
    p = torch.nn.Parameter(torch.arange(3.0))
    out = _to_jtorch({"p": p})
    assert type(out["p"]).__name__ == "Parameter" and out["p"].requires_grad
    back = _to_torch(out)
    assert isinstance(back["p"], torch.nn.Parameter) and back["p"].tolist() == [0.0, 1.0, 2.0]


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned-by-checkpoint",))


class EvilEval:
    def __reduce__(self):
        return (eval, ("__import__('os').getcwd()",))


@pytest.mark.parametrize("payload", [Evil(), EvilEval(), {"a": [torch.ones(1), (Evil(),)]}],
                         ids=["os.system", "eval", "nested"])
def test_torch_saved_malicious_pickles_are_refused(payload):
    buf = io.BytesIO()
    torch.save(payload, buf)
    for lib in (torch, jtorch):  # both refuse by default
        buf.seek(0)
        with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
            lib.load(buf)


def test_whole_module_pickle_from_torch():
    nn = jtorch.nn
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    out = _to_jtorch(model, weights_only=False)
    assert isinstance(out, nn.Linear)
    x = np.ones((1, 3), np.float32)
    np.testing.assert_allclose(_np(out(jtorch.tensor(x))), _np(model(torch.tensor(x))), rtol=1e-6)


def test_safetensors_both_ways(tmp_path):
    st = pytest.importorskip("safetensors.torch")
    sd = {"w": jtorch.arange(6.0).reshape(2, 3), "n": jtorch.tensor([1, 2], dtype=jtorch.int16),
          "h": jtorch.ones(3, dtype=jtorch.bfloat16), "b": jtorch.tensor([True, False]),
          "c": jtorch.tensor([1 + 2j])}
    jtorch.save(sd, tmp_path / "a.safetensors")
    out = st.load_file(str(tmp_path / "a.safetensors"))
    for k, v in sd.items():
        assert str(out[k].dtype) == str(v.dtype)
        np.testing.assert_array_equal(_np(out[k]), _np(v))
    st.save_file({k: v for k, v in out.items()}, str(tmp_path / "b.safetensors"), metadata={"format": "pt"})
    back = jtorch.load(tmp_path / "b.safetensors")
    for k, v in sd.items():
        assert back[k].dtype == v.dtype
        np.testing.assert_array_equal(_np(back[k]), _np(v))


def test_safe_globals_accept_jtorch_class_for_torch_name():
    nn = jtorch.nn
    buf = io.BytesIO()
    torch.save(torch.nn.Linear(2, 2), buf)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="torch.nn.modules.linear.Linear"):
        jtorch.load(buf)
    buf.seek(0)
    with jtorch.serialization.safe_globals([nn.Linear]):
        assert isinstance(jtorch.load(buf), nn.Linear)


def test_torch_mmap_load_of_jtorch_file(tmp_path):
    x = jtorch.arange(100.0).reshape(10, 10)
    jtorch.save({"x": x, "row": x[3]}, tmp_path / "j.pt")
    out = torch.load(tmp_path / "j.pt", mmap=True)  # needs torch's 64-byte record alignment
    assert out["row"].tolist() == list(range(30, 40))
    assert torch.serialization.get_unsafe_globals_in_checkpoint(str(tmp_path / "j.pt")) == []


def test_tensor_attributes_both_ways():
    t = torch.ones(2)
    t.note = "kept"
    assert _to_jtorch([t])[0].note == "kept"
    j = jtorch.ones(2)
    j.note = "kept"
    out = _to_torch([j])[0]
    assert out.note == "kept" and out.tolist() == [1.0, 1.0]
    p = jtorch.nn.Parameter(jtorch.ones(1))
    p.tag = 3
    assert _to_torch({"p": p})["p"].tag == 3 and _to_jtorch({"p": _to_torch({"p": p})["p"]})["p"].tag == 3


def test_training_resumes_in_torch_from_jtorch_checkpoint():
    nn = jtorch.nn
    m = nn.Linear(3, 2)
    opt = jtorch.optim.Adam(m.parameters(), lr=0.01)
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
    m(jtorch.tensor(x)).pow(2).sum().backward()
    opt.step()
    ck = _to_torch({"model": m.state_dict(), "opt": opt.state_dict()})
    tm = torch.nn.Linear(3, 2)
    tm.load_state_dict(ck["model"])
    topt = torch.optim.Adam(tm.parameters(), lr=0.01)
    topt.load_state_dict(ck["opt"])
    for model, o, lib in ((m, opt, jtorch), (tm, topt, torch)):
        o.zero_grad()
        model(lib.tensor(x)).pow(2).sum().backward()
        o.step()
    np.testing.assert_allclose(_np(m.weight), _np(tm.weight), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_whole_module_and_unsafe_globals_match_torch(legacy):
    nn = jtorch.nn
    buf = io.BytesIO()
    torch.save({"m": torch.nn.Linear(2, 3), "w": torch.ones(2)}, buf, _use_new_zipfile_serialization=not legacy)
    buf.seek(0)
    out = jtorch.load(buf, weights_only=False)
    assert isinstance(out["m"], nn.Linear) and tuple(out["m"].weight.shape) == (3, 2)
    if not legacy:
        buf.seek(0)
        want = torch.serialization.get_unsafe_globals_in_checkpoint(buf)
        buf.seek(0)
        assert jtorch.serialization.get_unsafe_globals_in_checkpoint(buf) == want
