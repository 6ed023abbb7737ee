"""The cheap per-call check of jtorch.compile: "would a full state walk find the same thing?".

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

from itertools import repeat

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
