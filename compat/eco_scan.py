"""Static scan: which `torch.*` names a library's sources touch, and which jtorch lacks.

    python compat/eco_scan.py transformers lightning torchmetrics [--path DIR] [--files GLOB]

Greps the installed sources for `torch.a.b` references, `from torch.x import y` and
`import torch.x`, resolves each name against jtorch (through the drop-in alias) and prints
the unresolved ones with how many files use them, most used first. Static: a name in a
branch that never runs on one CPU device is listed too.
"""
from __future__ import annotations

import argparse
import collections
import fnmatch
import importlib
import importlib.util
import os
import re
import sys

_DOTTED = re.compile(r"(?<![\w.])torch((?:\.[A-Za-z_]\w*)+)")
_FROM = re.compile(r"^\s*from\s+torch((?:\.\w+)*)\s+import\s+(\([^)]*\)|[^\n#]+)", re.M)
_IMPORT = re.compile(r"^\s*import\s+torch((?:\.\w+)+)", re.M)


def names_in(text: str) -> set[str]:
    """Every dotted torch name a source text references."""
    out = {"torch" + m.group(1) for m in _DOTTED.finditer(text)}
    out |= {"torch" + m.group(1) for m in _IMPORT.finditer(text)}
    for m in _FROM.finditer(text):
        mod = "torch" + m.group(1)
        for part in m.group(2).strip("()").replace("\\", " ").split(","):
            part = part.split("#")[0].strip().split(" as ")[0].strip()
            if part and part != "*" and part.isidentifier():
                out.add(f"{mod}.{part}")
    return out


def resolve(name: str) -> str | None:
    """None if `name` resolves under the alias, else the first missing dotted prefix."""
    parts = name.split(".")
    obj = importlib.import_module("torch")
    for i in range(1, len(parts)):
        prefix = ".".join(parts[: i + 1])
        try:
            found = hasattr(obj, parts[i])
        except Exception:
            found = False
        if found:
            obj = getattr(obj, parts[i])
            continue
        if isinstance(obj, type(sys)):
            try:
                obj = importlib.import_module(prefix)
                continue
            except Exception:
                pass
        return prefix
    return None


def scan(pkg: str, path: str | None = None, files: str | None = None):
    root = path or os.path.dirname(importlib.util.find_spec(pkg).origin)
    users = collections.defaultdict(set)
    for d, _, fs in os.walk(root):
        for f in fs:
            p = os.path.join(d, f)
            if not f.endswith(".py") or (files and not fnmatch.fnmatch(os.path.relpath(p, root), files)):
                continue
            with open(p, encoding="utf-8", errors="replace") as fh:
                for n in names_in(fh.read()):
                    users[n].add(os.path.relpath(p, root))
    missing = collections.defaultdict(set)
    for n, fs in users.items():
        m = resolve(n)
        if m is not None:
            missing[m] |= fs
    return sorted(missing.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("packages", nargs="+")
    ap.add_argument("--path", help="scan this directory instead of the installed package")
    ap.add_argument("--files", help="only files matching this glob (relative to the package)")
    ap.add_argument("--show", type=int, default=2, help="example files shown per name")
    a = ap.parse_args(argv)
    from jtorch import _dropin
    _dropin.install()
    for pkg in a.packages:
        rows = scan(pkg, a.path, a.files)
        print(f"## {pkg}: {len(rows)} missing names")
        for name, fs in rows:
            print(f"{len(fs):4d}  {name}   ({', '.join(sorted(fs)[:a.show])})")


if __name__ == "__main__":
    main()
