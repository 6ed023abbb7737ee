"""torch's symbolic-shape helpers (`torch.sym_int`, `torch.SymInt`, ...) on concrete values.

jtorch has no symbolic shapes: sizes are plain Python ints (jit retraces on a new shape), so
these are the plain-Python answers torch gives for concrete numbers, and no value is ever an
instance of `SymInt`/`SymFloat`/`SymBool`.
"""
from __future__ import annotations

import builtins
import math

_INT64_MAX = 2 ** 63 - 1


class SymInt:
    """Matches `torch.SymInt` as a type; jtorch never creates one (sizes are ints)."""


class SymFloat:
    """Matches `torch.SymFloat` as a type; jtorch never creates one."""


class SymBool:
    """Matches `torch.SymBool` as a type; jtorch never creates one."""


for _c in (SymInt, SymFloat, SymBool):
    _c.__module__ = "jtorch"


def _value(a):
    return a.item() if hasattr(a, "item") and not isinstance(a, (int, float, bool)) else a


def sym_int(a) -> int:
    """Matches `torch.sym_int`: truncates toward zero."""
    return math.trunc(_value(a))


def sym_float(a) -> float:
    """Matches `torch.sym_float`."""
    return float(_value(a))


def _minmax(fn, a, b):
    a, b = _value(a), _value(b)
    r = fn(a, b)
    return float(r) if isinstance(a, float) or isinstance(b, float) else r


def sym_max(a, b):
    """Matches `torch.sym_max`: a float when either argument is one."""
    return _minmax(builtins.max, a, b)


def sym_min(a, b):
    """Matches `torch.sym_min`: a float when either argument is one."""
    return _minmax(builtins.min, a, b)


def sym_not(a) -> bool:
    """Matches `torch.sym_not`."""
    return not _value(a)


def sym_ite(b, t, f):
    """Matches `torch.sym_ite`: `t if b else f`."""
    return t if b else f


def sym_sqrt(a) -> float:
    """Matches `torch.sym_sqrt`."""
    return math.sqrt(_value(a))


def sym_sum(args):
    """Matches `torch.sym_sum`: the sum of an iterable."""
    return builtins.sum(args)


def sym_constrain_range(size, *, min=None, max=None) -> None:
    """Matches `torch.sym_constrain_range` on a concrete size: checks it lies in [min, max]."""
    lo = -_INT64_MAX - 1 if min is None else min
    hi = _INT64_MAX if max is None else max
    v = _value(size)
    if not lo <= v <= hi:
        raise RuntimeError(f"Invalid value range for {v} between [{lo}, {hi}].")


def sym_constrain_range_for_size(size, *, min=None, max=None) -> None:
    """Matches `torch.sym_constrain_range_for_size` on a concrete size (min defaults to 0)."""
    sym_constrain_range(size, min=0 if min is None else min, max=max)
