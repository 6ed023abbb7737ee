"""Run PyTorch's module database (`module_db`, torch.testing._internal.common_modules) against
jtorch.nn; print one line per entry and write `compat/module_db_summary.md`.

For every ModuleInput (float64, train mode): build the module on both libraries with the same
constructor arguments, load torch's state_dict into jtorch, run forward, and compare outputs,
the gradients of a weighted sum with respect to the inputs and parameters, the buffers after
the step, the state_dict keys and repr; then compare an eval-mode forward.

    python -m compat.module_db_report               # every entry
    python -m compat.module_db_report nn.Conv2d     # only these entries (no summary written)
    python -m compat.module_db_report --update nn.Conv2d  # rerun entries, update their summary rows
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

SUMMARY = os.path.join(os.path.dirname(__file__), "module_db_summary.md")


def _to_j(x, jtorch, torch):
    """torch value -> jtorch value (tensors keep values, dtype and requires_grad)."""
    if isinstance(x, torch.Tensor):
        a = x.detach().numpy()
        t = jtorch.tensor(a, dtype=getattr(jtorch, str(x.dtype).removeprefix("torch.")))
        return t.requires_grad_(x.requires_grad) if x.is_floating_point() else t
    if isinstance(x, torch.dtype):
        return getattr(jtorch, str(x).removeprefix("torch."))
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*[_to_j(e, jtorch, torch) for e in x])
    if isinstance(x, (list, tuple)):
        return type(x)(_to_j(e, jtorch, torch) for e in x)
    if isinstance(x, dict):
        return {k: _to_j(v, jtorch, torch) for k, v in x.items()}
    if isinstance(x, torch.nn.TransformerEncoderLayer):
        return _encoder_layer(x, jtorch, torch)
    if isinstance(x, torch.nn.Module):
        raise NotImplementedError(f"module argument {type(x).__name__} (the runner cannot rebuild "
                                  "a module from its constructor arguments)")
    name = getattr(x, "__name__", None)
    if callable(x) and name and getattr(torch.nn.functional, name, None) is x:
        return getattr(jtorch.nn.functional, name)  # e.g. activation=F.gelu
    return x


def _encoder_layer(m, jtorch, torch):
    """Rebuild a TransformerEncoderLayer argument from its attributes (weights come later
    through the outer module's state_dict)."""
    act = m.activation
    act = _to_j(act, jtorch, torch) if not isinstance(act, torch.nn.Module) else \
        getattr(jtorch.nn, type(act).__name__)()
    return jtorch.nn.TransformerEncoderLayer(
        m.self_attn.embed_dim, m.self_attn.num_heads, m.linear1.out_features, m.dropout.p, act,
        m.norm1.eps, m.self_attn.batch_first, m.norm_first, m.linear1.bias is not None)


def _flat(x):
    if isinstance(x, (list, tuple)):
        return [t for e in x for t in _flat(e)]
    return [x] if hasattr(x, "detach") else []


def _np(t):
    return t.detach().numpy() if t is not None else None


def _compare(what, a, b, rtol, atol):
    if a is None or b is None:
        if (a is None) != (b is None):
            raise AssertionError(f"{what}: torch {'None' if a is None else 'tensor'}, jtorch "
                                 f"{'None' if b is None else 'tensor'}")
        return
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise AssertionError(f"{what}: shape {b.shape} != torch's {a.shape}")
    if a.dtype.kind in "fc":
        np.testing.assert_allclose(b, a, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)
    elif not np.array_equal(a, b):
        raise AssertionError(f"{what}: values differ")


def _copy_inputs(mi, torch):
    """Fresh copies of a ModuleInput's forward args (inputs are leaves we differentiate)."""
    def cp(x):
        if isinstance(x, torch.Tensor):
            y = x.detach().clone()
            return y.requires_grad_(x.requires_grad) if x.is_floating_point() else y
        if isinstance(x, tuple) and hasattr(x, "_fields"):
            return type(x)(*[cp(e) for e in x])
        if isinstance(x, (list, tuple)):
            return type(x)(cp(e) for e in x)
        if isinstance(x, dict):
            return {k: cp(v) for k, v in x.items()}
        return x
    return cp(mi.forward_input.args), cp(mi.forward_input.kwargs)


def run_input(info, mi, torch, jtorch, rtol=1e-6, atol=1e-8):
    name = info.name.split(".", 1)[1]
    jcls = getattr(jtorch.nn, name, None)
    if jcls is None:
        raise NotImplementedError(f"jtorch.nn has no {name}")
    cargs, ckw = mi.constructor_input.args, mi.constructor_input.kwargs
    torch.manual_seed(0)
    mt = info.module_cls(*cargs, **ckw).double()
    mj = jcls(*_to_j(cargs, jtorch, torch), **_to_j(ckw, jtorch, torch)).double()
    if info.is_lazy:
        # Materialize both from a first forward (lazy modules hold no buffers to disturb).
        a, k = _copy_inputs(mi, torch)
        with torch.no_grad():
            mt(*a, **k)
        with jtorch.no_grad():
            mj(*_to_j(a, jtorch, torch), **_to_j(k, jtorch, torch))
    mj.load_state_dict({k: _to_j(v, jtorch, torch) for k, v in mt.state_dict().items()})
    targs, tkw = _copy_inputs(mi, torch)
    jargs, jkw = _to_j(targs, jtorch, torch), _to_j(tkw, jtorch, torch)
    out_t = mt(*targs, **tkw)
    if list(mt.state_dict()) != list(mj.state_dict()):
        raise AssertionError(f"state_dict keys {list(mj.state_dict())} != {list(mt.state_dict())}")
    if repr(mt) != repr(mj):
        raise AssertionError(f"repr {repr(mj)!r} != torch's {repr(mt)!r}")
    out_j = mj(*jargs, **jkw)
    ft, fj = _flat(out_t), _flat(out_j)
    if len(ft) != len(fj):
        raise AssertionError(f"{len(fj)} output tensors != torch's {len(ft)}")
    for i, (a, b) in enumerate(zip(ft, fj)):
        _compare(f"output {i}", _np(a), _np(b), rtol, atol)
    # Gradients of a weighted sum of the floating outputs.
    diff = [(a, b) for a, b in zip(ft, fj) if a.requires_grad]
    lt = [x for x in _flat(targs) + _flat(list(tkw.values())) if x.requires_grad]
    lj = [x for x in _flat(jargs) + _flat(list(jkw.values())) if x.requires_grad]
    pt, pj = list(mt.parameters()), list(mj.parameters())
    if diff and (lt or pt):
        ws = [np.linspace(0.5, 1.5, a.numel()).reshape(tuple(a.shape)) for a, _ in diff]
        tot_t = sum((a * torch.tensor(w)).sum() for (a, _), w in zip(diff, ws))
        tot_j = sum((b * jtorch.tensor(w)).sum() for (_, b), w in zip(diff, ws))
        gt = torch.autograd.grad(tot_t, lt + pt, allow_unused=True)
        gj = jtorch.autograd.grad(tot_j, lj + pj, allow_unused=True)
        names = [f"input grad {i}" for i in range(len(lt))] + \
            [f"grad of {k}" for k, _ in mt.named_parameters()]
        for n, a, b in zip(names, gt, gj):
            _compare(n, _np(a), _np(b), rtol, atol)
    for (k, a), (_, b) in zip(mt.named_buffers(), mj.named_buffers()):
        _compare(f"buffer {k} after the train step", _np(a), _np(b), rtol, atol)
    mt.eval()
    mj.eval()
    targs, tkw = _copy_inputs(mi, torch)
    ft, fj = _flat(mt(*targs, **tkw)), _flat(mj(*_to_j(targs, jtorch, torch), **_to_j(tkw, jtorch, torch)))
    for i, (a, b) in enumerate(zip(ft, fj)):
        _compare(f"eval output {i}", _np(a), _np(b), rtol, atol)


def run_entry(info, torch, jtorch):
    """(passed, total, reasons) over the entry's float64 train-mode inputs."""
    try:
        inputs = info.module_inputs_func(info, device="cpu", dtype=torch.float64,
                                         requires_grad=True, training=True)
    except Exception as e:  # the database itself failed for this entry
        return 0, 1, [f"module_inputs_func: {type(e).__name__}: {e}"]
    passed, reasons = 0, []
    for mi in inputs:
        try:
            run_input(info, mi, torch, jtorch)
            passed += 1
        except Exception as e:
            msg = str(e).strip().split("\n")
            reasons.append(f"[{mi.desc or 'default'}] {type(e).__name__}: {' '.join(msg[:3])[:300]}")
    return passed, len(inputs), reasons


def main(argv):
    import warnings
    warnings.filterwarnings("ignore")
    import torch
    from torch.testing._internal.common_modules import module_db

    import jtorch
    update = "--update" in argv
    only = set(a for a in argv if a != "--update")
    rows = []
    start = time.time()
    for info in module_db:
        if only and info.name not in only:
            continue
        p, n, reasons = run_entry(info, torch, jtorch)
        rows.append((info.name, p, n, reasons))
        status = "PASS" if p == n else f"FAIL {p}/{n}"
        print(f"{info.name:32s} {status}", flush=True)
        for r in reasons:
            print(f"    {r}", flush=True)
    full = sum(1 for _, p, n, _ in rows if p == n)
    samples = sum(p for _, p, _, _ in rows), sum(n for _, _, n, _ in rows)
    line = (f"{full}/{len(rows)} entries pass every input; {samples[0]}/{samples[1]} inputs pass "
            f"({time.time() - start:.0f}s)")
    print(line)
    if update:
        _update_summary(rows)
    elif not only:
        with open(SUMMARY, "w") as f:
            f.write("# module_db against jtorch.nn (float64, train step + eval forward)\n\n")
            f.write(line + "\n\n| entry | inputs passed | failures |\n| --- | --- | --- |\n")
            for name, p, n, reasons in rows:
                f.write(_row(name, p, n, reasons) + "\n")


def _row(name, p, n, reasons):
    why = "<br>".join(r.replace("|", "\\|") for r in reasons)
    return f"| {name} | {p}/{n} | {why} |"


def _update_summary(rows):
    """Replace the rows of rerun entries in the summary and recount its totals."""
    lines = open(SUMMARY).read().splitlines()
    new = {name: _row(name, p, n, r) for name, p, n, r in rows}
    lines = [new.get(ln.split(" | ")[0][2:], ln) if ln.startswith("| nn.") else ln for ln in lines]
    table = [ln.split(" | ") for ln in lines if ln.startswith("| nn.")]
    counts = [tuple(map(int, c[1].split("/"))) for c in table]
    full = sum(1 for p, n in counts if p == n)
    lines[2] = (f"{full}/{len(counts)} entries pass every input; {sum(p for p, _ in counts)}/"
                f"{sum(n for _, n in counts)} inputs pass")
    open(SUMMARY, "w").write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
