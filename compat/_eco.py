"""Running one ecosystem script under real torch and under jtorch, in separate processes.

A jtorch run that stops on a torch API jtorch lacks (the drop-in runner's "is not supported
by jtorch" line) makes the test xfail naming that API; any other failure fails the test.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "compat", "eco")


_MISSING = ("is not supported by jtorch", "jtorch does not provide the module",
            "module 'jtorch", "from 'jtorch")


def need(*modules):
    """Skip unless every module (a library, and torch as the oracle) is installed."""
    for m in modules:
        if importlib.util.find_spec(m) is None:
            pytest.skip(f"{m} is not installed (pip install -e '.[eco]')")


def run(lib: str, script: str, *args, cwd=None, extra_path=None, timeout=600) -> dict:
    """Run compat/eco/`script` under `lib` ('torch' or 'jtorch'); its RESULT json line."""
    cmd = [sys.executable] + (["-m", "jtorch"] if lib == "jtorch" else []) + [
        os.path.join(SCRIPTS, script), *map(str, args)]
    path = [ROOT] + ([extra_path] if extra_path else [])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path), HF_HUB_OFFLINE="1",
               TRANSFORMERS_VERBOSITY="error", TOKENIZERS_PARALLELISM="false")
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")]
    if p.returncode == 0 and lines:
        return json.loads(lines[-1][len("RESULT "):])
    err = p.stderr.strip().splitlines()
    # Libraries re-raise import errors as their own; the first jtorch-missing line is the cause.
    missing = [ln for ln in err if any(m in ln for m in _MISSING)]
    if lib == "jtorch" and missing:
        pytest.xfail("jtorch lacks a torch API: " + missing[0].strip())
    raise AssertionError(f"{script} under {lib} failed (rc {p.returncode}):\n" + "\n".join(err[-30:]))


def close(a, b, rtol=1e-4, atol=1e-5):
    """Nested lists/dicts of numbers equal within `atol + rtol * |b|` (ints too)."""
    if isinstance(a, dict):
        assert set(a) == set(b), (sorted(a), sorted(b))
        for k in a:
            close(a[k], b[k], rtol, atol)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), (a, b)
        for x, y in zip(a, b):
            close(x, y, rtol, atol)
    elif isinstance(a, str) or a is None:
        assert a == b, (a, b)
    else:
        assert abs(a - b) <= atol + rtol * abs(b), (a, b)
