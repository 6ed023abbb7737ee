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
* `guard_print`: `print` during a trace is a side effect too (torch prints every call).
"""
from __future__ import annotations

import builtins
import contextlib
import gc
import threading

import jax

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

    def restore(self):
        """Put back every container the trace changed; a description of the first, or ''."""
        changed = ""
        for c, old in self.items:
            if isinstance(c, list):
                if len(c) != len(old) or any(not _same(a, b) for a, b in zip(c, old)):
                    changed = changed or _describe(c, old)
                    c[:] = old
            elif len(c) != len(old) or any(not _same(c.get(k, _GONE), v) for k, v in old.items()):
                changed = changed or _describe(c, old)
                c.clear()
                c.update(old)
        return changed


_GONE = object()


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
