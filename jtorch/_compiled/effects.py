"""Python side effects of a traced function, which no compiled program repeats.

torch.compile breaks the graph at a side effect and runs it every call. jtorch compiles the
whole function or nothing, so a function with such an effect runs eagerly (one warning), and
the trace that met it leaves nothing behind:

* `Snapshot`: every list and dict the state walk went through (module and object `__dict__`s,
  containers in the closure and globals) is copied before the trace; one the trace changed (a
  history list appended to, `self.h = h` in a forward, a cache dict filled) is put back and
  reported;
* `leaked_tracers`: a Tensor still holding a traced value after the trace ended was stored
  somewhere the walk does not reach (a forward hook's dict); it is poisoned so that any later
  use raises instead of computing with a value from the trace;
* `guard_print`: `print` during a trace is a side effect too (torch prints every call);
* random draws: Python's `random` module, NumPy's global state and the `random.Random` /
  NumPy Generator objects the walk reached are snapshotted too; a trace that drew from one
  would bake its numbers into the program (torch.compile draws new ones every call), so the
  state is put back (the eager run draws the same numbers) and reported.
"""
from __future__ import annotations

import builtins
import contextlib
import gc
import random
import threading

import jax
import numpy as np

from ..compile_errors import UntraceableError


class Snapshot:
    """Copies of the containers a state walk recorded."""

    def __init__(self, rec, optimizers=()):
        self.items = []
        # Optimizer state is the compile path's own business (new state: that call runs eagerly).
        seen = {id(o.state) for o in optimizers}
        seen.update(id(v) for o in optimizers for v in o.state.values())
        # jtorch's own helpers (GradScaler, schedulers) keep per-step bookkeeping that the
        # compile path handles itself; user objects and Modules are checked.
        from ..nn.modules.module import Module
        todo = [d for o, n, d in zip(rec.a_objs, rec.a_names, rec.a_vals)
                if n == "__dict__" and type(o).__module__.startswith("jtorch.")
                and not isinstance(o, Module)]
        while todo:  # and the containers they hold
            d = todo.pop()
            if id(d) not in seen:
                seen.add(id(d))
                vals = d.values() if isinstance(d, dict) else d
                todo.extend(v for v in vals if type(v) in (dict, list))
        for c in rec.len_objs:
            if id(c) in seen:
                continue
            seen.add(id(c))
            if type(c) is list or isinstance(c, list):
                self.items.append((c, list(c)))
            elif isinstance(c, dict):
                self.items.append((c, dict(c)))
        self.rngs = [(label, get, put, get()) for label, get, put in _random_states(rec)]

    def restore(self):
        """Put back every container and random state the trace changed; a description of the
        first ("stores ...", "draws from ..."), or ''."""
        changed = ""
        for label, get, put, old in self.rngs:
            if not _equal(get(), old):
                changed = changed or (f"draws from {label} (torch.compile draws new numbers on "
                                      "every call; jtorch.Generator draws compile)")
                put(old)
        for c, old in self.items:
            if isinstance(c, list):
                if len(c) != len(old) or any(not _same(a, b) for a, b in zip(c, old)):
                    changed = changed or "stores " + _describe(c, old)
                    c[:] = old
            elif len(c) != len(old) or any(not _same(c.get(k, _GONE), v) for k, v in old.items()):
                changed = changed or "stores " + _describe(c, old)
                c.clear()
                c.update(old)
        return changed


_GONE = object()


def _random_states(rec):
    """(label, get state, set state) of the random number generators a trace could draw from."""
    out = [("Python's random module", random.getstate, random.setstate),
           ("NumPy's global random state (np.random.*)", np.random.get_state, np.random.set_state)]
    seen = set()
    for v in (*rec.a_vals, *rec.d_vals, *rec.l_vals):
        if id(v) in seen:
            continue
        seen.add(id(v))
        if isinstance(v, random.Random) and v is not getattr(random, "_inst", None):
            out.append(("a random.Random object", v.getstate, v.setstate))
        elif isinstance(v, np.random.RandomState):
            out.append(("a NumPy RandomState", v.get_state, v.set_state))
        elif isinstance(v, np.random.Generator):
            bg = v.bit_generator
            out.append(("a NumPy Generator", lambda bg=bg: bg.state,
                        lambda st, bg=bg: setattr(bg, "state", st)))
    return out


def _equal(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_equal, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return a == b


def _same(a, b):
    """Unchanged: the same object, or an empty container rebound to a new empty one."""
    return a is b or type(a) is type(b) and type(a) in (dict, list, set) and not a and not b


def _describe(c, old):
    if isinstance(c, list):
        return f"a list (its length went from {len(old)} to {len(c)})"
    new = [k for k in c if k not in old or c[k] is not old[k]]
    key = repr(new[0]) if new else "an entry"
    owner = next((type(r).__name__ for r in gc.get_referrers(c)
                  if getattr(r, "__dict__", None) is c), None)
    return f"attribute {key} of a {owner} object" if owner else f"{key} of a dict"


def leaked_tracers():
    """Tensors still holding a traced value after a trace (stored outside the walked state):
    poison them; return how many there were."""
    from .._tensor import Tensor
    from .audit import _tensor_types
    gc.collect()
    types = _tensor_types()
    leaked = []
    for o in gc.get_objects():
        if type(o) in types:
            d = o.__dict__
            for k in ("_sa", "_a"):
                if isinstance(d.get(k), jax.core.Tracer):
                    d[k] = _Poisoned()
                    leaked.append(o)
    ids = {id(t) for t in leaked}
    if ids:  # views and aliases of a leaked tensor (`out.detach()`) leaked too
        leaked += [o for o in gc.get_objects()
                   if type(o) in types and id(o.__dict__.get("_st")) in ids]
    leaked = tuple(leaked)
    for t in leaked:  # take it out of the lists it was appended to (undo the append)
        for r in gc.get_referrers(t):
            if type(r) is list:
                r[:] = [e for e in r if e is not t]
    del Tensor
    return len(leaked)


class _Poisoned:
    """What a tensor stored during a trace holds afterwards: any use raises."""

    def __getattr__(self, name):
        raise RuntimeError("This tensor was stored outside a function while jtorch.compile traced "
                           "it; its value does not exist outside the trace. The function now runs "
                           "eagerly, so values stored by later calls are real.")


_PRINT = builtins.print
_TRACERS: set = set()  # threads tracing now


def _print(*args, **kwargs):
    if threading.get_ident() in _TRACERS:
        raise UntraceableError("print() inside a compiled function is a Python side effect "
                               "(torch.compile prints on every call)")
    return _PRINT(*args, **kwargs)


@contextlib.contextmanager
def guard_print():
    """While tracing, `print` from the tracing thread raises UntraceableError."""
    me = threading.get_ident()
    nested = me in _TRACERS
    _TRACERS.add(me)
    builtins.print = _print
    try:
        yield
    finally:
        if not nested:
            _TRACERS.discard(me)
