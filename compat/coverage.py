"""Share of each PyTorch 2.13 reference list that jtorch ships: `python -m compat.coverage`.

A name counts as shipped when `hasattr` finds it on the matching jtorch object without
reaching the "not supported" fallback (`jtorch._unsupported`). Pass `-v` to list the gaps.
"""
from __future__ import annotations

import importlib
import os
import sys

REF = os.environ.get("JTORCH_API_REF", "/work/shared/reference/torch-2.13-api")

# reference list -> the jtorch object whose attributes it lists
LISTS = {
    "torch.txt": "jtorch", "torch.constants.txt": "jtorch", "torch.Tensor.txt": "jtorch.Tensor",
    "torch.Tensor.dunder.txt": "jtorch.Tensor", "torch.linalg.txt": "jtorch.linalg",
    "torch.fft.txt": "jtorch.fft", "torch.special.txt": "jtorch.special",
    "torch.nn.functional.txt": "jtorch.nn.functional", "torch.nn.txt": "jtorch.nn",
    "torch.nn.init.txt": "jtorch.nn.init", "torch.optim.txt": "jtorch.optim",
    "torch.autograd.txt": "jtorch.autograd",
}


def _resolve(path):
    mod, _, attr = path.partition(".Tensor")
    try:
        obj = importlib.import_module(mod)
    except ImportError:
        return None
    return obj.Tensor if attr == "" and path.endswith("Tensor") else obj


def shipped(obj, name):
    """True when jtorch really provides `name` (not the unsupported-name error)."""
    if obj is None:
        return False
    try:
        # Names resolved through __getattr__ fallbacks raise NotImplementedError. Dotted names
        # (`functional.hessian` in the autograd list) resolve one attribute at a time.
        v = obj
        for part in name.split("."):
            v = getattr(v, part)
    except (AttributeError, NotImplementedError):
        return False
    except Exception:  # a property needing an instance (e.g. Tensor.T on the class) still counts
        return True
    return not getattr(v, "_jtorch_unsupported", False)  # stubs that only raise


def names(fname):
    with open(os.path.join(REF, fname)) as f:
        return [ln.strip() for ln in f if ln.strip()]


def coverage():
    """{list file: (shipped, total, missing names)}."""
    out = {}
    for fname, path in LISTS.items():
        if not os.path.exists(os.path.join(REF, fname)):
            continue
        obj = _resolve(path)
        ns = names(fname)
        miss = [n for n in ns if not shipped(obj, n)]
        out[fname] = (len(ns) - len(miss), len(ns), miss)
    return out


def main(argv):
    for fname, (ok, tot, miss) in coverage().items():
        print(f"{fname:28s} {ok:4d}/{tot:<4d} {100 * ok / max(tot, 1):5.1f}%")
        if "-v" in argv:
            print("   missing:", " ".join(miss))


if __name__ == "__main__":
    main(sys.argv[1:])
