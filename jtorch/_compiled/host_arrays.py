"""NumPy arrays a compiled trace turned into tensors: a guard on their contents.

`torch.from_numpy(a)`, `torch.tensor(a)` and `torch.as_tensor(a)` inside a traced function bake
`a`'s values into the program as constants; torch.compile reads them afresh on every call. So a
trace notes each array it converts with a copy of its values (`note`), and before a program
runs, `changed` compares them: an array written in place since (a buffer refilled per step, a
lookup table edited) makes the call run eagerly, with one warning per function, instead of
returning results from stale values. Arrays created inside the function are noted too and
never change. Costs nothing where a trace converts no array.
"""
from __future__ import annotations

import threading
import warnings

import numpy as np

_LOCAL = threading.local()
CAP = 64 << 20  # bytes of copies one program may keep; above it the guard is off, with a warning


def note(arr):
    """Called by the numpy conversions: remember `arr`'s values if this thread is tracing."""
    rec = getattr(_LOCAL, "rec", None)
    if rec is not None:
        rec.bytes += arr.nbytes
        rec.append((arr, np.array(arr, copy=True) if rec.bytes <= CAP else None))


class _Pairs(list):
    bytes = 0


class Recording:
    """Around one trace: the arrays it converts, as (array, copy at conversion) pairs."""

    def __enter__(self):
        self._prev = getattr(_LOCAL, "rec", None)
        self.arrays = _LOCAL.rec = _Pairs()
        return self

    def __exit__(self, *exc):
        _LOCAL.rec = self._prev
        return False


def guard(pairs, name):
    """The pairs a program checks per call (None: nothing to check)."""
    if any(copy is None for _, copy in pairs):
        warnings.warn(f"jtorch.compile: {name} converts over {CAP >> 20} MiB of NumPy arrays to "
                      "tensors inside the compiled function; their values are baked into the "
                      "program and in-place changes to them are not seen. Convert them outside "
                      "(torch.from_numpy) and pass the tensors in.", stacklevel=4)
        return None
    seen, out = set(), []
    for a, copy in pairs:
        if id(a) not in seen:  # the first conversion's values are the ones baked in
            seen.add(id(a))
            out.append((a, copy))
    return tuple(out) or None


def changed(pairs) -> bool:
    for a, copy in pairs:
        if a.shape != copy.shape or a.dtype != copy.dtype or \
                not np.array_equal(a, copy, equal_nan=a.dtype.kind in "fc"):
            return True
    return False


def warn_changed(name):
    warnings.warn(f"jtorch.compile: a NumPy array that {name} converts to a tensor changed in "
                  "place since the function was traced, and the program holds its old values; "
                  "this call runs eagerly (so do later calls while it differs). Convert it "
                  "outside (torch.from_numpy) and pass the tensor in, to keep it compiled.",
                  stacklevel=4)
