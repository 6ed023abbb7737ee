"""The on-disk XLA compilation cache (jtorch/_xla_cache.py): on by default, movable, off switch,
and guarded: owner-only directory, entries checked against their recorded hashes, keyed on
versions and flags."""
import os
import stat
import subprocess
import sys

import pytest

from jtorch import _xla_cache

PROBE = ("import jax, jtorch; (jtorch.ones(3) * 2).sum(); "
         "print(jax.config.jax_compilation_cache_dir)")
ADD_MUL = ("import jax, jtorch; x = jtorch.arange(4.); "
           "print((x + 1).tolist(), (x * 1).tolist()); print(jax.config.jax_compilation_cache_dir)")


def _run(env_extra, tmp_path, probe=PROBE):
    env = {k: v for k, v in os.environ.items()
           if k not in ("JTORCH_CACHE_DIR", "JAX_COMPILATION_CACHE_DIR")}
    env["HOME"] = str(tmp_path / "home")
    env.pop("XDG_CACHE_HOME", None)
    env.update(env_extra)
    r = subprocess.run([sys.executable, "-W", "always", "-c", probe], env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines(), r.stderr


def test_default_dir_under_home_cache_owner_only_and_filled(tmp_path):
    (got,), _ = _run({}, tmp_path)
    root = tmp_path / "home" / ".cache" / "jtorch" / "xla"
    assert os.path.dirname(got) == str(root)
    assert os.listdir(got), "compiled programs were written to the cache"
    assert "manifest" in os.listdir(got), "their hashes were recorded at exit"
    for d in (root, got):
        assert stat.S_IMODE(os.stat(d).st_mode) == 0o700


def test_off_switch(tmp_path):
    assert _run({"JTORCH_CACHE_DIR": "0"}, tmp_path)[0] == ["None"]
    assert not (tmp_path / "home" / ".cache").exists()


def test_users_jax_setting_wins(tmp_path):
    d = tmp_path / "jaxs"
    (got,), _ = _run({"JAX_COMPILATION_CACHE_DIR": str(d), "JTORCH_CACHE_DIR": str(tmp_path / "x")},
                     tmp_path)
    assert got == str(d)
    assert not (tmp_path / "x").exists()


def test_swapped_entries_are_discarded_not_run(tmp_path):
    d = tmp_path / "c"
    (vals, path), _ = _run({"JTORCH_CACHE_DIR": str(d)}, tmp_path, ADD_MUL)
    assert vals == "[1.0, 2.0, 3.0, 4.0] [0.0, 1.0, 2.0, 3.0]"
    names = os.listdir(path)
    add = next(n for n in names if n.startswith("jit_add-"))
    mul = next(n for n in names if n.startswith("jit_mul-"))
    a, m = os.path.join(path, add), os.path.join(path, mul)
    os.rename(a, a + ".tmp")
    os.rename(m, a)
    os.rename(a + ".tmp", m)
    (vals, _), err = _run({"JTORCH_CACHE_DIR": str(d)}, tmp_path, ADD_MUL)
    assert vals == "[1.0, 2.0, 3.0, 4.0] [0.0, 1.0, 2.0, 3.0]"  # was x * 1 for x + 1
    assert "did not match their recorded hash" in err


def test_unrecorded_entry_is_removed(tmp_path):
    path = tmp_path / "k"
    path.mkdir(mode=0o700)
    (path / "jit_add-0123-cache").write_bytes(b"planted")
    (path / "jit_mul-4567-cache").write_bytes(b"known")
    _xla_cache.record(str(path), {})
    (path / "jit_sub-89ab-cache").write_bytes(b"planted later")
    kept = _xla_cache.verify(str(path))
    assert sorted(kept) == ["jit_add-0123-cache", "jit_mul-4567-cache"]
    assert not (path / "jit_sub-89ab-cache").exists()


class _Config:
    jax_compilation_cache_dir = None

    def __init__(self):
        self.updates = {}

    def update(self, k, v):
        self.updates[k] = v


def test_world_writable_dir_is_refused(tmp_path, monkeypatch):
    d = tmp_path / "open"
    d.mkdir()
    os.chmod(d, 0o777)
    fake = _Config()
    monkeypatch.setattr(_xla_cache.jax, "config", fake)
    monkeypatch.setenv("JTORCH_CACHE_DIR", str(d))
    with pytest.warns(RuntimeWarning, match="group- or world-writable.*chmod 700"):
        assert _xla_cache.enable() is None
    assert fake.updates == {} and os.listdir(d) == []
    os.chmod(d, 0o700)  # once private it is used, through its keyed subdirectory
    path = _xla_cache.enable()
    assert fake.updates["jax_compilation_cache_dir"] == path
    assert os.path.dirname(path) == str(d)


def test_foreign_owned_dir_is_refused(tmp_path, monkeypatch):
    d = tmp_path / "theirs"
    d.mkdir(mode=0o700)
    assert _xla_cache.unsafe_reason(str(d)) is None
    monkeypatch.setattr(os, "getuid", lambda: os.stat(d).st_uid + 1)
    assert "owned by another user" in _xla_cache.unsafe_reason(str(d))


def test_key_changes_with_xla_flags_and_versions(monkeypatch):
    base = _xla_cache.program_key()
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_enable_fast_math=true")
    assert _xla_cache.program_key() != base
    monkeypatch.delenv("XLA_FLAGS")
    import jax
    monkeypatch.setattr(jax, "__version__", "0.0.0")
    assert _xla_cache.program_key() != base


def test_existing_cache_dir_keeps_permissions_checked(tmp_path):
    d = tmp_path / "grp"
    d.mkdir()
    os.chmod(d, 0o770)
    assert "group- or world-writable" in _xla_cache.unsafe_reason(str(d))
