"""Probe torch 2.13 for the dtype kinds each op refuses, and write them as jtorch's generated
dtype-rule table (`jtorch/_dtype_rules_probed.py`, read by `jtorch/_dtype_rules.py`).

    python -m compat.fuzz_dtype_probe [--write]

For every callable of the bad-input fuzzer's catalogue (compat/fuzz_bad_input.py) that maps to a
registry op (of its name, or the one op its jtorch call dispatches: `F.conv2d` -> `_conv`), the well-formed call runs under torch with all its tensor
arguments set to one dtype of each kind (bool, uint8, int64, float32, complex64). A kind is
refused when the call works with the template's own dtypes but fails with it, with an error
that names a dtype (torch's "not implemented for 'Bool'", "Boolean inputs not supported", ...).
The rule records torch's exception type and its message with the type name as `{T}`. Calls with
index arguments, or tensors of different dtypes (a bool mask, a condition), are left out: the
rule's kind is that of all array arguments together; so are ops with a `dtype` parameter.
Ops already in the hand-checked table of `_dtype_rules.RULES` keep their entry.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import warnings

import numpy as np

from compat import fuzz_bad_input as fz

KINDS = {"b": "bool", "u": "uint8", "i": "int64", "f": "float32", "c": "complex64"}
TYPE_NAMES = {"bool": "Bool", "uint8": "Byte", "int64": "Long", "float32": "Float",
              "complex64": "ComplexFloat"}
DTYPE_WORDS = re.compile(r"Bool|Byte|Long|Float|ComplexFloat|bool|complex|integer|floating|"
                         r"Integral|dtype", re.I)
OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "jtorch",
                   "_dtype_rules_probed.py")


def _retype(spec, dtype):
    if isinstance(spec, fz.Idx):
        return spec
    if isinstance(spec, fz.T):
        return spec.but(dtype=dtype)
    if isinstance(spec, list):
        return [_retype(s, dtype) for s in spec]
    if isinstance(spec, tuple):
        return tuple(_retype(s, dtype) for s in spec)
    if isinstance(spec, dict):
        return {k: _retype(v, dtype) for k, v in spec.items()}
    return spec


def _has_index(spec) -> bool:
    if isinstance(spec, fz.Idx):
        return True
    if isinstance(spec, (list, tuple)):
        return any(_has_index(s) for s in spec)
    if isinstance(spec, dict):
        return any(_has_index(s) for s in spec.values())
    return False


def _dtypes(spec) -> set:
    if isinstance(spec, fz.T):
        return {spec.dtype}
    if isinstance(spec, (list, tuple)):
        return set().union(*(_dtypes(s) for s in spec)) if spec else set()
    if isinstance(spec, dict):
        return _dtypes(list(spec.values()))
    return set()


_LOG: list = []
_SEEN: dict = {}  # op name -> the (arguments, keywords) its check step last received


def _op_of(name, args, kwargs):
    """The registry op a callable runs: the op of its name, else the one op (other than view
    steps) its well-formed jtorch call dispatches (`F.conv2d` runs `_conv`); None otherwise."""
    import jtorch
    from jtorch.ops._registry import REGISTRY
    op = name.rpartition(".")[2]
    if not _LOG:  # record the ops every check step sees (the dispatch point calls `check`)
        _LOG.append(None)
        for n, o in REGISTRY.items():
            o.check = (lambda prev, n: lambda a, k: (_LOG.append(n), _SEEN.__setitem__(n, (list(a), dict(k))),
                                                     prev and prev(a, k)))(o.check, n)
    del _LOG[1:]
    _SEEN.clear()
    fz.run_case(jtorch, (name, args, kwargs), 0)
    if op in REGISTRY:
        return op
    ran = {n for n in _LOG[1:] if n != "_view_step"}
    return ran.pop() if len(ran) == 1 else None


def probe(torch) -> dict:
    from jtorch.ops._registry import REGISTRY
    rules = {}
    for name, args, kwargs, _ in fz.catalogue():
        op = _op_of(name, args, kwargs)
        if op is None or name.startswith(("getitem", "setitem")) or _has_index((args, kwargs)):
            continue
        if "dtype" in REGISTRY[op].sig.parameters:
            continue  # `mean(int_x, dtype=float32)` works: the input's kind alone does not decide
        if len(_dtypes((args, kwargs))) != 1:
            continue  # a mask or condition of another dtype: the refusal is not the inputs' kind
        if fz.run_case(torch, (name, args, kwargs), 0).get("error"):
            # the template's float tensors fail: learn from an integer base (bitwise ops)
            if fz.run_case(torch, (name, _retype(args, "int64"), _retype(kwargs, "int64")), 0).get("error"):
                continue  # nothing to learn about dtypes
        refused, exc, text = "", None, None
        for kind, dtype in KINDS.items():
            r = fz.run_case(torch, (name, _retype(args, dtype), _retype(kwargs, dtype)), 0)
            if "error" not in r or not DTYPE_WORDS.search(r["msg"]):
                continue
            if r["error"] not in ("NotImplementedError", "RuntimeError", "TypeError"):
                continue
            refused += kind + ("V" if kind == "f" else "")
            if exc is None:
                msg = r["msg"].replace("{", "{{").replace("}", "}}")
                exc, text = r["error"], re.sub(rf"\b{TYPE_NAMES[dtype]}\b", "{T}", msg)
        if rules.get(op, (refused,))[0] != refused:
            rules[op] = ("conflict", None, None)  # the op's callables disagree (F.pad's modes)
        elif op not in rules:
            rules[op] = (refused, exc, text)
    return {op: r for op, r in rules.items() if r[0] not in ("", "conflict")}


def _tensor_paths(spec, path=()):
    """Paths of the tensor specs inside an argument template."""
    if isinstance(spec, fz.T):
        return [path]
    if isinstance(spec, (list, tuple)):
        return [p for i, s in enumerate(spec) for p in _tensor_paths(s, path + (i,))]
    if isinstance(spec, dict):
        return [p for k, s in spec.items() for p in _tensor_paths(s, path + (k,))]
    return []


def _retype_at(spec, path, dtype):
    if not path:
        return spec.but(dtype=dtype)
    k = path[0]
    if isinstance(spec, dict):
        return {**spec, k: _retype_at(spec[k], path[1:], dtype)}
    out = list(spec)
    out[k] = _retype_at(spec[k], path[1:], dtype)
    return type(spec)(out)


def probe_same(torch) -> dict:
    """Ops whose tensor arguments must all have one dtype (torch does not promote them):
    {op: (exception, message with the two type names as `{A}`, `{B}`)}."""
    from jtorch.ops._registry import REGISTRY
    out = {}
    for name, args, kwargs, _ in fz.catalogue():
        op = _op_of(name, args, kwargs)
        if op is None or name.startswith(("getitem", "setitem")) or _has_index((args, kwargs)):
            continue
        if "dtype" in REGISTRY[op].sig.parameters or _dtypes((args, kwargs)) != {"float32"}:
            continue
        paths = _tensor_paths((args, kwargs))
        if len(paths) < 2 or fz.run_case(torch, (name, args, kwargs), 0).get("error"):
            continue
        a, k = _retype_at((args, kwargs), paths[0], "bfloat16")
        if not fz.run_case(torch, (name, a, k), 0).get("error"):
            continue  # torch takes a lower-precision input with float32 parameters (batch_norm)
        for p in paths:
            a, k = _retype_at((args, kwargs), p, "float64")
            r = fz.run_case(torch, (name, a, k), 0)
            if "error" in r and re.search(r"Double|double|dtype|type", r["msg"]):
                msg = re.sub(r"\bFloat\b", "{A}", r["msg"].replace("{", "{{").replace("}", "}}"))
                out[op] = (r["error"], re.sub(r"\bDouble\b", "{B}", msg))
                break
    return out


INDEX_DTYPES = ("float32", "bool", "int32", "uint8")


def probe_index(torch) -> dict:
    """Index arguments of a dtype torch refuses: {op: (parameter position or name, refused
    dtype names, exception, message with the type name as `{T}`)}. The parameter is found by
    running the well-formed jtorch call and matching the index's shape and dtype among the
    arguments the op's check step receives."""
    import jtorch
    from jtorch.ops._registry import REGISTRY
    out = {}
    for name, args, kwargs, _ in fz.catalogue():
        idx = [p for p in _tensor_paths((args, kwargs)) if isinstance(_at((args, kwargs), p), fz.Idx)]
        if len(idx) != 1 or name.startswith(("getitem", "setitem")) or name == "F.cross_entropy":
            continue  # cross_entropy's target may also be float class probabilities
        op = _op_of(name, args, kwargs)
        if op is None or fz.run_case(torch, (name, args, kwargs), 0).get("error"):
            continue
        spec = _at((args, kwargs), idx[0])
        seen = _SEEN.get(op)
        if not seen:
            continue
        a, k = seen
        where = [i for i, v in enumerate(a) if _like(v, spec)] + [n for n, v in k.items() if _like(v, spec)]
        if len(where) != 1:
            continue
        refused, exc, text = [], None, None
        for dtype in INDEX_DTYPES:
            ar, kw = _retype_at((args, kwargs), idx[0], dtype)
            r = fz.run_case(torch, (name, ar, kw), 0)
            if "error" in r and re.search(r"dtype|type|Long|Int|Float|Bool|Byte", r["msg"]):
                refused.append(dtype)
                if exc is None:
                    msg = r["msg"].replace("{", "{{").replace("}", "}}")
                    exc, text = r["error"], re.sub(rf"\b{TYPE_NAMES.get(dtype, 'Int')}\b", "{T}", msg)
        if refused and out.get(op, (where[0],))[0] == where[0]:
            out[op] = (where[0], tuple(refused), exc, text)
    return out


def _at(spec, path):
    for k in path:
        spec = spec[k]
    return spec


def _like(v, spec) -> bool:
    return getattr(v, "dtype", None) is not None and str(v.dtype) == spec.dtype and \
        tuple(v.shape) == spec.shape


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true")
    o = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    import torch
    from jtorch import _dtype_rules
    rules = {k: v for k, v in sorted(probe(torch).items()) if k not in _dtype_rules.RULES}
    lines = ['"""Generated by `python -m compat.fuzz_dtype_probe --write` from torch 2.13 (do not',
             'edit): per op, the dtype kinds torch refuses, its exception type and message',
             '(`{T}`: the type name). `_dtype_rules` adds these to its hand-checked table."""',
             "", "PROBED = {"]
    for op, (kinds, exc, text) in rules.items():
        lines.append(f"    {op!r}: ({kinds!r}, {exc}, {text!r}),")
    lines.append("}")
    same = {k: v for k, v in sorted(probe_same(torch).items()) if k not in _dtype_rules.RULES}
    lines += ["", "# Ops whose tensor arguments must share one dtype: the exception and message",
              "# (`{A}`, `{B}`: the two type names).", "SAME_DTYPE = {"]
    for op, (exc, text) in same.items():
        lines.append(f"    {op!r}: ({exc}, {text!r}),")
    lines.append("}")
    index = {k: v for k, v in sorted(probe_index(torch).items()) if k not in _dtype_rules.RULES}
    lines += ["", "# Index arguments of a dtype torch refuses: (parameter position or name, dtype names,",
              "# exception, message with `{T}` the type name).", "INDEX_DTYPE = {"]
    for op, (where, names, exc, text) in index.items():
        lines.append(f"    {op!r}: ({where!r}, {names!r}, {exc}, {text!r}),")
    lines.append("}")
    src = "\n".join(lines) + "\n"
    if o.write:
        with open(OUT, "w") as f:
            f.write(src)
    print(src)
    print(f"{len(rules)} ops", file=sys.stderr)


if __name__ == "__main__":
    main()
