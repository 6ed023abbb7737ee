"""The compat helper: one expression run on `torch` and `jtorch`, results compared.

A test writes `lambda lib, x: lib.tanh(x)` once. With torch installed the expression runs on
both libraries live; without torch (or with JTORCH_COMPAT=recorded) jtorch's result is
compared against torch's result recorded in `compat/expected/<test module>.json`.
`JTORCH_RECORD=1 pytest compat` (torch installed) rewrites the recordings.

Every value torch produced passes through `plain()` (tensors become shape, dtype, values)
so that live and recorded comparisons are the same code.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

import jtorch

EXPECTED = Path(__file__).parent / "expected"
RECORD = os.environ.get("JTORCH_RECORD") == "1"


def _load_torch():
    if os.environ.get("JTORCH_COMPAT") == "recorded" and not RECORD:
        return None
    try:
        import torch
    except ImportError:
        if RECORD:
            raise RuntimeError("JTORCH_RECORD=1 needs torch installed (pip install -e .[oracle])")
        return None
    return torch


torch = _load_torch()
LIVE = torch is not None


# ---- recordings ----------------------------------------------------------------------------

_files: dict[str, dict] = {}
_dirty: set[str] = set()


def _recording(module: str) -> dict:
    if module not in _files:
        path = EXPECTED / f"{module}.json"
        _files[module] = json.loads(path.read_text()) if path.exists() else {}
    return _files[module]


def save_recordings():
    """Write the recordings touched in this run (called at the end of a JTORCH_RECORD=1 session)."""
    EXPECTED.mkdir(exist_ok=True)
    for module in sorted(_dirty):
        # One line per case keeps diffs of re-recordings readable.
        lines = [f"{json.dumps(k)}: {json.dumps(v, sort_keys=True)}"
                 for k, v in sorted(_files[module].items())]
        (EXPECTED / f"{module}.json").write_text("{\n" + ",\n".join(lines) + "\n}\n")
    _dirty.clear()


# ---- turning results into plain data ---------------------------------------------------------

def _array(a: np.ndarray) -> dict:
    a = np.asarray(a)
    flat = a.reshape(-1)
    if a.dtype.kind == "c":
        data = [[_num(float(v.real)), _num(float(v.imag))] for v in flat]
    else:
        data = [_num(v) for v in flat.tolist()]
    return {"shape": list(a.shape), "data": data}


def _num(v):
    # JSON has no nan/inf; strings keep them exact.
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return v


def _numpy(lib, t) -> np.ndarray:
    t = t.detach()
    if t.dtype == lib.bfloat16:
        t = t.float()
    return t.numpy()


def _is_tensor(x) -> bool:
    return type(x).__module__.split(".")[0] in ("torch", "jtorch") and hasattr(x, "grad_fn")


def plain(lib, x):
    """A JSON-able picture of a result: tensors as {dtype, shape, data, grad_fn}, dtypes as names."""
    if _is_tensor(x):
        d = {"tensor": str(x.dtype).removeprefix("torch."), "requires_grad": x.requires_grad,
             "grad_fn": type(x.grad_fn).__name__ if x.grad_fn is not None else None}
        d.update(_array(_numpy(lib, x)))
        return d
    if isinstance(x, (list, tuple)):  # torch.Size too
        return [plain(lib, e) for e in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, dict):
        return {str(k): plain(lib, v) for k, v in x.items()}
    if x is None or isinstance(x, (bool, int, str)):
        return x
    if isinstance(x, float):
        return _num(x)
    if isinstance(x, complex):
        return {"complex": [_num(x.real), _num(x.imag)]}
    if type(x).__name__ in ("dtype", "device"):
        return str(x)
    if isinstance(x, BaseException):
        return {"raises": type(x).__name__}
    raise TypeError(f"compat: cannot compare a {type(x).__name__}; return tensors, numbers or strings")


def _close(exp, got, rtol, atol, path="result", grad_fn=True):
    """Assert two plain pictures match (tensors within tolerance)."""
    if isinstance(exp, dict) and "tensor" in exp:
        assert isinstance(got, dict) and "tensor" in got, f"{path}: expected a tensor, got {got!r}"
        assert got["tensor"] == exp["tensor"], f"{path}: dtype {got['tensor']} != torch's {exp['tensor']}"
        assert got["shape"] == exp["shape"], f"{path}: shape {got['shape']} != torch's {exp['shape']}"
        assert not grad_fn or got["grad_fn"] == exp["grad_fn"], \
            f"{path}: grad_fn {got['grad_fn']} != torch's {exp['grad_fn']}"
        assert got["requires_grad"] == exp["requires_grad"], f"{path}: requires_grad differs"
        e, g = _values(exp), _values(got)
        if exp["tensor"] in ("float16", "bfloat16"):
            rtol, atol = max(rtol, 1e-2), max(atol, 1e-2)
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, equal_nan=True, err_msg=path)
        return
    if isinstance(exp, dict) and "complex" in exp:
        np.testing.assert_allclose(got["complex"], exp["complex"], rtol=rtol, atol=atol, err_msg=path)
        return
    if isinstance(exp, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(exp), f"{path}: {got!r} != {exp!r}"
        for k in exp:
            _close(exp[k], got[k], rtol, atol, f"{path}[{k!r}]", grad_fn)
        return
    if isinstance(exp, list):
        assert isinstance(got, list) and len(got) == len(exp), f"{path}: {got!r} != torch's {exp!r}"
        for i, (e, g) in enumerate(zip(exp, got)):
            _close(e, g, rtol, atol, f"{path}[{i}]", grad_fn)
        return
    if isinstance(exp, float) and isinstance(got, (int, float)) and not isinstance(got, bool):
        assert math.isclose(got, exp, rel_tol=rtol, abs_tol=atol), f"{path}: {got} != torch's {exp}"
        return
    assert type(got) is type(exp) and got == exp, f"{path}: {got!r} != torch's {exp!r}"


def _values(d):
    data = d["data"]
    if data and isinstance(data[0], list):  # complex
        a = np.array([complex(float(r), float(i)) for r, i in data])
    else:
        a = np.array([float(v) for v in data], dtype=np.float64)
    return a.reshape(d["shape"])


# ---- the fixture object ----------------------------------------------------------------------

class Compat:
    """What the `compat` fixture gives a test; each call is keyed by test id and call number."""

    def __init__(self, module: str, test_id: str):
        self.module, self.test_id, self.n = module, test_id, 0

    def oracle(self, fn):
        """torch's answer to `fn(torch)` as plain data: live, or from the recording."""
        key = f"{self.test_id}#{self.n}"
        self.n += 1
        rec = _recording(self.module)
        if LIVE:
            value = json.loads(json.dumps(_run(torch, fn)))  # same shape as a recorded value
            if RECORD and (key not in rec or rec[key] != value):
                rec[key] = value
                _dirty.add(self.module)
            return value
        if key not in rec:
            raise AssertionError(f"no recorded torch result for {self.module}::{key}; with torch "
                                 "installed run `JTORCH_RECORD=1 pytest compat` and commit "
                                 "compat/expected/")
        return rec[key]

    def same(self, fn, *inputs, grad=True, grad_fn=True, rtol=1.3e-6, atol=1e-5):
        """Run `fn(lib, *tensors)` on both libraries; compare the result, its dtype and shape,
        and (grad=True) the gradients of `result.sum()` for the floating inputs.

        `inputs` are numpy arrays or Python values; floating arrays become tensors that require
        grad when `grad` is true. Exceptions are compared by type name. `grad_fn=False` skips
        comparing grad_fn class names (for a known naming difference pinned elsewhere).
        """
        expected = self.oracle(lambda lib: _run_case(lib, fn, inputs, grad))
        got = json.loads(json.dumps(_run(jtorch, lambda lib: _run_case(lib, fn, inputs, grad))))
        _close(expected, got, rtol, atol, grad_fn=grad_fn)
        return got

    def value(self, fn, rtol=1.3e-6, atol=1e-5):
        """Compare `fn(lib)` (any plain result: dtype, str, bool, tensor, exception)."""
        expected = self.oracle(fn)
        got = json.loads(json.dumps(_run(jtorch, fn)))
        _close(expected, got, rtol, atol)
        return got


def _run(lib, fn):
    try:
        return plain(lib, fn(lib))
    except Exception as e:  # the error type is part of the behaviour compared
        return {"raises": type(e).__name__}


def _tensor_in(lib, x, grad):
    if isinstance(x, np.ndarray):
        dt = getattr(lib, x.dtype.name) if x.dtype.name != "bool" else lib.bool
        t = lib.tensor(x, dtype=dt)
        if grad and x.dtype.kind in "fc":
            t.requires_grad_(True)
        return t
    return x


def _run_case(lib, fn, inputs, grad):
    ts = [_tensor_in(lib, x, grad) for x in inputs]
    out = fn(lib, *ts)
    result = {"out": plain(lib, out)}
    if grad:
        outs = out if isinstance(out, (tuple, list)) else (out,)
        diff = [o for o in outs if _is_tensor(o) and o.requires_grad]
        leaves = [t for t in ts if _is_tensor(t) and t.requires_grad]
        if diff and leaves:
            total = sum(o.real.sum() if o.is_complex() else o.sum() for o in diff)
            grads = lib.autograd.grad(total, leaves, allow_unused=True)
            result["grads"] = [plain(lib, g) for g in grads]
    return result


def randn(*shape, dtype="float64", seed=0) -> np.ndarray:
    """Reproducible inputs (float64 by default, so value tolerances can stay tight)."""
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)
