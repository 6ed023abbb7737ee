"""Run one PyTorch OpInfo (`op_db` entry) against jtorch and count passing samples.

For each supported dtype among float32/float64/int64/bool the OpInfo's sample inputs are
converted to jtorch tensors; the function variant's outputs are compared with torch's
(shape, dtype, values); method, in-place and operator variants must agree with torch too;
for floating dtypes the gradients of `sum()` of every differentiable output are compared;
`error_inputs` must raise the same exception type. Used by `opinfo_report` and `test_opinfo`.
"""
from __future__ import annotations

import dataclasses
import math
import types

import numpy as np
import torch
from torch.testing._internal.common_methods_invocations import op_db

import jtorch

DTYPES = (torch.float32, torch.float64, torch.int64, torch.bool)
TOL = {torch.float32: (1e-4, 1e-5), torch.float64: (1e-7, 1e-7)}
GRAD_TOL = {torch.float32: (1e-3, 1e-4), torch.float64: (1e-5, 1e-5)}


def entry_name(op) -> str:
    return op.name + (f".{op.variant_test_name}" if op.variant_test_name else "")


def resolve(name):
    """The jtorch callable for a torch name like 'linalg.svd', or None when jtorch lacks it."""
    obj = jtorch
    if name.startswith("_"):
        return None
    for part in name.split("."):
        try:
            obj = getattr(obj, part)
        except (AttributeError, NotImplementedError):
            return None
    return obj


# ---- conversion ----------------------------------------------------------------------------

_DT = {getattr(torch, n): getattr(jtorch, n) for n in (
    "float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
    "bool", "complex64", "complex128")}


def to_j(v, leaves):
    """torch value -> jtorch value; float leaves keep requires_grad and are collected."""
    if isinstance(v, torch.Tensor):
        t = jtorch.tensor(v.detach().cpu().resolve_conj().resolve_neg().numpy(), dtype=_DT[v.dtype])
        if v.requires_grad:
            t.requires_grad_(True)
            leaves.append((v, t))
        return t
    if isinstance(v, torch.dtype):
        return _DT.get(v, v)
    if isinstance(v, torch.Size):
        return tuple(v)
    if isinstance(v, torch.device):
        return "cpu"
    if isinstance(v, list):
        return [to_j(e, leaves) for e in v]
    if isinstance(v, tuple):
        return tuple(to_j(e, leaves) for e in v)
    if isinstance(v, dict):
        return {k: to_j(e, leaves) for k, e in v.items()}
    return v


def flat(out):
    if isinstance(out, (list, tuple)):
        return [y for e in out for y in flat(e)]
    return [out]


def as_np(t):
    if isinstance(t, torch.Tensor) and t._is_zerotensor():
        return np.zeros(tuple(t.shape), dtype=torch.empty(0, dtype=t.dtype).numpy().dtype)
    if isinstance(t, torch.Tensor):
        return t.detach().cpu().resolve_conj().resolve_neg().numpy()
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t)


def same(a, b, dt, tol=TOL):
    """None if torch value `a` matches jtorch value `b`, else a reason."""
    if isinstance(a, torch.Tensor):
        if not isinstance(b, jtorch.Tensor):
            return f"expected a Tensor, got {type(b).__name__}"
        if tuple(a.shape) != tuple(b.shape):
            return f"shape {tuple(b.shape)} != torch {tuple(a.shape)}"
        if str(a.dtype) != str(b.dtype):
            return f"dtype {b.dtype} != torch {a.dtype}"
        x, y = as_np(a), as_np(b)
        if x.dtype.kind in "fc":
            rtol, atol = tol.get(dt, TOL[torch.float32]) if dt in tol else tol[
                torch.float64 if x.dtype in (np.float64, np.complex128) else torch.float32]
            if not np.allclose(y, x, rtol=rtol, atol=atol, equal_nan=True):
                err = np.nanmax(np.abs(np.asarray(y, np.complex128) - x)) if x.size else 0
                return f"values differ (max abs err {err:.3g})"
        elif not np.array_equal(x, y):
            return "values differ"
        return None
    if isinstance(a, (bool, int, float, complex)) and not isinstance(b, jtorch.Tensor):
        if isinstance(a, float) and isinstance(b, float) and (math.isnan(a) and math.isnan(b)):
            return None
        return None if a == b or (isinstance(a, float) and math.isclose(a, b, rel_tol=1e-5)) \
            else f"{b!r} != torch {a!r}"
    if a is None and b is None:
        return None
    if isinstance(a, (torch.dtype,)):
        return None if str(a) == str(b) else f"{b} != {a}"
    return None if type(a).__name__ == type(b).__name__ and a == b else f"{b!r} != torch {a!r}"


def compare(tout, jout, dt, tol=TOL):
    ta, ja = flat(tout), flat(jout)
    if len(ta) != len(ja):
        return f"{len(ja)} outputs != torch {len(ta)}"
    for i, (a, b) in enumerate(zip(ta, ja)):
        r = same(a, b, dt, tol)
        if r:
            return f"output {i}: {r}"
    return None


# ---- one sample ---------------------------------------------------------------------------

@dataclasses.dataclass
class Result:
    name: str
    shipped: bool
    passed: int = 0
    failed: int = 0
    errors_passed: int = 0
    errors_failed: int = 0
    reasons: list = dataclasses.field(default_factory=list)

    @property
    def full(self):
        return self.shipped and self.failed == 0 and self.errors_failed == 0 and self.passed > 0


def _grad_sum(outs, lib):
    total = None
    for o in flat(outs):
        if isinstance(o, lib.Tensor) and o.requires_grad and o.dtype.is_floating_point:
            s = o.sum()
            total = s if total is None else total + s
        elif isinstance(o, lib.Tensor) and o.requires_grad and o.dtype.is_complex:
            s = o.real.sum() + o.imag.sum()
            total = s if total is None else total + s
    return total


def _variant_call(fn, s, leaves, inplace=False):
    inp = to_j(s.input, leaves)
    if inplace:
        inp = inp.detach().clone() if isinstance(inp, jtorch.Tensor) else inp
    args, kwargs = to_j(s.args, leaves), to_j(s.kwargs, leaves)
    return fn(inp, *args, **kwargs)


def jtorch_variant(op, jfn):
    """The function variant for jtorch: OpInfo wrappers (lambdas over `torch.*`) are re-bound so
    that `torch` means jtorch inside them; builtins map to the jtorch name."""
    f = op.op
    if isinstance(f, types.FunctionType) and f.__module__.startswith("torch.testing") and not any(
            n.startswith("_") for n in f.__code__.co_names):
        g = dict(f.__globals__)
        g["torch"] = jtorch
        return types.FunctionType(f.__code__, g, f.__name__, f.__defaults__, f.__closure__)
    return jfn


def run_sample(op, jfn, s, dt, check_grad):
    """None when jtorch agrees with torch on this sample, else a reason."""
    leaves = []
    tout = op.op(s.input, *s.args, **s.kwargs)
    jin = to_j(s.input, leaves)
    jargs, jkw = to_j(s.args, leaves), to_j(s.kwargs, leaves)
    jout = jfn(jin, *jargs, **jkw)
    r = compare(tout, jout, dt)
    if r:
        return "forward: " + r
    name = op.name.split(".")[-1]
    if op.method_variant is not None and isinstance(jin, jtorch.Tensor) and "." not in op.name:
        m = getattr(jtorch.Tensor, name, None)
        if m is None:
            return f"method variant Tensor.{name} missing"
        r = compare(tout, m(jin.detach(), *to_j(s.args, []), **to_j(s.kwargs, [])), dt)
        if r:
            return "method: " + r
    if op.operator_variant is not None and isinstance(jin, jtorch.Tensor) and s.args and not s.kwargs:
        try:
            r = compare(tout, op.operator_variant(jin.detach(), *to_j(s.args, [])), dt)
        except TypeError:
            r = None
        if r:
            return "operator: " + r
    if op.inplace_variant is not None and isinstance(s.input, torch.Tensor):
        try:
            texp = op.inplace_variant(s.input.detach().clone(), *s.args, **s.kwargs)
        except Exception:
            texp = None
        if texp is not None:
            jm = getattr(jtorch.Tensor, name + "_", None)
            if jm is None:
                return f"in-place variant Tensor.{name}_ missing"
            r = compare(texp, jm(jin.detach().clone(), *to_j(s.args, []), **to_j(s.kwargs, [])), dt)
            if r:
                return "in-place: " + r
    if check_grad and leaves:
        tout = s.output_process_fn_grad(tout)
        try:
            jout = s.output_process_fn_grad(jout)
        except Exception:
            pass
        ts, js = _grad_sum(tout, torch), _grad_sum(jout, jtorch)
        if ts is None:
            return None
        if js is None:
            return "grad: jtorch output does not require grad"
        tg = torch.autograd.grad(ts, [a for a, _ in leaves], allow_unused=True)
        js.backward()
        for i, ((a, b), g) in enumerate(zip(leaves, tg)):
            if g is None:
                continue
            if b.grad is None:
                return f"grad {i}: jtorch gave no gradient"
            r = same(g, b.grad, dt, GRAD_TOL)
            if r:
                return f"grad {i}: {r}"
    return None


def run_entry(op, max_samples=None, dtypes=DTYPES, errors=True):
    """Run every (or the first `max_samples`) sample of `op` for each dtype; a `Result`."""
    name = entry_name(op)
    jfn = resolve(op.name)
    res = Result(name, jfn is not None)
    if jfn is None:
        return res
    jvar = jtorch_variant(op, jfn)
    supported = op.supported_dtypes("cpu")
    # complex-only ops (view_as_real, ...) run on complex64 instead of being left untested
    run = [d for d in dtypes if d in supported] or [d for d in (torch.complex64,) if d in supported]
    for dt in run:
        grad = op.supports_autograd and dt.is_floating_point and dt in op.supported_backward_dtypes("cpu")
        try:
            samples = list(op.sample_inputs("cpu", dt, requires_grad=grad))
        except Exception as e:  # the OpInfo itself failed to build samples
            res.reasons.append(f"{dt}: sample_inputs failed: {type(e).__name__}")
            continue
        for s in samples[:max_samples]:
            try:
                r = run_sample(op, jvar, s, dt, grad)
            except Exception as e:
                r = f"{type(e).__name__}: {str(e).splitlines()[0][:160] if str(e) else ''}"
            if r is None:
                res.passed += 1
            else:
                res.failed += 1
                if len(res.reasons) < 3:
                    res.reasons.append(f"{str(dt)[6:]}: {r}")
    if errors:
        try:
            einputs = list(op.error_inputs("cpu"))
        except Exception:
            einputs = []
        for ei in einputs[:max_samples]:
            s = ei.sample_input
            try:  # some error inputs only raise on other devices: then jtorch must not raise either
                op.op(s.input, *s.args, **s.kwargs)
                torch_raises = False
            except Exception:
                torch_raises = True
            if not torch_raises:
                try:
                    jvar(to_j(s.input, []), *to_j(s.args, []), **to_j(s.kwargs, []))
                    res.errors_passed += 1
                except Exception as e:
                    res.errors_failed += 1
                    res.reasons.append(f"error_inputs: raised {type(e).__name__}; torch (CPU) does not raise")
                continue
            try:
                jvar(to_j(s.input, []), *to_j(s.args, []), **to_j(s.kwargs, []))
                ok, why = False, f"no {ei.error_type.__name__} raised"
            except Exception as e:
                ok = isinstance(e, ei.error_type)
                why = f"raised {type(e).__name__}, torch raises {ei.error_type.__name__}"
            if ok:
                res.errors_passed += 1
            else:
                res.errors_failed += 1
                if len(res.reasons) < 4:
                    res.reasons.append("error_inputs: " + why)
    return res


def entries():
    return list(op_db)
