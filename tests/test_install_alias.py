"""`python -m jtorch.install_alias`: a `torch` package and dist-info that resolve to jtorch,
written into a temporary target directory (never the real site-packages)."""
import os
import subprocess
import sys

import pytest

from jtorch import install_alias


def _run(args, **env):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, JAX_PLATFORMS="cpu", **env))


def test_install_import_metadata_and_uninstall(tmp_path, capsys):
    target = str(tmp_path / "site")
    assert install_alias.main(["--target", target]) == 0
    assert sorted(os.listdir(target)) == ["torch", "torch-2.13.0+jtorch.dist-info"]
    # PYTHONPATH comes before site-packages, so this wins over any torch installed there
    r = _run(["-c", "import importlib.metadata as md, torch, torch.nn.functional as F; "
                    "print(torch.__name__, F.__name__, md.version('torch'), "
                    "md.distribution('torch').read_text('top_level.txt').strip(), "
                    "torch.ones(2).sum().item())"], PYTHONPATH=target)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["jtorch", "jtorch.nn.functional", "2.13.0+jtorch", "torch", "2.0"]
    record = (tmp_path / "site" / "torch-2.13.0+jtorch.dist-info" / "RECORD").read_text()
    assert "torch/__init__.py,," in record  # what `pip uninstall torch` removes
    assert install_alias.main(["--uninstall", "--target", target]) == 0
    assert "removed" in capsys.readouterr().out and os.listdir(target) == []


def test_reinstall_replaces_the_alias(tmp_path):
    install_alias.install(str(tmp_path))
    install_alias.install(str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == ["torch", "torch-2.13.0+jtorch.dist-info"]
    assert install_alias.uninstall(str(tmp_path)) and not install_alias.uninstall(str(tmp_path))


@pytest.mark.parametrize("real", ["package", "dist-info"])
def test_refuses_a_real_torch(tmp_path, real, capsys):
    if real == "package":
        (tmp_path / "torch").mkdir()
        (tmp_path / "torch" / "__init__.py").write_text("# the real one\n")
    else:
        d = tmp_path / "torch-2.13.0.dist-info"
        d.mkdir()
        (d / "METADATA").write_text("Metadata-Version: 2.1\nName: torch\nVersion: 2.13.0\n")
        (d / "INSTALLER").write_text("pip\n")
    before = sorted(os.listdir(tmp_path))
    assert install_alias.main(["--target", str(tmp_path)]) == 1
    assert "a real torch is installed" in capsys.readouterr().err
    code = install_alias.main(["--uninstall", "--target", str(tmp_path)])
    assert sorted(os.listdir(tmp_path)) == before  # nothing written, nothing removed
    if real == "package":
        assert code == 1 and "not jtorch's alias" in capsys.readouterr().err


def test_default_target_refuses_a_real_torch_elsewhere_on_the_path(tmp_path, monkeypatch):
    class RealDist:
        def read_text(self, name):
            return "pip\n" if name == "INSTALLER" else None

        def locate_file(self, name):
            return "/elsewhere/torch"

    monkeypatch.setattr(install_alias.sysconfig, "get_paths", lambda: {"purelib": str(tmp_path)})
    monkeypatch.setattr(install_alias.importlib.metadata, "distribution", lambda name: RealDist())
    with pytest.raises(RuntimeError, match="a real torch is installed"):
        install_alias.install()
    assert os.listdir(tmp_path) == []
