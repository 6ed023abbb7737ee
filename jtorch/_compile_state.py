"""What a compiled function can reach: the state walk of jtorch.compile (`_discover`).

The walk starts at the function's closure cells, the globals it names, `self` of a bound method
and the non-tensor arguments, and follows Modules, Optimizers, containers, nested functions and
object attributes. It collects storage owners (passed in and written back), the tensors that
carry `.grad`/`requires_grad`, optimizers, schedulers and modules, the Python numbers the trace
bakes in, and a record of every edge it followed (`_compile_guard.Rec`) for the cheap check.
"""
from __future__ import annotations

import functools
import sys
import types

import jax
import numpy as np

from . import random as _random
from ._compile_guard import _LIFTED, Rec
from ._tensor import Tensor


class _State:
    """What a function can reach.

    `tensors`: storage owners (the data that is passed in and written back).
    `carriers`: the tensor objects whose value is a whole owner (roots, `nn.Parameter`s,
    `.data`/`detach()` aliases): they carry `.grad` and `requires_grad`; `owner_of[i]` is the
    index of carrier i's owner in `tensors`. `consts`: the Python numbers, strings and arrays
    the function can reach (baked into the trace, so part of the guard key).
    `rec`: the walk's record, replayed by the cheap per-call check (`_compile_guard`).
    """

    def __init__(self):
        self.tensors, self.ids = [], {}
        self.carriers, self.carrier_ids, self.owner_of = [], set(), []
        self.optimizers, self.schedulers, self.modules = [], [], []
        self.groups = set()  # ids of optimizer param groups
        self.consts = []
        self.alias = ()      # per argument tensor: the state owner it shares storage with, or -1
        self.rec = Rec()
        # Python numbers reached, as (holder, key, value, label): a trace that changes one has a
        # side effect no compiled program repeats. `plain`: those on plain user objects, which
        # are lifted to traced inputs (`lift_slots`) once they are seen to change (`lifted`).
        self.numbers, self.plain, self.lift_slots = [], [], []
        self.lifted = frozenset()
        self.generators = []   # torch.Generators other than the default one
        self.share = None      # argument tensors sharing storage (see _compile._sharing)
        self.names = set()     # names the reached user code reads (globals, attributes)
        self.modules_met = []  # user modules reached, walked for those names at the end


def _number(v):
    return type(v) is int or type(v) is float


def _discover(fn, leaves, lifted=frozenset(), extra=()) -> _State:
    """The state `fn` can reach, given the flattened arguments of this call; `lifted`: the
    (id(holder), key) of plain objects' numbers to pass as traced inputs; `extra`: objects an
    earlier trace used that no route below reaches (found by the trace audit)."""
    st = _State()
    st.lifted = lifted
    rec = st.rec
    seen = set()
    roots = [x for x in leaves if not isinstance(x, Tensor)]
    rec.pinned = roots[:]
    roots.extend(extra)
    f = fn
    if isinstance(f, types.MethodType):
        roots.append(f.__self__)
        f = f.__func__
    elif not isinstance(f, types.FunctionType):
        # functools.partial, a callable object, a compiled function: walk the object itself
        # (a partial's function, arguments and keywords; an object's attributes and class),
        # and the code of its __call__.
        roots.append(f)
        call = getattr(type(f), "__call__", None)
        f = call if isinstance(call, types.FunctionType) else f
    code = getattr(f, "__code__", None)
    if code is not None:
        st.names.update(_code_names(code))
        for name, cell in zip(code.co_freevars, f.__closure__ or ()):
            try:
                v = cell.cell_contents
            except ValueError:
                rec.fit = False  # an unbound cell may be bound later: always walk
                continue
            rec.attr(cell, "cell_contents", v, _entry(st, v, GUARDED))
            if _number(v):
                st.numbers.append((cell, "cell_contents", v, name))
            roots.append(v)
        g = getattr(f, "__globals__", {})
        missing = []
        for n in st.names:
            if n in g:
                if _number(g[n]):
                    st.numbers.append((g, n, g[n], n))
                rec.dict_entry(g, n, g[n], _entry(st, g[n], GUARDED))
                roots.append(g[n])
            elif n in code.co_names:
                missing.append(n)
        rec.missing = (g, missing) if missing else None
        _defaults(f, st, roots)
        seen.add(id(f))
    for r in roots:
        _walk(r, st, seen, 0)
    _walk_modules(st, seen)
    # A `.grad` is handled with its carrier, not as state of its own.
    grads = {id(c._grad) for c in st.carriers if c._grad is not None}
    if grads & set(st.ids):
        keep = [i for i, t in enumerate(st.tensors) if id(t) not in grads]
        remap = {old: new for new, old in enumerate(keep)}
        st.tensors = [st.tensors[i] for i in keep]
        st.ids = {id(t): i for i, t in enumerate(st.tensors)}
        pairs = [(c, remap[o]) for c, o in zip(st.carriers, st.owner_of)
                 if o in remap and id(c) not in grads]
        st.carriers = [c for c, _ in pairs]
        st.owner_of = [o for _, o in pairs]
    for c in st.carriers:  # what the guard key reads of a carrier
        rec.attr(c, "_rg", c._rg)
        rec.attr(c, "_grad", c._grad, by_id=False)
    # Argument tensors are inputs, passed in every call, unless they share storage with state
    # (the state tensor itself or a view of it): then the traced function uses them as they are.
    st.alias = tuple(st.ids.get(id(x._owner()), -1) for x in leaves if isinstance(x, Tensor))
    if any(a >= 0 for a in st.alias):
        rec.fit = False
    rec.owners = st.tensors
    rec.freeze()
    return st


_SKIP, _TENSOR, _DICT, _SEQ, _FUNC, _METHOD, _OBJ, _CLASS, _MODULE, _PARTIAL, _COMPILED, _GEN = \
    range(12)
_KINDS: dict = {}


def _kind(t):
    """How to walk objects of type t (decided once per type)."""
    k = _KINDS.get(t)
    if k is None:
        if issubclass(t, Tensor):
            k = _TENSOR
        elif issubclass(t, types.FunctionType):  # before the "builtins" rule: functions are
            k = _FUNC                            # defined there, but their closures hold state
        elif issubclass(t, types.MethodType):
            k = _METHOD
        elif issubclass(t, _random.Generator):
            k = _GEN
        elif issubclass(t, type):
            k = _CLASS
        elif issubclass(t, types.ModuleType):
            k = _MODULE
        elif issubclass(t, functools.partial):
            k = _PARTIAL
        elif getattr(t, "_jtorch_compiled", False):
            k = _COMPILED
        elif issubclass(t, (str, bytes, int, float, complex, bool, type(None),
                            types.BuiltinFunctionType, np.ndarray, np.generic)) or getattr(t, "_jtorch_no_walk", False) or \
                t.__module__.split(".")[0] in (
                                "jax", "jaxlib", "numpy", "builtins") and not issubclass(
                                    t, (dict, list, tuple, set, frozenset)):
            k = _SKIP
        elif issubclass(t, dict):
            k = _DICT
        elif issubclass(t, (list, tuple, set, frozenset)):
            k = _SEQ
        else:
            k = _OBJ
        _KINDS[t] = k
    return k


_NUMBERS = (int, float, complex, str)


# How numbers are compared under an object (`loose`): GUARDED, by value in the guard key (they
# are baked into the trace): the closure, globals, plain containers, Modules and Optimizers;
# NUMBERS_LOOSE, a plain user object's numbers: by value until one changes between calls, then
# lifted to a traced input (a trainer's step counter changes every call: lifted, it never
# retraces; read by the step, it is never stale; see CompiledFunction); SCHEDULER, numbers and
# containers by type: a scheduler's counters and lr lists, which the deferred `scheduler.step()`
# rebinds every call and which the traced function never reads.
GUARDED, NUMBERS_LOOSE, SCHEDULER = 0, 1, 2


def _entry(st, v, loose):
    """How the record compares child v: True by identity, False by type."""
    t = type(v)
    if loose and t in _NUMBERS or loose == SCHEDULER and (t is bool or _kind(t) in (_DICT, _SEQ)):
        return False
    if t in _NUMBERS or t is bool:  # baked into the trace (a bool by a Python branch on it):
        st.consts.append((t, v))     # by type and value, as 1, 1.0 and True trace differently
    elif t is np.ndarray or isinstance(v, jax.Array):  # baked in as constants too
        st.consts.append(("array", id(v)))
    return True


def _walk(obj, st, seen, depth, loose=GUARDED):
    k = _kind(type(obj))
    if k == _SKIP or depth > 12:
        return
    i = id(obj)
    if i in seen:
        return
    seen.add(i)
    rec = st.rec
    if k == _TENSOR:
        rec.tensor_ids.add(i)
        rec.attr(obj, "_st", obj._st)
        rec.attr(obj, "_vw", obj._vw)
        owner = obj._owner()
        idx = st.ids.get(id(owner))
        if idx is None:
            idx = st.ids[id(owner)] = len(st.tensors)
            st.tensors.append(owner)
            rec.tensor_ids.add(id(owner))
        for t in (owner, obj):
            if id(t) not in st.carrier_ids and (t._vw is None or not t._vw[0]):
                st.carrier_ids.add(id(t))
                st.carriers.append(t)
                st.owner_of.append(idx)
        return
    depth += 1
    if k == _DICT:
        rec.length(obj)
        lifted = i in st.groups  # an optimizer param group: lr is a traced input
        for key, v in obj.items():
            _walk(key, st, seen, depth)
            _walk(v, st, seen, depth, loose)
            lift = lifted and key in _LIFTED
            rec.dict_entry(obj, key, v, _entry(st, v, max(loose, NUMBERS_LOOSE) if lift else loose))
            if loose != SCHEDULER and _number(v):
                st.numbers.append((obj, key, v, repr(key)))
    elif k == _SEQ:
        if isinstance(obj, list):
            rec.length(obj)
            for j, v in enumerate(obj):
                _walk(v, st, seen, depth, loose)
                rec.list_item(obj, j, v, _entry(st, v, loose))
        else:
            if isinstance(obj, set) and obj:
                rec.fit = False  # a mutable set: no cheap replay, always walk
            for v in obj:  # tuples and frozensets cannot change
                _entry(st, v, loose)
                _walk(v, st, seen, depth, loose)
    elif k == _FUNC:
        for cell in (obj.__closure__ or ()):
            try:
                v = cell.cell_contents
            except ValueError:
                rec.fit = False
                continue
            rec.attr(cell, "cell_contents", v, _entry(st, v, GUARDED))
            _walk(v, st, seen, depth)
        if _user_code(obj.__globals__.get("__name__")):
            # A user function's globals and defaults: the state it reads by name.
            names = _code_names(obj.__code__)
            st.names.update(names)
            g = obj.__globals__
            for n in names:
                v = g.get(n, _ABSENT)
                if v is not _ABSENT:
                    rec.dict_entry(g, n, v, _entry(st, v, GUARDED))
                    if _number(v):
                        st.numbers.append((g, n, v, n))
                    _walk(v, st, seen, depth)
            roots = []
            _defaults(obj, st, roots)
            for v in roots:
                _walk(v, st, seen, depth)
    elif k == _METHOD:
        _walk(obj.__self__, st, seen, depth)
        _walk(obj.__func__, st, seen, depth)
    elif k == _PARTIAL:
        for name in ("func", "args", "keywords"):
            v = getattr(obj, name)
            rec.attr(obj, name, v)
            _walk(v, st, seen, depth)
    elif k == _COMPILED:  # a compiled function inside another: its function's state
        rec.attr(obj, "fn", obj.fn)
        _walk(obj.fn, st, seen, depth)
    elif k == _CLASS:
        _walk_class(obj, st, seen, depth)
    elif k == _GEN:  # a torch.Generator the function draws from: its key is program state
        if obj is not _random.default_generator:
            st.generators.append(obj)
    elif k == _MODULE:
        if _user_code(obj.__name__):
            st.modules_met.append(obj)
    else:
        n_sched, n_opt, n_mod = len(st.schedulers), len(st.optimizers), len(st.modules)
        _note_role(obj, st)
        if len(st.schedulers) > n_sched:
            loose = SCHEDULER
        elif len(st.optimizers) > n_opt or len(st.modules) > n_mod:
            loose = GUARDED
        else:
            loose = NUMBERS_LOOSE
        _walk(type(obj), st, seen, depth)
        d = getattr(obj, "__dict__", None)
        if d is not None:
            rec.attr(obj, "__dict__", d)
            rec.length(d)
            internal = _MODULE_INTERNAL if "_parameters" in d else ()
            for name, v in d.items():
                if name in internal:
                    continue
                if loose != SCHEDULER and _number(v):
                    label = f"{type(obj).__name__}.{name}"
                    st.numbers.append((d, name, v, label))
                    if loose == NUMBERS_LOOSE:
                        # A plain object's number: baked in and guarded by value until it is
                        # seen to change, then a traced input (never stale, never retraced).
                        st.plain.append((d, name, v, label))
                        if (id(d), name) in st.lifted:
                            st.lift_slots.append((d, name))
                            rec.dict_entry(d, name, v, False)
                        else:
                            rec.dict_entry(d, name, v, _entry(st, v, GUARDED))
                        continue
                _walk(v, st, seen, depth, loose)
                rec.dict_entry(d, name, v, _entry(st, v, loose))


_ABSENT = object()


def _code_names(code):
    """The names a code object (and the code nested in it: comprehensions, lambdas) reads."""
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= _code_names(c)
    return names


def _defaults(f, st, roots):
    """A function's default and keyword-only default arguments: state it reaches."""
    rec = st.rec
    for attr in ("__defaults__", "__kwdefaults__"):
        v = getattr(f, attr, None)
        rec.attr(f, attr, v)
        if v:
            vals = v if attr == "__defaults__" else v.values()
            for x in vals:
                _entry(st, x, GUARDED)
            roots.extend(v if attr == "__defaults__" else v.values())
            if attr == "__kwdefaults__":
                for key, x in v.items():
                    rec.dict_entry(v, key, x, _entry(st, x, GUARDED))


@functools.lru_cache(maxsize=None)
def _user_code(modname) -> bool:
    """True for the user's own modules (scripts, notebooks, project code); False for jtorch,
    JAX, numpy, the standard library and installed packages, whose globals are not walked."""
    if not modname:
        return False
    top = modname.split(".")[0]
    if top in ("jtorch", "torch", "jax", "jaxlib", "numpy", "builtins") or \
            top in getattr(sys, "stdlib_module_names", ()):
        return False
    mod = sys.modules.get(modname)
    file = getattr(mod, "__file__", None) or ""
    return "site-packages" not in file and "dist-packages" not in file


def _walk_class(cls, st, seen, depth):
    """A user class's data attributes (class attributes holding models, optimizers, tensors),
    along its MRO; methods and descriptors are code, not state."""
    rec = st.rec
    for c in cls.__mro__:
        if c is object or not _user_code(getattr(c, "__module__", None)):
            continue
        for name, v in list(vars(c).items()):
            if isinstance(v, (staticmethod, classmethod)) and \
                    not isinstance(v.__func__, types.FunctionType):
                v = v.__func__  # a partial or callable object stored as a static method
                rec.attr(c, name, getattr(c, name))
                _walk(v, st, seen, depth)
                continue
            if name.startswith("__") or isinstance(v, (types.FunctionType, staticmethod,
                                                       classmethod, property)) \
                    or hasattr(type(v), "__get__") and not isinstance(v, type):
                continue
            rec.attr(c, name, v, _entry(st, v, GUARDED))
            if _number(v):
                st.numbers.append((c, name, v, f"{c.__name__}.{name}"))
            _walk(v, st, seen, depth)


def _walk_modules(st, seen):
    """User modules reached (`import cfg; cfg.model`): walk the attributes the code names."""
    done = 0
    while done < len(st.modules_met):
        mod = st.modules_met[done]
        done += 1
        d = mod.__dict__
        for n in sorted(st.names):
            v = d.get(n, _ABSENT)
            if v is _ABSENT:
                continue
            st.rec.dict_entry(d, n, v, _entry(st, v, GUARDED))
            if _number(v):
                st.numbers.append((d, n, v, f"{mod.__name__}.{n}"))
            _walk(v, st, seen, 1)


# Bookkeeping attributes of nn.Module that never hold tensors (hook tables and flags); skipping
# them keeps the per-call state walk short. (`training` is walked: a bool, compared by identity.)
_MODULE_INTERNAL = frozenset((
    "_forward_hooks", "_forward_hooks_with_kwargs", "_forward_hooks_always_called",
    "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_backward_hooks",
    "_backward_pre_hooks", "_state_dict_hooks", "_state_dict_pre_hooks",
    "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks", "_non_persistent_buffers_set",
    "_is_full_backward_hook"))


def _note_role(obj, st):
    mod = type(obj).__module__ or ""
    if mod.startswith("jtorch.optim"):
        if hasattr(obj, "param_groups") and hasattr(obj, "state"):
            st.optimizers.append(obj)
            st.groups.update(id(g) for g in obj.param_groups)
        elif hasattr(obj, "optimizer") and hasattr(obj, "last_epoch") or \
                "Plateau" in type(obj).__name__:
            st.schedulers.append(obj)
    elif isinstance(obj, _module_type()):  # user subclasses too: their `training` is guarded
        st.modules.append(obj)


@functools.lru_cache(maxsize=None)
def _module_type():
    from .nn.modules.module import Module
    return Module
