"""The guards of jtorch.compile: the guard key of a call, and the cheap per-call check "would a
full state walk find the same thing?".

A full walk (`_compile._discover`) visits every container the function can reach. While it
walks, a `Rec` notes every edge it followed (container, key, child) and every fact the guard key
reads (storage versions, `.grad` presence, `requires_grad`, `training`). Replaying that list with
C-level `map` calls is several times cheaper than the walk. If every edge still leads to the
same object, the walk would visit the same objects and find the same state, so the cached
state and program are reused; any difference (a new parameter, a rebound attribute, a replaced
`.grad`, a flipped `training` flag, a new optimizer state entry) sends the call down the full
walk again, which retraces when the guard key changed.

Children are compared by identity while the record holds them (so an id cannot be reused);
Python numbers and strings, which the walk does not follow, are compared by type only (a
scheduler's counters change every step without changing what is reachable). `bool` and `None`
are singletons and compared by identity (the `training` flag).
"""
from __future__ import annotations

import functools
from itertools import repeat

from ._tensor import Tensor
from .autograd.grad_mode import _MODE

_MISSING = object()


class Rec:
    """What one full walk followed, replayable by `valid()`."""

    def __init__(self):
        self.fit = True                   # False: this walk cannot be replayed (always walk)
        self.len_objs, self.lens = [], []
        self.d_objs, self.d_keys, self.d_vals = [], [], []    # dict entries, by identity
        self.dt_objs, self.dt_keys, self.dt_types = [], [], []  # dict entries, by type
        self.l_objs, self.l_idx, self.l_vals = [], [], []     # list items, by identity
        self.lt_objs, self.lt_idx, self.lt_types = [], [], []  # list items, by type
        self.a_objs, self.a_names, self.a_vals = [], [], []   # attributes, by identity
        self.at_objs, self.at_names, self.at_types = [], [], []  # attributes, by type
        self.owners, self.versions = [], []  # storage owners and their version counters
        self.missing = None               # (globals, names the function uses that are unbound)
        self.tensor_ids = set()           # every tensor the walk met (inputs must not be one)
        self.pinned = []                  # non-tensor argument leaves, kept alive for their ids

    def freeze(self):
        self.d_ids = list(map(id, self.d_vals))
        self.l_ids = list(map(id, self.l_vals))
        self.a_ids = list(map(id, self.a_vals))
        self.refresh()

    def refresh(self):
        """Note the owners' versions (after a compiled call wrote its results back). Every
        write to a storage bumps its version (views depend on that too), so an unchanged
        version means an unchanged array, shape and dtype."""
        self.versions = list(map(getattr, self.owners, repeat("_sv")))

    # ---- recording (called by the walk) ------------------------------------------------------
    def dict_entry(self, d, key, v, by_id):
        if by_id:
            self.d_objs.append(d), self.d_keys.append(key), self.d_vals.append(v)
        else:
            self.dt_objs.append(d), self.dt_keys.append(key), self.dt_types.append(type(v))

    def list_item(self, lst, i, v, by_id):
        if by_id:
            self.l_objs.append(lst), self.l_idx.append(i), self.l_vals.append(v)
        else:
            self.lt_objs.append(lst), self.lt_idx.append(i), self.lt_types.append(type(v))

    def attr(self, obj, name, v, by_id=True):
        if by_id:
            self.a_objs.append(obj), self.a_names.append(name), self.a_vals.append(v)
        else:
            self.at_objs.append(obj), self.at_names.append(name), self.at_types.append(type(v))

    def length(self, c):
        self.len_objs.append(c), self.lens.append(len(c))

    # ---- replay ------------------------------------------------------------------------------
    def valid(self) -> bool:
        """True when a full walk now would follow exactly the recorded edges."""
        try:
            if list(map(len, self.len_objs)) != self.lens:
                return False
            if list(map(id, map(dict.get, self.d_objs, self.d_keys, repeat(_MISSING)))) != self.d_ids:
                return False
            if list(map(type, map(dict.get, self.dt_objs, self.dt_keys,
                                  repeat(_MISSING)))) != self.dt_types:
                return False
            if list(map(id, map(list.__getitem__, self.l_objs, self.l_idx))) != self.l_ids:
                return False
            if list(map(type, map(list.__getitem__, self.lt_objs, self.lt_idx))) != self.lt_types:
                return False
            if list(map(id, map(getattr, self.a_objs, self.a_names))) != self.a_ids:
                return False
            if list(map(type, map(getattr, self.at_objs, self.at_names))) != self.at_types:
                return False
            if list(map(getattr, self.owners, repeat("_sv"))) != self.versions:
                return False
            if self.missing is not None and any(map(self.missing[0].__contains__, self.missing[1])):
                return False
        except (IndexError, AttributeError, ValueError, TypeError):
            return False  # a list shrank, an attribute or a closure cell went away
        return True


# ---- the guard key ----------------------------------------------------------------------

def _aval(a):
    return (a.shape, a.dtype)


def _leaf_sig(x):
    if isinstance(x, Tensor):
        a = x._data
        av = getattr(a, "aval", a)  # a jax array's .shape and .dtype are properties reading .aval
        return ("T", av.shape, av.dtype, x._rg)
    if isinstance(x, (int, float, complex, bool, str, type(None))):
        return ("P", type(x).__name__, x)  # Python values are baked into the trace
    return ("O", id(x))


def _batch_classes(leaves):
    """Per argument tensor with a leading dimension: the index of the first such tensor with the
    same leading size (tensors whose batch sizes agree share one symbolic dimension)."""
    first, out = {}, []
    for x in leaves:
        if isinstance(x, Tensor):
            shape = x._data.shape
            out.append(first.setdefault(shape[0], len(first)) if shape else None)
    return tuple(out)


def _dynamic_sig(sig, classes):
    """`sig` with the leading size of each argument tensor replaced by its batch class."""
    it = iter(classes)
    leaves = tuple(s if s[0] != "T" else (lambda c: s if c is None else
                                          ("T", ("batch", c) + s[1][1:]) + s[2:])(next(it))
                   for s in sig[1])
    return (sig[0], leaves) + sig[2:]


def _only_batch_changed(old, new):
    """True when two argument signatures differ only in leading sizes of argument tensors."""
    if old[0] != new[0] or old[2:] != new[2:] or len(old[1]) != len(new[1]):
        return False
    return any(a != b for a, b in zip(old[1], new[1])) and all(
        a == b or a[0] == b[0] == "T" and a[1][1:] == b[1][1:] and a[2:] == b[2:] and a[1]
        for a, b in zip(old[1], new[1]))


def _is_tensor(x):
    return isinstance(x, Tensor)


def _arg_sig(tdef, leaves):
    """The guards that depend on this call's arguments and modes (cheap: computed every call).
    `tdef`: the arguments' tree structure, or their count when all are tensors (no kwargs)."""
    return (tdef, tuple(map(_leaf_sig, leaves)), _MODE.get(), _autocast_state())


@functools.lru_cache(maxsize=None)
def _autocast_module():
    from .amp import autocast_mode  # amp imports jtorch's ops: not at module import time
    return autocast_mode


def _autocast_state():
    return _autocast_module().state()


def _guard_key(state, sig):
    """The full guard key of a call: `sig` and what the state walk found."""
    tens = (tuple((id(t),) + _aval(t._sa) for t in state.tensors),
            tuple((id(c), c._rg, c._grad is None) for c in state.carriers))
    flags = tuple(m.training for m in state.modules)
    # Only `lr` is a traced input; other hyper-parameters (momentum, betas, ...) are baked in,
    # so a change of them retraces.
    groups = tuple(tuple(sorted((k, _hyper_sig(k, v)) for k, v in g.items() if k != "params"))
                   for o in state.optimizers for g in o.param_groups)
    return sig + (tens, flags, groups, tuple(state.consts), state.alias,
                  tuple(map(id, state.generators)))


def _hyper_sig(k, v):
    if k in _LIFTED and isinstance(v, (int, float)) and not isinstance(v, bool):
        return "lifted"
    try:
        hash(v)
        return (type(v).__name__, v)
    except TypeError:
        return (type(v).__name__, id(v))


_LIFTED = ("lr",)


_GUARD_NAMES = ("the structure of the arguments", "argument shapes, dtypes or Python values",
                "the grad mode", "the autocast policy",
                "the set of state tensors or their shapes, requires_grad or .grad presence",
                "module training flags (train()/eval())", "optimizer options other than lr",
                "Python numbers, strings or arrays the function can reach",
                "which arguments are state tensors (or views of them)")


def _explain(old, new):
    """Which guard changed between two keys, in words."""
    changed = [name for name, a, b in zip(_GUARD_NAMES, old, new) if a != b]
    return "changed: " + (", ".join(changed) if changed else "unknown")
