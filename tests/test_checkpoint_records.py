"""jtorch.load checks each tensor record against its storage record before reading or allocating
(issue 14 §5): out-of-bounds and malformed records raise torch's RuntimeError, an expanded
(stride-0) record may not grow past JTORCH_LOAD_EXPAND_LIMIT, and a deflated record is read
into one buffer. Memory is measured in a child process under RLIMIT_AS, so a regression fails
the test instead of exhausting the machine."""
import os
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

import jtorch
from jtorch import serialization


def _crafted(monkeypatch, path, size, stride, offset=0, values=(1.0, 2.0, 3.0)):
    """A checkpoint whose one tensor record declares (size, stride, offset) over `values`."""
    real = serialization._Pickler._storage_of

    def declared(self, t):
        return real(self, t)[0], offset, tuple(size), tuple(stride)
    with monkeypatch.context() as m:
        m.setattr(serialization._Pickler, "_storage_of", declared)
        jtorch.save({"t": jtorch.tensor(values)}, str(path))
    return str(path)


@pytest.mark.parametrize("size,stride,offset,words", [
    ((4,), (1,), 0, "past its storage"),
    ((1,), (1,), 3, "past its storage"),
    ((2,), (3,), 0, "past its storage"),
    ((2,), (-1,), 0, "overflowed"),
    ((1,), (1,), -1, "invalid storage offset"),
    ((-2,), (1,), 0, "overflow"),
    ((2, 1), (1,), 0, "unequal size length"),
])
def test_bad_records_raise_runtime_error(monkeypatch, tmp_path, size, stride, offset, words):
    path = _crafted(monkeypatch, tmp_path / "bad.pt", size, stride, offset)
    with pytest.raises(RuntimeError, match=words):
        jtorch.load(path, weights_only=True)


def test_empty_record_ignores_its_offset(monkeypatch, tmp_path):
    t = jtorch.load(_crafted(monkeypatch, tmp_path / "e.pt", (0, 2), (2, 1), 5))["t"]
    assert tuple(t.shape) == (0, 2) and t.dtype == jtorch.float32


def test_small_expanded_record_loads_as_values_and_strides(monkeypatch, tmp_path):
    t = jtorch.load(_crafted(monkeypatch, tmp_path / "x.pt", (4, 3), (0, 1)))["t"]
    assert t.stride() == (0, 1)
    np.testing.assert_array_equal(t.numpy(), np.tile([1.0, 2.0, 3.0], (4, 1)))


def test_expand_limit_counts_the_whole_load(monkeypatch, tmp_path):
    path = _crafted(monkeypatch, tmp_path / "x.pt", (100, 3), (0, 1))  # 1188 bytes beyond storage
    monkeypatch.setenv("JTORCH_LOAD_EXPAND_LIMIT", "1000")
    with pytest.raises(RuntimeError, match="JTORCH_LOAD_EXPAND_LIMIT"):
        jtorch.load(path)
    monkeypatch.setenv("JTORCH_LOAD_EXPAND_LIMIT", "2000")
    assert tuple(jtorch.load(path)["t"].shape) == (100, 3)


_CHILD = textwrap.dedent("""
    import resource, sys
    import jtorch
    jtorch.load(sys.argv[1])  # JAX's own start-up memory is not the loads'


    def status(key):  # bytes
        return int(next(l for l in open("/proc/self/status") if l.startswith(key)).split()[1]) * 1024
    for path, headroom in zip(sys.argv[2::2], sys.argv[3::2]):
        resource.setrlimit(resource.RLIMIT_AS, (status("VmSize") + int(headroom), resource.RLIM_INFINITY))
        open("/proc/self/clear_refs", "w").write("5")  # peak RSS (VmHWM) := current RSS
        before = status("VmRSS")
        try:
            t = jtorch.load(path, weights_only=True)["t"]
        except RuntimeError as e:
            print("RuntimeError", str(e).replace(chr(10), " "))
        else:
            grew = status("VmHWM") - before
            print("loaded", tuple(t.shape), grew)
        t = None
        resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
""")
N = 64 << 20  # bytes of the deflated record


@pytest.fixture(scope="module")
def child_loads(tmp_path_factory):
    """One child process (one import) loads each file under an address-space limit: a 1 KB file
    declaring a 20000x100000 stride-0 tensor over 3 floats (torch keeps a 12-byte view; jtorch
    would need 8 GB, as JAX arrays have no stride 0), and a 64 MiB deflated record."""
    tmp = tmp_path_factory.mktemp("ckpt")
    warm, s0, src, defl = (str(tmp / n) for n in ("w.pt", "s0.pt", "s.pt", "d.pt"))
    jtorch.save({"t": jtorch.ones(2)}, warm)
    with pytest.MonkeyPatch.context() as m:
        _crafted(m, s0, (20000, 100000), (0, 0))
    jtorch.save({"t": jtorch.zeros(N // 4)}, src)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(defl, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))
    r = subprocess.run([sys.executable, "-c", _CHILD, warm, s0, str(1 << 30), defl, str(6 * N)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    lines = r.stdout.splitlines()
    return os.path.getsize(s0), lines[0].split(maxsplit=1), lines[1].split(maxsplit=1)


def test_stride0_record_of_a_1kb_file_is_refused_within_bounded_memory(child_loads):
    size, (kind, detail), _ = child_loads
    assert size < 2048
    assert kind == "RuntimeError" and "JTORCH_LOAD_EXPAND_LIMIT" in detail, detail


def test_deflated_record_is_held_once_while_read(child_loads):
    _, _, (kind, detail) = child_loads
    assert kind == "loaded", detail
    shape, grew = detail.rsplit(maxsplit=1)
    # one buffer of the record (+ zipfile's pieces); zipfile.read joined pieces: 2.0 N
    assert shape == f"({N // 4},)" and int(grew) < 1.7 * N, int(grew) / N
