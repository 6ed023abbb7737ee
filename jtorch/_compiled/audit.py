"""The trace audit of jtorch.compile: nothing a trace reads or writes may escape the state.

The state walk (`_compile_state._discover`) finds state by following Python routes; no walk can
follow every route (a value computed at run time, `importlib.import_module(name).model`). The
audit checks the walk's answer against what the trace really touched, independently of routes:

* before the trace it lists every live Tensor (`gc`), snapshotting each one's attributes;
* during the trace the dispatch point logs its Tensor arguments (`LOG`), Modules log their calls
  and Optimizers their steps (`note`);
* after the trace it collects the pre-existing tensors whose storage the trace read (the log, and
  the constants the program captured) or wrote (their attributes changed), puts every
  changed tensor and optimizer state back, and reports what the walk missed.

A non-empty report means the traced program is wrong (it baked a tensor in as a constant, or
dropped a write): the caller discards it and traces again with the missed objects as state.
"""
from __future__ import annotations

import gc
import threading


LOG = None      # the running audit's read log (a list), or None: read by _dispatch.apply
_OWNER = [None]  # the thread whose trace is audited


def note_args(args, kwargs):
    """Called by the dispatch point while an audit runs: remember the op's arguments."""
    if threading.get_ident() == _OWNER[0]:
        LOG.append((args, kwargs))


def note(obj):
    """Called by Module calls and Optimizer steps while an audit runs."""
    if LOG is not None and threading.get_ident() == _OWNER[0]:
        _CURRENT[0].noted(obj)


_CURRENT = [None]


def _tensor_types():
    from .._tensor import Tensor
    out, todo = set(), [Tensor]
    while todo:
        t = todo.pop()
        if t not in out:
            out.add(t)
            todo.extend(t.__subclasses__())
    return out


def _is_opt(obj):
    return hasattr(obj, "param_groups") and hasattr(obj, "state")


class Audit:
    """One audited trace (a context manager); `missed(state, consts)` after it."""

    def __init__(self):
        types = _tensor_types()
        # Collect first: garbage cycles (an earlier trace's graphs, holding its traced values)
        # must not be kept alive here and then taken for this trace's leaks.
        gc.collect()
        self.pre = {id(o): o for o in gc.get_objects() if type(o) in types}
        self.snap = {i: t.__dict__.copy() for i, t in self.pre.items()}
        self.arrays = {}
        for t in self.pre.values():
            d = t.__dict__
            if "_sa" in d and d.get("_st") is None:
                self.arrays[id(d["_sa"])] = t
            elif "_a" in d and d.get("_st") is not None:
                self.arrays[id(d["_a"])] = d["_st"]
        self.reads = []
        self.objects = {}     # id -> module or optimizer the trace used
        self.opt_snap = {}    # id(optimizer) -> its state entries before the trace

    def __enter__(self):
        global LOG
        self._prev = (LOG, _OWNER[0], _CURRENT[0])
        LOG, _OWNER[0], _CURRENT[0] = self.reads, threading.get_ident(), self
        return self

    def __exit__(self, *exc):
        global LOG
        LOG, _OWNER[0], _CURRENT[0] = self._prev
        return False

    def noted(self, obj):
        i = id(obj)
        if i not in self.objects:
            self.objects[i] = obj
            if _is_opt(obj):
                self.opt_snap[i] = {p: dict(v) for p, v in obj.state.items()}

    def restore(self, state):
        """Undo what the trace did to tensors and optimizers outside the state; return the
        storage owners it wrote."""
        written = {}
        grads = {id(c._grad) for c in state.carriers if c._grad is not None}
        for i, t in self.pre.items():
            d, s = t.__dict__, self.snap[i]
            if len(d) == len(s) and all(d.get(k, _GONE) is v for k, v in s.items()):
                continue
            if not _traced(d):
                continue  # changed by another thread's eager code, not by this trace
            d.clear()
            d.update(s)
            owner = s.get("_st")
            owner = t if owner is None else owner
            if id(owner) not in state.ids and id(t) not in state.carrier_ids and i not in grads:
                written[id(owner)] = owner
        opt_ids = {id(o) for o in state.optimizers}
        for i, snap in self.opt_snap.items():
            if i in opt_ids:
                continue  # the compile path puts a found optimizer's state back itself
            st = self.objects[i].state
            for p in [p for p in st if p not in snap]:
                del st[p]
            for p, old in snap.items():
                st[p].clear()
                st[p].update(old)
        return written

    def missed(self, state, consts=(), written=None):
        """What the trace used that the state does not hold: (tensors, modules/optimizers)."""
        out = dict(written or {})
        ids = dict(state.ids)
        ids.update((id(c._grad), -1) for c in state.carriers if c._grad is not None)
        for args, kwargs in self.reads:
            for a in _tensors(args, kwargs):
                o = a._owner()
                if id(o) in self.pre and id(o) not in ids:
                    out[id(o)] = o
        for c in consts:
            t = self.arrays.get(id(c))
            if t is not None and id(t) not in ids:
                out[id(t)] = t
        known = {id(m) for m in state.modules} | {id(o) for o in state.optimizers}
        objs = [o for i, o in self.objects.items() if i not in known]
        return list(out.values()), objs


_GONE = object()


def _traced(d):
    """Whether a tensor's attributes hold values of a trace (a traced array, or a .grad or
    cached value holding one): what a trace, and only a trace, leaves in a tensor."""
    import jax
    T = jax.core.Tracer
    if isinstance(d.get("_sa"), T) or isinstance(d.get("_a"), T):
        return True
    g = d.get("_grad")
    return g is not None and (isinstance(g.__dict__.get("_sa"), T) or
                              isinstance(g.__dict__.get("_a"), T))


def _tensors(args, kwargs):
    from .._tensor import Tensor
    for a in (*args, *kwargs.values()):
        if isinstance(a, Tensor):
            yield a
        elif type(a) is list or type(a) is tuple:
            for e in a:
                if isinstance(e, Tensor):
                    yield e


def describe(tensors, objs):
    """A short, user-facing list of what a trace reached outside the walk."""
    parts = [type(o).__name__ for o in objs[:3]]
    parts += [f"a tensor of shape {list(t.shape)}" for t in tensors[:3]]
    more = len(tensors) + len(objs) - len(parts)
    return ", ".join(parts) + (f" and {more} more" if more > 0 else "")
