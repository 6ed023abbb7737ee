"""jtorch.save / jtorch.load: round trips, the zip layout torch reads, safety, atomic writes."""
import collections
import copy
import io
import os
import pickle
import zipfile

import numpy as np
import pytest

import jtorch
from jtorch import serialization

DTYPES = [jtorch.bool, jtorch.uint8, jtorch.int8, jtorch.int16, jtorch.int32, jtorch.int64,
          jtorch.float16, jtorch.bfloat16, jtorch.float32, jtorch.float64, jtorch.complex64,
          jtorch.complex128]


def _roundtrip(obj, **kw):
    buf = io.BytesIO()
    jtorch.save(obj, buf)
    buf.seek(0)
    return jtorch.load(buf, **kw)


def _same(a, b):
    assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
    np.testing.assert_array_equal(np.asarray(a.to(jtorch.float32) if a.dtype == jtorch.bfloat16 else a),
                                  np.asarray(b.to(jtorch.float32) if b.dtype == jtorch.bfloat16 else b))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
def test_every_dtype_roundtrips(dtype):
    x = (jtorch.arange(6) % 3).to(dtype).reshape(2, 3)
    _same(_roundtrip(x), x)


def test_containers_scalars_and_torch_objects():
    obj = {"list": [1, 2.5, "s", None], "tuple": (True, b"bytes"), "size": jtorch.Size([2, 3]),
           "dtype": jtorch.bfloat16, "device": jtorch.device("cpu"), "set": {1, 2},
           "od": collections.OrderedDict(w=jtorch.ones(2)), "scalar": jtorch.tensor(3.5),
           "empty": jtorch.zeros(0, 4)}
    out = _roundtrip(obj)
    assert out["list"] == [1, 2.5, "s", None] and out["tuple"] == (True, b"bytes")
    assert type(out["size"]) is jtorch.Size and out["size"] == (2, 3)
    assert out["dtype"] is jtorch.bfloat16 and out["device"] == jtorch.device("cpu")
    assert out["set"] == {1, 2} and type(out["od"]) is collections.OrderedDict
    assert out["scalar"].item() == 3.5 and out["scalar"].shape == ()
    assert tuple(out["empty"].shape) == (0, 4)


def test_views_keep_sharing_storage():
    x = jtorch.arange(12.0)
    m = x.reshape(3, 4)
    obj = {"x": x, "row": m[1], "col": m[:, 2], "t": m.t(), "same": x}
    out = _roundtrip(obj)
    assert out["same"] is out["x"]
    assert out["col"].stride() == (4,) and out["col"].storage_offset() == 2
    assert out["t"].stride() == (1, 4)
    out["x"].mul_(10)  # one storage: every view sees the write
    assert out["row"].tolist() == [40.0, 50.0, 60.0, 70.0]
    assert out["col"].tolist() == [20.0, 60.0, 100.0]
    assert out["t"][2].tolist() == [20.0, 60.0, 100.0]


def test_views_saved_without_their_base():
    x = jtorch.arange(10.0)
    out = _roundtrip([x[2:5], x[6:]])
    assert out[0].tolist() == [2.0, 3.0, 4.0] and out[1].storage_offset() == 6
    out[0][0] = -1.0
    assert out[1].untyped_storage() == out[0].untyped_storage()


def test_requires_grad_survives():
    w = jtorch.ones(3, requires_grad=True)
    out = _roundtrip({"w": w, "v": w.detach()})
    assert out["w"].requires_grad and out["w"].is_leaf and not out["v"].requires_grad


def test_zip_layout_matches_torch():
    buf = io.BytesIO()
    jtorch.save({"a": jtorch.ones(3)}, buf)
    zf = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    names = zf.namelist()
    # record order and contents as torch 2.13 writes them
    assert names == ["archive/data.pkl", "archive/.format_version", "archive/.storage_alignment",
                     "archive/byteorder", "archive/data/0", "archive/version",
                     "archive/.data/serialization_id"]
    assert zf.read("archive/byteorder") == b"little" and zf.read("archive/version") == b"3\n"
    assert zf.read("archive/.format_version") == b"1" and zf.read("archive/.storage_alignment") == b"64"
    raw = buf.getvalue()
    for info in zf.infolist():
        assert info.compress_type == zipfile.ZIP_STORED
        name_len, extra_len = np.frombuffer(raw[info.header_offset + 26:info.header_offset + 30], "<u2")
        assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0
    assert np.frombuffer(zf.read("archive/data/0"), np.float32).tolist() == [1.0, 1.0, 1.0]
    text = zf.read("archive/data.pkl")
    assert b"torch._utils\n_rebuild_tensor_v2" in text and b"torch\nFloatStorage" in text
    assert b"jtorch" not in text  # the file does not depend on jtorch


def test_path_archive_name_and_file_objects(tmp_path):
    p = tmp_path / "ckpt.pt"
    jtorch.save([jtorch.ones(2)], p)
    assert zipfile.ZipFile(p).namelist()[0] == "ckpt/data.pkl"
    assert jtorch.load(str(p))[0].tolist() == [1.0, 1.0]
    with open(p, "rb") as f:
        assert jtorch.load(f, mmap=True)[0].tolist() == [1.0, 1.0]
    assert oct(os.stat(p).st_mode & 0o777) != oct(0o600) or os.umask(0o022) == 0o177


def test_map_location_forms():
    x = jtorch.arange(3.0)
    for ml in ["cpu", jtorch.device("cpu"), {"cpu": "cpu"}, lambda storage, loc: storage,
               lambda storage, loc: storage.cpu()]:
        out = _roundtrip(x, map_location=ml)
        assert out.device == jtorch.device("cpu") and out.tolist() == [0.0, 1.0, 2.0]


class Evil:
    def __reduce__(self):
        return (os.system, ("echo should-not-run",))


class EvilEval:
    def __reduce__(self):
        return (eval, ("1+1",))


class EvilExec:
    def __reduce__(self):
        import builtins
        return (builtins.exec, ("import os",))


class Plain:
    def __init__(self, v=1):
        self.v = v


def _zip_with(obj):
    """A checkpoint whose data.pkl is a plain pickle of obj (how a malicious file is made)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps(obj, protocol=2))
        zf.writestr("archive/byteorder", b"little")
        zf.writestr("archive/version", b"3\n")
    buf.seek(0)
    return buf


@pytest.mark.parametrize("payload", [Evil(), EvilEval(), EvilExec(), {"nested": [1, (Evil(),)]},
                                     collections.OrderedDict(a=[{"b": EvilEval()}]), Plain()],
                         ids=["os.system", "eval", "exec", "nested", "nested_od", "class"])
def test_weights_only_refuses_globals(payload):
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed.*Unsupported global"):
        jtorch.load(_zip_with(payload))
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        jtorch.load(io.BytesIO(pickle.dumps(payload, protocol=2)))  # not a zip: legacy path


def test_safe_globals():
    buf = io.BytesIO()
    jtorch.save({"p": Plain(5)}, buf)
    with pytest.raises(pickle.UnpicklingError):
        jtorch.load(io.BytesIO(buf.getvalue()))
    with serialization.safe_globals([Plain]):
        assert Plain in serialization.get_safe_globals()
        assert jtorch.load(io.BytesIO(buf.getvalue()))["p"].v == 5
    assert Plain not in serialization.get_safe_globals()
    serialization.add_safe_globals([Plain])
    try:
        assert jtorch.load(io.BytesIO(buf.getvalue()))["p"].v == 5
    finally:
        serialization.clear_safe_globals()
    assert jtorch.load(io.BytesIO(buf.getvalue()), weights_only=False)["p"].v == 5


def test_pickle_module_turns_weights_only_off():
    buf = io.BytesIO()
    jtorch.save(Plain(2), buf)
    buf.seek(0)
    assert jtorch.load(buf, pickle_module=pickle).v == 2
    with pytest.raises(RuntimeError, match="explicit pickle_module"):
        jtorch.load(buf, pickle_module=pickle, weights_only=True)


def test_atomic_save_keeps_old_file_on_failure(tmp_path, monkeypatch):
    p = tmp_path / "ckpt.pt"
    jtorch.save({"v": jtorch.tensor([1.0])}, p)
    before = p.read_bytes()

    def broken(zf, name, data):
        if "/data/" in name:
            raise OSError(28, "No space left on device")
        return real(zf, name, data)
    real = serialization._record
    monkeypatch.setattr(serialization, "_record", broken)
    with pytest.raises(OSError, match="No space left"):
        jtorch.save({"v": jtorch.tensor([2.0])}, p)
    assert p.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.pt"]  # no temporary file left behind
    monkeypatch.undo()
    jtorch.save({"v": jtorch.tensor([3.0])}, p)
    assert jtorch.load(p)["v"].tolist() == [3.0]


def test_pickle_and_copy_of_tensors():
    x = jtorch.arange(6.0).reshape(2, 3).requires_grad_()
    a, b = pickle.loads(pickle.dumps([x, x[1]]))
    assert a.requires_grad and b.tolist() == [3.0, 4.0, 5.0]
    assert b.untyped_storage() == a.untyped_storage()
    c = copy.copy(jtorch.tensor([1, 2], dtype=jtorch.int16))
    assert c.dtype == jtorch.int16 and c.tolist() == [1, 2]
    d = copy.deepcopy({"k": jtorch.ones(2, dtype=jtorch.bfloat16)})
    assert d["k"].dtype == jtorch.bfloat16


def test_whole_module_roundtrip():
    nn = jtorch.nn
    jtorch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = jtorch.ones(1, 3)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        _roundtrip(m)
    m2 = _roundtrip(m, weights_only=False)
    assert type(m2) is nn.Sequential and type(m2[0].weight).__name__ == "Parameter"
    assert m2(x).tolist() == m(x).tolist()
    sd = _roundtrip(m.state_dict())
    assert list(sd) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    m2[0].weight.data.zero_()
    m2.load_state_dict(sd)
    assert m2(x).tolist() == m(x).tolist()


def test_safetensors_roundtrip_and_layout(tmp_path):
    p = tmp_path / "w.safetensors"
    sd = {"w": jtorch.arange(6.0).reshape(2, 3), "n": jtorch.tensor([1, 2], dtype=jtorch.int16),
          "h": jtorch.ones(3, dtype=jtorch.bfloat16), "view": jtorch.arange(10)[2:5]}
    jtorch.save(sd, p)
    raw = p.read_bytes()
    n = int(np.frombuffer(raw[:8], "<u8")[0])
    assert n % 8 == 0 and raw[8:9] == b"{"
    import json
    header = json.loads(raw[8:8 + n])
    # the safetensors spec: dtype codes, shapes, back-to-back offsets covering the data
    assert header["w"] == {"dtype": "F32", "shape": [2, 3], "data_offsets": header["w"]["data_offsets"]}
    assert header["n"]["dtype"] == "I16" and header["h"]["dtype"] == "BF16" and header["view"]["shape"] == [3]
    spans = sorted(v["data_offsets"] for v in header.values())
    assert spans[0][0] == 0 and all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    assert spans[-1][1] == len(raw) - 8 - n
    out = jtorch.load(p)
    assert set(out) == set(sd)
    for k in sd:
        _same(out[k], sd[k])
    with pytest.raises(ValueError, match="safetensors stores only tensors"):
        jtorch.save({"a": 1}, tmp_path / "bad.safetensors")
    assert not (tmp_path / "bad.safetensors").exists()


def _relocated(location: bytes):
    """A checkpoint whose storage claims to live on `location` (as one saved on a GPU does)."""
    buf = io.BytesIO()
    jtorch.save({"x": jtorch.arange(3.0)}, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name in src.namelist():
            data = src.read(name)
            if name.endswith("data.pkl"):
                old, new = b"X\x03\x00\x00\x00cpu", b"X" + len(location).to_bytes(4, "little") + location
                assert old in data
                data = data.replace(old, new)
            zf.writestr(name, data)
    out.seek(0)
    return out


def test_gpu_checkpoint_needs_map_location_without_gpu():
    import jax
    try:
        has_gpu = bool(jax.devices("gpu"))
    except RuntimeError:
        has_gpu = False
    if has_gpu:
        assert jtorch.load(_relocated(b"cuda:0"))["x"].device.type == "cuda"
    else:
        with pytest.raises(RuntimeError, match="map_location"):
            jtorch.load(_relocated(b"cuda:0"))
    for ml in ["cpu", {"cuda:0": "cpu"}, lambda s, loc: s]:
        if has_gpu and callable(ml):
            continue
        out = jtorch.load(_relocated(b"cuda:0"), map_location=ml)["x"]
        assert out.device == jtorch.device("cpu") and out.tolist() == [0.0, 1.0, 2.0]


def test_unknown_torch_name_is_a_clear_error():
    # a pickle naming a torch class jtorch lacks (written by hand: no torch needed)
    payload = b"\x80\x02ctorch.nn.modules.made_up\nMadeUp\nq\x00)\x81q\x01."
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", payload)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="jtorch does not provide"):
        jtorch.load(buf, weights_only=False)


def test_invalid_tensor_record_refused(monkeypatch):
    real = serialization._Pickler._storage_of

    def negative_offset(self, t):
        ref, offset, size, stride = real(self, t)
        return ref, -4, size, stride
    monkeypatch.setattr(serialization._Pickler, "_storage_of", negative_offset)
    buf = io.BytesIO()
    jtorch.save(jtorch.ones(3), buf)
    monkeypatch.undo()
    buf.seek(0)
    with pytest.raises(RuntimeError, match="invalid storage offset"):  # torch's type and words
        jtorch.load(buf)


def test_tensor_state_cannot_touch_internals():
    t = jtorch.ones(2)
    t.note = "ok"
    buf = io.BytesIO()
    jtorch.save(t, buf)
    # rewrite the saved attribute name 'note' as '_sa' (jtorch's array slot), same length+1
    raw = buf.getvalue()
    data = zipfile.ZipFile(io.BytesIO(raw)).read("archive/data.pkl")
    evil = data.replace(b"X\x04\x00\x00\x00note", b"X\x03\x00\x00\x00_sa")
    assert evil != data
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w") as zf:
        for name in src.namelist():
            zf.writestr(name, evil if name.endswith("data.pkl") else src.read(name))
    out.seek(0)
    loaded = jtorch.load(out)
    assert loaded.tolist() == [1.0, 1.0] and not hasattr(loaded, "note")


def test_get_unsafe_globals_in_checkpoint(tmp_path):
    p = tmp_path / "c.pt"
    jtorch.save({"w": jtorch.ones(2), "p": Plain(), "s": {1}}, p)
    assert serialization.get_unsafe_globals_in_checkpoint(p) == [f"{__name__}.Plain"]
    with serialization.safe_globals([Plain]):
        assert serialization.get_unsafe_globals_in_checkpoint(str(p)) == []
    assert serialization.get_unsafe_globals_in_checkpoint(_zip_with(Evil())) == ["posix.system"]
