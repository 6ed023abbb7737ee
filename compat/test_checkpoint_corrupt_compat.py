"""Corrupt or truncated checkpoints raise torch's error types in jtorch.load (issue 14 §5)."""
import zipfile

import pytest

torch = pytest.importorskip("torch")
import jtorch  # noqa: E402


def _saved(tmp_path):
    p = tmp_path / "ok.pt"
    torch.save({"w": torch.ones(100)}, str(p))
    return p, p.read_bytes()


def _rewrite(src, dst, change):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info, data)


def _truncated(tmp_path):
    p, data = _saved(tmp_path)
    (tmp_path / "t.pt").write_bytes(data[: len(data) // 2])
    return tmp_path / "t.pt"


def _zip_header_only(tmp_path):
    (tmp_path / "g.pt").write_bytes(b"PK\x03\x04" + b"x" * 200)
    return tmp_path / "g.pt"


def _record_missing(tmp_path):
    p, _ = _saved(tmp_path)
    _rewrite(p, tmp_path / "m.pt", lambda n, d: None if n.endswith("/data/0") else d)
    return tmp_path / "m.pt"


def _pickle_garbage(tmp_path):
    p, _ = _saved(tmp_path)
    _rewrite(p, tmp_path / "p.pt", lambda n, d: b"\x80\x02garbage" if n.endswith("data.pkl") else d)
    return tmp_path / "p.pt"


def _outcome(lib, path):
    try:
        lib.load(str(path), weights_only=True)
    except Exception as e:  # noqa: BLE001
        return type(e).__name__
    return "value"


@pytest.mark.parametrize("make", [_truncated, _zip_header_only, _record_missing, _pickle_garbage],
                         ids=lambda f: f.__name__.strip("_"))
def test_same_error_type(tmp_path, make):
    path = make(tmp_path)
    expected = _outcome(torch, path)
    assert expected != "value"
    assert _outcome(jtorch, path) == expected
