"""torch.jit.trace / trace_module / save / load on exported programs."""
import io
import zipfile

import numpy as np
import pytest

import jtorch as torch

from _export_models import mlp

pytest.importorskip("flatbuffers")  # jax.export's serializer (pip install jtorch[export])


def test_trace_module_runs_compiled_and_generalises_batch():
    m = mlp()
    tm = torch.jit.trace(m, torch.randn(3, 4))
    assert isinstance(tm, torch.jit.ScriptModule) and isinstance(tm, torch.nn.Module)
    for n in (3, 6):
        x = torch.randn(n, 4)
        np.testing.assert_allclose(tm(x).detach().numpy(), m(x).detach().numpy(), rtol=1e-6)
    with pytest.raises(AssertionError, match=r"input.size\(\)\[1\] == 4"):
        tm(torch.randn(3, 5))
    assert "func.func" in tm.code and tm.original_name == "Sequential"
    assert sorted(tm.state_dict()) == sorted(m.state_dict())


def test_trace_function_and_trace_module():
    f = torch.jit.trace(lambda a, b: a * b + 1, (torch.ones(2), torch.full((2,), 3.0)))
    assert torch.equal(f(torch.ones(2), torch.ones(2)), torch.full((2,), 2.0))
    tm = torch.jit.trace_module(mlp(), {"forward": torch.randn(2, 4)})
    assert tm(torch.randn(2, 4)).shape == (2, 2)
    with pytest.raises(NotImplementedError, match="only 'forward'"):
        torch.jit.trace_module(mlp(), {"other": torch.randn(2, 4)})


def test_trace_raises_on_data_dependent_branch():
    class M(torch.nn.Module):
        def forward(self, x):
            return x if x.max() > 0 else -x
    with pytest.raises(RuntimeError, match="torch.cond"):
        torch.jit.trace(M(), torch.randn(3))


def test_save_load_round_trip():
    m = mlp()
    tm = torch.jit.trace(m, torch.randn(3, 4))
    buf = io.BytesIO()
    torch.jit.save(tm, buf, _extra_files={"meta.json": "{}"})
    buf.seek(0)
    extra = {"meta.json": ""}
    loaded = torch.jit.load(buf, map_location="cpu", _extra_files=extra)
    assert extra == {"meta.json": b"{}"}  # bytes, as torch.jit.load gives them
    x = torch.randn(5, 4)
    np.testing.assert_allclose(loaded(x).detach().numpy(), m(x).detach().numpy(), rtol=1e-6)
    f = torch.jit.trace(lambda a: a.sin(), torch.randn(3))
    buf = io.BytesIO()
    f.save(buf)
    buf.seek(0)
    g = torch.jit.load(buf)
    assert isinstance(g, torch.jit.ScriptFunction) and torch.allclose(g(torch.ones(3)), torch.ones(3).sin())


def test_save_of_scripted_module_says_why(monkeypatch):
    monkeypatch.setattr(torch.jit, "_warned", False)  # it warns once per process
    with pytest.warns(UserWarning):
        s = torch.jit.script(mlp())
    with pytest.raises(RuntimeError, match="no TorchScript.*torch.jit.trace"):
        torch.jit.save(s, io.BytesIO())


def test_load_of_torchscript_archive_says_why():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:  # the layout torch.jit.save writes
        for n in ("archive/data.pkl", "archive/code/__torch__.py", "archive/constants.pkl"):
            z.writestr(n, b"x")
    buf.seek(0)
    with pytest.raises(RuntimeError, match="TorchScript archive"):
        torch.jit.load(buf)
