"""The on-disk XLA compilation cache (jtorch/_xla_cache.py): on by default, movable, off switch."""
import os
import subprocess
import sys

PROBE = ("import jax, jtorch; (jtorch.ones(3) * 2).sum(); "
         "print(jax.config.jax_compilation_cache_dir)")


def _run(env_extra, tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("JTORCH_CACHE_DIR", "JAX_COMPILATION_CACHE_DIR")}
    env["HOME"] = str(tmp_path / "home")
    env.pop("XDG_CACHE_HOME", None)
    env.update(env_extra)
    r = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines()[-1]


def test_default_dir_under_home_cache_and_filled(tmp_path):
    got = _run({}, tmp_path)
    want = str(tmp_path / "home" / ".cache" / "jtorch" / "xla")
    assert got == want
    assert os.listdir(want), "compiled programs were written to the cache"


def test_custom_dir(tmp_path):
    d = tmp_path / "mycache"
    assert _run({"JTORCH_CACHE_DIR": str(d)}, tmp_path) == str(d)
    assert os.listdir(d)


def test_off_switch(tmp_path):
    assert _run({"JTORCH_CACHE_DIR": "0"}, tmp_path) == "None"
    assert not (tmp_path / "home" / ".cache").exists()


def test_users_jax_setting_wins(tmp_path):
    d = tmp_path / "jaxs"
    assert _run({"JAX_COMPILATION_CACHE_DIR": str(d), "JTORCH_CACHE_DIR": str(tmp_path / "x")},
                tmp_path) == str(d)
    assert not (tmp_path / "x").exists()
