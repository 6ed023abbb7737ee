"""torch.export.save/load: round trips, refused files, fresh processes, plain JAX."""
import hashlib
import io
import json
import os
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

import jtorch as torch
from jtorch.export import Dim, export, load, save
from jtorch.export import _format

from _export_models import ConvBN, mlp

pytest.importorskip("flatbuffers")  # jax.export's serializer (pip install jtorch[export])


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    m = mlp()
    ep = export(m, (torch.randn(3, 4),), dynamic_shapes=({0: Dim("b", max=64)},))
    path = tmp_path_factory.mktemp("ep") / "mlp.pt2"
    save(ep, path, extra_files={"note.txt": "hello", "raw.bin": b"\x00\x01"})
    return m, path, path.read_bytes()


def test_round_trip(saved):
    m, path, _ = saved
    extra = {"note.txt": "", "missing": ""}
    ep = load(path, extra_files=extra)
    assert extra == {"note.txt": "hello", "missing": ""}
    x = torch.randn(7, 4)
    np.testing.assert_allclose(ep.module()(x).detach().numpy(), m(x).detach().numpy(), rtol=1e-6)
    assert list(ep.state_dict) == list(m.state_dict())
    assert ep.example_inputs[0][0].shape == (3, 4)
    assert ep.range_constraints == {"b": (1, 64)}
    with pytest.raises(AssertionError, match="<= 64"):
        ep.module()(torch.randn(65, 4))


def test_round_trip_file_object_and_buffers():
    m = ConvBN().eval()
    with torch.no_grad():
        m.bn.running_mean.fill_(0.5)
    buf = io.BytesIO()
    save(export(m, (torch.randn(2, 2, 5, 5),)), buf)
    buf.seek(0)
    ep = load(buf)
    x = torch.randn(2, 2, 5, 5)
    with torch.no_grad():
        np.testing.assert_allclose(ep.module()(x).numpy(), m(x).numpy(), rtol=1e-5, atol=1e-6)
    assert [s.kind.name for s in ep.graph_signature.input_specs][-4:] == ["BUFFER"] * 3 + ["USER_INPUT"]


def _rewrite(data, change):
    """The archive with `change(name, bytes) -> bytes` applied and the header's checksums redone."""
    src = zipfile.ZipFile(io.BytesIO(data))
    header = json.loads(src.read(_format.HEADER))
    blobs = {n: change(n, src.read(n)) for n in src.namelist() if n != _format.HEADER}
    for n, b in blobs.items():
        if n in header["entries"]:
            header["entries"][n] = {"size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
    header = change(_format.HEADER, header)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(_format.HEADER, json.dumps(header))
        for n, b in blobs.items():
            z.writestr(n, b)
    return out.getvalue()


def _refused(data, match):
    with pytest.raises(RuntimeError, match=match):
        load(io.BytesIO(data))


def test_damaged_files_refused(saved):
    _, _, data = saved
    _refused(data[: len(data) // 2], "damaged")
    _refused(b"hello world", "not a zip archive")
    _refused(b"\x80\x02}q\x00.", "pickled file")
    i = data.index(b"ML\xefR")  # inside the StableHLO bytecode: the zip CRC catches it
    _refused(data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:], "damaged.*unreadable")


def test_rewritten_archive_loads(saved):
    _, _, data = saved
    ep = load(io.BytesIO(_rewrite(data, lambda n, b: b)))
    assert ep.module()(torch.ones(2, 4)).shape == (2, 2)


def test_newer_and_foreign_formats_refused(saved):
    _, _, data = saved

    def newer(n, b):
        if n == _format.HEADER:
            b["format_version"] = _format.FORMAT_VERSION + 1
        return b
    _refused(_rewrite(data, newer), "newer jtorch.*Upgrade jtorch")

    def other(n, b):
        if n == _format.HEADER:
            b["format"] = "something-else"
        return b
    _refused(_rewrite(data, other), "does not name")
    for names, match in ((["archive/archive_format", "archive/models/model.json"], "PyTorch .pt2"),
                         (["archive/constants.pkl", "archive/code/__torch__.py"], "TorchScript"),
                         (["archive/data.pkl"], "torch.save checkpoint"), (["a.txt"], "no jtorch_export")):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            for n in names:
                z.writestr(n, b"x")
        _refused(out.getvalue(), match)


def test_sizes_bounded_by_the_file(saved):
    _, _, data = saved

    def huge(n, b):  # a weight declaring far more bytes than the file holds
        if n == _format.WEIGHTS:
            k = int.from_bytes(b[:8], "little")
            head = json.loads(b[8:8 + k])
            name = next(k for k in head if k != "__metadata__")
            head[name]["shape"] = [1 << 20, 1 << 20]
            text = json.dumps(head).encode()
            return len(text).to_bytes(8, "little") + text + b[8 + k:]
        return b
    _refused(_rewrite(data, huge), "do not fit the file")
    out = io.BytesIO()  # a compressed entry: its declared size is not trusted
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for n in src.namelist():
            z.writestr(n, src.read(n))
    _refused(out.getvalue(), "compressed")


def test_save_argument_checks(tmp_path):
    with pytest.raises(TypeError, match="ExportedProgram"):
        save(mlp(), tmp_path / "x.pt2")
    ep = export(mlp(), (torch.randn(2, 4),))
    with pytest.raises(ValueError, match="relative file name"):
        save(ep, tmp_path / "x.pt2", extra_files={"../evil": "x"})


def _run(code, tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout


def test_load_in_fresh_process_without_model_code(saved, tmp_path):
    m, path, _ = saved
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    want = m(torch.tensor(x)).detach().numpy()
    np.save(tmp_path / "x.npy", x)
    out = _run(f"""
        import numpy as np, jtorch as torch
        mod = torch.export.load({str(path)!r}).module()
        y = mod(torch.tensor(np.load("x.npy"))).detach().numpy()
        np.save("y.npy", y)
        print(type(mod).__name__)
    """, tmp_path)
    assert out.strip() == "ExportedModule"
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), want, rtol=1e-6)


def _readme_plain_jax_snippet():
    """The README's plain-JAX loading code (section "Export and deploy"), run as written."""
    text = open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")).read()
    section = text[text.index("## Export and deploy"):]
    start = section.index("```python\nimport json, struct, zipfile")
    return section[start + len("```python\n"):section.index("```", start + 9)]


def test_plain_jax_runs_exported_file(tmp_path):
    m = ConvBN().eval()  # float32 weights and an int64 buffer (num_batches_tracked)
    save(export(m, (torch.randn(2, 2, 5, 5),), dynamic_shapes=({0: Dim("b")},)), tmp_path / "model.pt2")
    x = np.random.default_rng(1).standard_normal((3, 2, 5, 5)).astype(np.float32)
    with torch.no_grad():
        want = m(torch.tensor(x)).numpy()
    np.save(tmp_path / "x.npy", x)
    _run("import sys; sys.modules['jtorch'] = None  # jtorch is not used, nor importable\n"
         "import numpy as np\nx = np.load('x.npy')\n" + _readme_plain_jax_snippet() +
         "np.save('y.npy', np.asarray(outputs[0]))\n", tmp_path)
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), want, rtol=1e-6)


def test_any_flipped_byte_loads_or_is_refused(saved):
    """A damaged file never crashes or raises anything but the clear RuntimeError."""
    _, _, data = saved
    outcomes = set()
    for i in range(0, len(data), max(1, len(data) // 60)):
        bad = data[:i] + bytes([data[i] ^ 0x5A]) + data[i + 1:]
        try:
            ep = load(io.BytesIO(bad))
        except RuntimeError as e:
            assert "damaged" in str(e) or "Not an exported program" in str(e), str(e)
            outcomes.add("refused")
        else:  # a byte no check covers (zip timestamps, padding) must not change the program
            assert ep.module()(torch.ones(2, 4)).shape == (2, 2)
            outcomes.add("loaded")
    assert "refused" in outcomes
