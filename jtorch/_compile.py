"""jtorch.compile: a torch-style step (forward, backward, optimizer step) as ONE XLA program.

Call 1 runs eagerly (optimizers create their state, lazy modules initialise). From call 2
on, jtorch finds the state the function can reach — tensors in its closure, globals it
names and its arguments, through Modules, Optimizers and plain containers, plus each
tensor's `.grad` and the default RNG key — and traces a pure function
`(state arrays, hyper-parameters, input arrays) -> (new state arrays, outputs)` with
`jax.jit`, swapping tracers into the state tensors while the user's code runs. Each later
call with the same guards replays the executable and writes changed state back (a version
bump, exactly like an in-place op), so the program behaves as in eager mode.

Numbers in optimizer `param_groups` (lr, momentum, betas, ...) are traced inputs, so a
scheduler changing them never recompiles. `scheduler.step()` called inside the function is
deferred: it runs eagerly after each compiled call (its math is Python). Other Python side
effects (stores into reached containers, print, a compiler.disable helper) make the function
run eagerly, so they happen on every call (see `_compiled/effects.py`).

The state walk is in `_compile_state.py`, the guard key and the cheap per-call check in
`_compile_guard.py`; this file traces, compiles, replays and writes back.
"""
from __future__ import annotations

import functools
import os
import sys
import traceback
import threading
import types
import warnings
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from . import random as _random
from ._tensor import Tensor
from .autograd import engine
from .autograd.grad_mode import INFERENCE as _INFERENCE, _MODE
from ._compile_guard import (_LIFTED, _arg_sig, _aval, _batch_classes, _dynamic_sig,
                             _explain, _guard_key, _is_tensor, _only_batch_changed)
from ._compile_state import _discover
from ._compiled import audit as _audit, deferred as _deferred, effects as _effects, \
    host_arrays as _host_arrays
from .compile_errors import UntraceableError

_UNTRACEABLE = (UntraceableError, jax.errors.ConcretizationTypeError,
                jax.errors.TracerBoolConversionError, jax.errors.TracerIntegerConversionError,
                jax.errors.TracerArrayConversionError)
_LOG_RECOMPILES = "recompiles" in os.environ.get("JTORCH_LOGS", "")
cache_size_limit = 8
class _PerThread(threading.local):
    """A counter read as `c[0]`, separate for each thread (a trace in one thread must not
    change what eager code in another does)."""

    def __init__(self):
        self.n = 0

    def __getitem__(self, i):
        return self.n

    def __setitem__(self, i, v):
        self.n = v


_TRACING = _PerThread()     # > 0 while this thread traces a compiled function
_FIRST_CALL = _PerThread()  # > 0 inside an eager run standing in for a compiled call
_STANCE = ["default"]  # torch.compiler.set_stance
_TRACE_LOCK = threading.RLock()  # one trace at a time: the audit's gc scans see only its own


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,
            options=None, disable=False):
    """Matches `torch.compile` (also as a decorator). `backend`/`mode`/`options` are accepted
    and ignored: the backend is always XLA via `jax.jit`.

    `dynamic`: XLA programs have static shapes, so "dynamic" means one Python trace for all
    batch sizes: with `dynamic=True` the leading dimension of every argument tensor is a
    symbolic size (`jax.export`; arguments whose leading sizes agree share one symbol) and
    each new batch size only compiles the exported program again, without re-running the
    function or counting as a recompile. `dynamic=None` (default) starts static and turns this
    on at the first call whose arguments differ from the last trace only in leading sizes
    (torch's automatic dynamic shapes). `dynamic=False`: one trace per shape. A function that
    needs concrete sizes (a Python branch on `x.shape[0]`, BatchNorm's batch check in training,
    a differentiable compiled forward) falls back to one trace per shape, and
    `jtorch.compiler.recompile_reasons` says so.
    """
    if model is None:
        return functools.partial(compile, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                                 mode=mode, options=options, disable=disable)
    if disable:
        return model
    from .nn.modules.module import Module
    if isinstance(model, Module):
        return _optimized_module_type()(model, CompiledFunction(model.__call__, fullgraph, dynamic))
    if not callable(model):
        raise TypeError(f"compile() expects a function or an nn.Module, got {type(model).__name__}")
    return functools.wraps(model)(CompiledFunction(model, fullgraph, dynamic))


_ALL = weakref.WeakSet()  # every CompiledFunction, for torch._dynamo.reset


def reset_all():
    """Forget every compiled function's programs (torch._dynamo.reset / torch.compiler.reset)."""
    for cf in list(_ALL):
        cf.cache.clear()
        cf._last = None
        cf.eager_only = False
        cf.calls = 0
        cf.extra = []
        cf.recompiles.clear()


class CompiledFunction:
    """The wrapper `compile` returns for a function."""

    _jtorch_compiled = True  # the state walk looks at `fn` (a compiled function inside another)

    def __init__(self, fn, fullgraph=False, dynamic=None):
        self.fn = fn
        self.fullgraph = fullgraph
        self.dynamic = dynamic
        self.calls = 0
        self.eager_only = False
        self.cache = {}          # guard key -> _Program
        self.recompiles = []     # (reason, line) for jtorch.compiler helpers
        self._last = None        # (argument signature, _State, _Program) of the last call
        self.dynamic_batch = dynamic is True  # dynamic=None turns it on at a batch-size change
        # Plain objects' numbers: those seen to change are lifted to traced inputs, unless
        # the function needs their values (a Python branch on them): then `pinned`, by value.
        self.lifted, self.pinned, self._plain_seen = frozenset(), frozenset(), {}
        # Objects a trace used that no walked route reaches (the trace audit found them): roots
        # of every later walk, so they are state (read and written back every call).
        self.extra = []
        self.traces = 0          # Python traces of fn (jtorch-only, for tests and tools)
        self._limit_warned = False
        self._host_warned = False
        _ALL.add(self)

    def __get__(self, obj, objtype=None):
        return self if obj is None else types.MethodType(self, obj)

    def __call__(self, *args, **kwargs):
        if _TRACING[0]:  # called while another compiled function traces: inline, as torch does
            return self.fn(*args, **kwargs)
        self.calls += 1
        if _STANCE[0] == "force_eager":
            return self.fn(*args, **kwargs)
        if self.eager_only:
            return self._eager(args, kwargs)
        if self.calls == 1:  # torch traces on call 1: is_compiling() is True inside it
            if self.fullgraph:  # torch raises at a graph break before running anything
                self._check_fullgraph(args, kwargs)
            return self._eager(args, kwargs)
        if not kwargs and all(type(a) is Tensor for a in args):  # the common call, flattened
            leaves, tdef = list(args), len(args)
        else:
            leaves, tdef = jax.tree_util.tree_flatten((args, kwargs), is_leaf=_is_tensor)
        sig = _arg_sig(tdef, leaves)
        classes = None
        ins = [x for x in leaves if isinstance(x, Tensor)]
        share = _sharing(ins)
        if share is not None:  # arguments sharing storage: one traced buffer per storage
            sig = sig + (share,)
        elif self.dynamic_batch:
            classes = _batch_classes(leaves)
            sig = _dynamic_sig(sig, classes)
        last = self._last
        # Fast path: same arguments' signature and the last walk's record still holds, so a
        # full walk would find the same state and guard key (see _compile_guard).
        if last is not None and last[0] == sig and last[1].rec.valid() and \
                last[1].rec.tensor_ids.isdisjoint(map(id, map(Tensor._owner, ins))):
            state, prog = last[1], last[2]
            if state.modules and self._hooked(state):
                return self._eager(args, kwargs)
        else:
            state = _discover(self.fn, leaves, self.lifted, self.extra)
            state.share = share
            if state.modules and self._hooked(state):
                # Module backward hooks fire on every backward in torch; a compiled program would
                # run them once, when traced. Run eagerly while any is registered.
                self._last = None
                return self._eager(args, kwargs)
            key = _guard_key(state, sig)
            prog = self.cache.get(key)
            if prog is None and self._lift_changed(state):
                state = _discover(self.fn, leaves, self.lifted, self.extra)
                key = _guard_key(state, sig)
                prog = self.cache.get(key)
            self._plain_seen = {(id(h), k): v for h, k, v, _ in state.plain}
            switched = False
            if prog is None and self.dynamic is None and not self.dynamic_batch and self.cache \
                    and share is None \
                    and _only_batch_changed(next(reversed(self.cache))[:4], sig):
                # As torch's automatic dynamic shapes: after a batch-size change, trace once
                # with symbolic batch dimensions instead of once per size.
                self.dynamic_batch = switched = True
                classes = _batch_classes(leaves)
                sig = _dynamic_sig(sig, classes)
                key = _guard_key(state, sig)
                prog = self.cache.get(key)
            if prog is None:
                if self.cache:
                    if _STANCE[0] == "eager_on_recompile":
                        self._last = None
                        return self.fn(*args, **kwargs)
                    if _STANCE[0] == "fail_on_recompile":
                        raise RuntimeError(f"Detected recompile when torch.compile stance is "
                                           f"'fail_on_recompile' ({self._name()}: "
                                           f"{_explain(next(reversed(self.cache)), key)})")
                    self._note_recompile(key, switched)
                if len(self.cache) >= cache_size_limit:
                    # As torch at its recompile limit: calls that need a new program run eagerly
                    # (programs already made keep running); memory stays bounded.
                    self._last = None
                    return self.fn(*args, **kwargs)
                try:
                    try:
                        self.traces += 1
                        with _TRACE_LOCK:
                            prog = _trace(self.fn, state, args, kwargs, leaves, classes,
                                          isolate=self.isolate)
                    except _NotPolymorphic:
                        self._note_static()
                        return self(*args, **kwargs)
                except _UNTRACEABLE as e:
                    if state.lift_slots:  # the function needs those numbers' values: pin them
                        self.pinned |= self.lifted
                        self.lifted = frozenset()
                        self.calls -= 1
                        return self(*args, **kwargs)
                    return self._fallback(e, args, kwargs)
                except _SideEffect as e:
                    return self._fallback(e, args, kwargs, side_effect=True)
                except _Missed as e:
                    return self._missed(e, args, kwargs)
                except _Stored as e:
                    return self._fallback(e, args, kwargs, stored=True)
                except _NeedsEager:
                    self._last = None
                    return self._eager(args, kwargs)
                except Exception as e:  # noqa: BLE001
                    if self.isolate is None:
                        raise
                    return self._failed(e, args, kwargs)  # an eager unit: eager says what is wrong
                self.cache[key] = prog = self._install(key, prog)
            self._last = (sig, state, prog) if state.rec.fit else None
        if prog.host is not None and _host_arrays.changed(prog.host):
            if not self._host_warned:
                self._host_warned = True
                _host_arrays.warn_changed(self._name())
            return self._eager(args, kwargs)
        out = prog.run(state, ins)
        if self._last is not None:
            if prog.stationary:
                state.rec.refresh()  # the versions this call's own write-back produced
            else:
                self._last = None  # the call changed a state shape or dtype: walk next time
        return out

    # Overridden by eager units (_eager_units.Unit), which trace quietly and compile each op of
    # the trace as it runs eagerly (`isolate`).
    isolate = None

    def _hooked(self, state):
        return _backward_hooks(state)

    def _install(self, key, prog):
        return prog

    def _check_fullgraph(self, args, kwargs):
        """fullgraph=True: trace once (nothing is compiled, the trace is undone) so that a
        graph break raises before the first, eager call runs."""
        leaves, _ = jax.tree_util.tree_flatten((args, kwargs), is_leaf=_is_tensor)
        state = _discover(self.fn, leaves, self.lifted, self.extra)
        state.share = _sharing([x for x in leaves if isinstance(x, Tensor)])
        try:
            with _TRACE_LOCK:
                _trace(self.fn, state, args, kwargs, leaves, None, dry=True)
        except _UNTRACEABLE as e:
            self._fallback(e, args, kwargs)
        except _SideEffect as e:
            self._fallback(e, args, kwargs, side_effect=True)
        except _Stored as e:
            self._fallback(e, args, kwargs, stored=True)
        except (_NeedsEager, _Missed, _NotPolymorphic):
            pass  # decided again on call 2

    def _name(self):
        mod = getattr(self.fn, "__self__", None)
        if getattr(self.fn, "__name__", "") in ("_wrapped_call_impl", "__call__") and mod is not None:
            return f"{type(mod).__name__}.forward"
        return getattr(self.fn, "__qualname__", self.fn)

    def _lift_changed(self, state):
        """Lift plain objects' numbers that changed since the last call; True if any."""
        seen = self._plain_seen
        new = {(id(h), k) for h, k, v, _ in state.plain
               if (id(h), k) in seen and (type(seen[(id(h), k)]) is not type(v)
                                          or seen[(id(h), k)] != v)}
        new -= self.pinned | self.lifted
        if new:
            self.lifted |= new
        return bool(new)

    def _eager(self, args, kwargs):
        """An eager run standing in for the compiled program (the first call, a fallback after
        a graph break): `is_compiling()` is True inside it, as in torch's compiled frames (a
        `compiler.disable` function called from it sees False, as in torch)."""
        _FIRST_CALL[0] += 1
        try:
            return self.fn(*args, **kwargs)
        finally:
            _FIRST_CALL[0] -= 1

    def _fallback(self, err, args, kwargs, side_effect=False, stored=False):
        where = _user_line(err)
        if stored:
            msg = (f"jtorch.compile: {self._name()} {err} — a "
                   "compiled program cannot repeat a Python side effect (torch.compile runs it on "
                   "every call), so it runs eagerly from now on.")
        elif side_effect:
            msg = (f"jtorch.compile: {self._name()} changes the Python "
                   f"value(s) {err} — a compiled program cannot repeat Python side effects, so it "
                   "runs eagerly from now on. Keep such counters outside the compiled function or "
                   "in tensors.")
        else:
            msg = (f"jtorch.compile: {type(err).__name__} at {where}: {str(err).splitlines()[0]} "
                   "— this function needs concrete values (e.g. .item(), bool(tensor), printing or a "
                   "data-dependent shape), so it runs eagerly from now on.")
        if self.fullgraph:
            raise UntraceableError(msg.replace("so it runs eagerly from now on.",
                                               "fullgraph=True forbids falling back to eager.")) from err
        warnings.warn(msg, UserWarning, stacklevel=3)
        self.eager_only = True
        return self._eager(args, kwargs)

    def _missed(self, err, args, kwargs):
        """The trace used tensors (or modules/optimizers) the walk did not find: make them state
        and trace again; if they are still missed, run eagerly (never a program that baked a
        tensor in or dropped a write)."""
        name = self._name()
        known = set(map(id, self.extra))
        new = [o for o in err.objects + err.tensors if id(o) not in known]
        if not new:
            warnings.warn(f"jtorch.compile: {name} uses {err.what} that its compiled program "
                          "cannot read or write back, so it runs eagerly from now on.",
                          UserWarning, stacklevel=3)
            self.eager_only = True
            return self._eager(args, kwargs)
        self.extra.extend(new)
        warnings.warn(f"jtorch.compile: {name} uses {err.what} reached through a route the state "
                      "walk does not follow (e.g. an object looked up at run time); they are state "
                      "of the compiled step from now on (read and written back every call), but if "
                      "that route is later rebound to other objects the compiled step keeps using "
                      "these. Pass them as arguments or reach them through a closure, a global, "
                      "a default argument or an attribute to have that guarded too.",
                      UserWarning, stacklevel=3)
        self.calls -= 1
        self._last = None
        return self(*args, **kwargs)

    def _note_static(self):
        """Symbolic batch sizes did not trace: from now on one trace per shape, as dynamic=False."""
        self.dynamic_batch = False
        self.dynamic = False
        self.calls -= 1
        self.recompiles.append(f"changed: batch sizes; {self._name()} "
                               "does not trace with symbolic batch sizes, so it is traced per shape")

    def _note_recompile(self, key, to_dynamic=False):
        reason = _explain(next(reversed(self.cache)), key)
        if to_dynamic:
            reason += "; tracing once with symbolic batch sizes (dynamic=None: automatic)"
        where = _caller_line()
        reason = f"{reason} (called from {where})"
        self.recompiles.append(reason)
        if _LOG_RECOMPILES:
            print(f"[jtorch recompile] {self._name()}: {reason}",
                  file=sys.stderr)
        if len(self.cache) >= cache_size_limit and not self._limit_warned:
            self._limit_warned = True
            warnings.warn(f"jtorch.compile: {self._name()} hit the recompile limit "
                          f"(cache_size_limit={cache_size_limit}; last reason: {reason}); calls "
                          "that need a new program run eagerly from now on. Check for changing "
                          "shapes, dtypes or Python arguments, or raise "
                          "torch._dynamo.config.cache_size_limit.", UserWarning, stacklevel=3)


def _optimized_module_type():
    """OptimizedModule, built on first use (nn imports the compile path)."""
    global OptimizedModule
    if isinstance(OptimizedModule, type):
        return OptimizedModule
    from .nn.modules.module import Module

    class OptimizedModule(Module):
        """What `compile(module)` returns. Matches torch's OptimizedModule: an `nn.Module` whose
        child `_orig_mod` is the compiled module (state_dict keys carry the `_orig_mod.` prefix,
        `.to()`/`.train()` reach it), attributes read and set pass through to it."""

        def __init__(self, mod, compiled):
            super().__init__()
            self._orig_mod = mod
            self.__dict__["_compiled"] = compiled
            self.__dict__["forward"] = compiled

        def __getattr__(self, name):
            if name in ("_parameters", "_buffers", "_modules", "_orig_mod"):
                return super().__getattr__(name)
            return getattr(self._modules["_orig_mod"], name)

        def __setattr__(self, name, value):
            d = self.__dict__
            if "_orig_mod" not in d.get("_modules", ()) or name in d or name == "training":
                super().__setattr__(name, value)
            else:
                setattr(self._modules["_orig_mod"], name, value)

        def __delattr__(self, name):
            if name in self.__dict__:
                super().__delattr__(name)
            else:
                delattr(self._modules["_orig_mod"], name)

        def __dir__(self):
            return sorted(set(super().__dir__()) | set(dir(self._modules["_orig_mod"])))

    OptimizedModule.__module__ = "jtorch._dynamo.eval_frame"
    globals()["OptimizedModule"] = OptimizedModule
    return OptimizedModule


OptimizedModule = None


# ---- tracing and replay --------------------------------------------------------------------

def _refcount_base():
    """What `sys.getrefcount` reports, through `map`, for an object held by one attribute and
    one list: a state array held only by its tensor and the argument list."""
    a = object()
    holder = types.SimpleNamespace(a=a)
    lst = [a]
    del a
    n = next(map(sys.getrefcount, lst))
    del holder
    return n


_BASE = _refcount_base()


def _donatable(arrays, grads, carriers):
    """Copy, in the argument lists, every buffer about to be donated that something else still
    references (a user's array, an autograd residual, an old `.grad` tensor the user kept, a
    buffer shared by two state tensors), so donation only ever consumes buffers nobody sees."""
    for i, n in enumerate(map(sys.getrefcount, arrays)):
        if n > _BASE:
            arrays[i] = jnp.copy(arrays[i])
    gts = [c._grad for c in carriers]
    for i, (n, m) in enumerate(zip(map(sys.getrefcount, grads), map(sys.getrefcount, gts))):
        if grads[i] is not None and (n > _BASE or m > _BASE):
            grads[i] = jnp.copy(grads[i])


def _hyper(state):
    """Learning rates and changing numbers of plain objects, lifted to traced inputs:
    (slots, values). Schedulers change the former, the user's code the latter."""
    slots, vals = [], []
    for o in state.optimizers:
        for g in o.param_groups:
            for k in _LIFTED:
                v = g.get(k)
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    slots.append((g, k))
                    vals.append(np.float64(v))
    for d, k in state.lift_slots:  # weakly typed, so they promote like the Python numbers
        slots.append((d, k))
        vals.append(jnp.asarray(d[k]))
    return slots, vals


def _undo_numbers(state):
    """Put back the Python numbers a trace changed (side effects); their labels, joined."""
    labels = []
    for h, k, v, label in state.numbers:
        cur = h.get(k, None) if type(h) is dict else getattr(h, k, None)
        if type(cur) is not type(v) or cur != v:
            labels.append(label)
            if type(h) is dict:
                h[k] = v
            else:
                setattr(h, k, v)
    return ", ".join(labels)


class _SideEffect(Exception):
    """The function changes Python numbers outside itself: a compiled program would not."""


def _live_inputs(state, ins):
    """The arrays a program takes: state, grads of carriers, learning rates, RNG key, inputs."""
    arrays = [t._sa for t in state.tensors]
    grads = [None if c._grad is None else c._grad._data for c in state.carriers]
    _, hvals = _hyper(state)
    keys = (_random.default_generator._key, *[g._key for g in state.generators])
    share = state.share
    if share is None:
        return arrays, grads, hvals, keys, [x._data for x in ins]
    # Arguments sharing a storage: the first of each group passes the whole storage, the
    # others nothing (each is re-derived inside as a view of it).
    return arrays, grads, hvals, keys, [x._data if s is None else x._owner()._sa if s[0] == i
                                         else _NOTHING for i, (x, s) in enumerate(zip(ins, share))]


_NOTHING = np.zeros((), np.int8)


def _sharing(ins):
    """None when the argument tensors are separate roots (the common call); else, per argument,
    None or (index of the first argument on its storage, its view chain with the chain's
    numbers): arguments sharing a storage, and views with a fixed layout (a transpose), are
    passed as their storage and re-derived inside, so writes alias and strides are torch's."""
    if all(x._st is None for x in ins):
        if len(ins) < 2:
            return None
        ids = [id(x) for x in ins]
        if len(set(ids)) == len(ids):
            return None
    ids = [id(x._owner()) for x in ins]
    first, out, any_ = {}, [], False
    for i, (x, o) in enumerate(zip(ins, ids)):
        vw = x._vw
        shared = ids.count(o) > 1
        # a non-contiguous view with no index numbers (a transpose): its strides matter inside
        fixed = vw is not None and not any(ds for ds in vw[1]) and not x.is_contiguous()
        if x._rg or not (shared or fixed):
            out.append(None)  # (an argument that requires grad keeps its own traced value)
            continue
        chain = None if vw is None else (vw[0], tuple(tuple(np.asarray(d).tolist() for d in ds)
                                                      for ds in vw[1]))
        out.append((first.setdefault(o, i), chain))
        any_ = True
    return tuple(out) if any_ else None


class _Program:
    """One traced version of a compiled function, and how to write its results back."""

    diff = None  # the differentiable variant, for forwards whose outputs need gradients

    def __init__(self, compiled, box, n_sched):
        self._compiled = compiled  # a Compiled, or a zero-argument function compiling it
        self.out_tree = box["out_tree"]
        self.float_mask = box["float_mask"]
        self.written = box["written"]        # indexes of state tensors the program writes
        self.grad_spec = box["grad_spec"]    # per carrier: None / "none" / "keep" / "new"
        self.grad_touched = [i for i, s in enumerate(self.grad_spec) if s is not None]
        self.in_written = box["in_written"]  # indexes of argument tensors the program writes
        self.n_sched = n_sched               # deferred scheduler.step() calls per scheduler
        self.donated = box.get("donated", False)
        self.stationary = box["stationary"]  # written state keeps its shapes and dtypes
        self.rg_mask = box.get("rg_mask")     # per tensor output: requires grad, as in eager
        self.in_grads = box.get("in_grads", [])  # argument tensors whose .grad the call sets
        self.in_owner = box.get("in_owner", [])  # written arguments that stand for a storage
        self.checks = box.get("checks") or None  # value checks the program defers to the host
        self.ident = box.get("ident") if any(box.get("ident") or ()) else None
        # NumPy arrays the trace converted, baked in: their values are checked before each run
        self.host = _host_arrays.guard(box.get("host") or (), "the function")

    @property
    def compiled(self):
        if isinstance(self._compiled, functools.partial):  # compiled on first use
            self._compiled = self._compiled()
        return self._compiled

    def run(self, state, ins):
        if self.diff is not None:
            return self._run_diff(state, ins)
        live = _live_inputs(state, ins)
        check = getattr(self._compiled, "check_live", None)  # a compiled DDP step's lost state
        if check is not None:
            check(live)
        if self.donated:
            _donatable(live[0], live[1], state.carriers)
        new_arrays, new_grads, new_key, outs, new_inputs = self.compiled(*live)
        del live
        self._write_back(state, ins, new_arrays, new_key, new_inputs)
        carriers = state.carriers
        for i in self.grad_touched:
            spec, g, c = self.grad_spec[i], new_grads[i], carriers[i]
            if spec == "none":
                c._grad = None
            elif g is not None:
                if c._grad is None or spec == "new":
                    c._grad = Tensor._from_array(g)
                else:
                    c._grad._set_array(g)
        return _rebuild_outputs(self.out_tree, outs, ident=self._ident(state, ins))

    def _ident(self, state, ins):
        if self.ident is None:
            return None
        return [None if d is None else ins[d[1]] if d[0] == "in" else state.carriers[d[1]]
                if d[0] == "c" else d if d[0] in ("out", "vout") else _remake_view(d, state, ins)
                for d in self.ident]

    def _write_back(self, state, ins, new_arrays, new_key, new_inputs, donated=True):
        if donated and self.donated:  # every state array came back (old buffers are gone)
            for t, a in zip(state.tensors, new_arrays):
                t._sa = a
        for i in self.written:
            t = state.tensors[i]
            t._sa = new_arrays[i]
            t._sv += 1
        n = len(self.in_written)
        if n:  # in-place writes to argument tensors (or, for shared storages, to the storage)
            for i, a in zip(self.in_written, new_inputs):
                (ins[i]._owner() if i in self.in_owner else ins[i])._set_array(a)
        for i, g in zip(self.in_grads, new_inputs[n:]):  # a backward() inside reached them
            x = ins[i]
            if x._node is None:  # a leaf, as in eager (non-leaf arguments get no .grad)
                x.grad = Tensor._from_array(g) if x._grad is None else x._grad + Tensor._from_array(g)
        if self.checks is not None:  # after the write-back: the old buffers were donated
            _deferred.run(self.checks, new_inputs[n + len(self.in_grads):])
        _random.default_generator._key = new_key[0]
        for g, k in zip(state.generators, new_key[1:]):
            g._key = k
        for s, n in zip(state.schedulers, self.n_sched):
            for _ in range(n):
                type(s).step(s)

    def _run_diff(self, state, ins):
        """A forward whose outputs need gradients: run it, and give the outputs that require
        grad one node whose backward replays the forward with jtorch's own autograd inside a
        second program (so detach, no_grad, custom Functions and tensor hooks act as eagerly)."""
        fwd, bwd, d_carriers, d_in = self.diff
        live = _live_inputs(state, ins)
        new_arrays, new_grads, new_key, outs, new_inputs = fwd(*live)
        edges = tuple([state.carriers[i]._edge() for i in d_carriers] + [ins[i]._edge() for i in d_in])
        rg_outs = [o for o, m in zip(outs, self.rg_mask) if m]

        def pullback(cts, _live=live):
            return tuple(bwd(*_live, list(cts)))
        node = engine.node_type("CompiledFunctionBackward")(pullback, edges, rg_outs)
        node.eager = True
        node.torch_ct = True  # the backward program runs jtorch's autograd: torch's cotangents
        self._write_back(state, ins, new_arrays, new_key, new_inputs, donated=False)
        return _rebuild_outputs(self.out_tree, outs, self.rg_mask, node, self._ident(state, ins))


def _identities(tens, by_id, called, tensors):
    """Per tensor output: None (a new tensor), or what it is in eager: an argument or state
    tensor itself or a view of one, an earlier output itself or a view of one."""
    res, first = [], {}
    for k, x in enumerate(tens):
        first.setdefault(id(x), k)
    for k, x in enumerate(tens):
        d = by_id.get(id(x)) or _view_of(x, called, tensors)
        if d is None and first[id(x)] != k:
            d = ("out", first[id(x)])
        if d is None and x._st is not None and x._vw[0] and id(x._st) in first:
            d = ("vout", first[id(x._st)], tuple(x.shape), tuple(x.stride()), x.storage_offset())
        res.append(d)
    # an output standing for another must point at one that is built, not at another stand-in
    return [d if d is None or d[0] not in ("out", "vout") or res[d[1]] is None
            or res[d[1]][0] not in ("out", "vout") else None for d in res]


def _view_of(x, called, tensors):
    """An output that is a view of an argument or a state tensor: where, and its geometry (the
    call returns it as a view of the live tensor, as eager does, not a copy)."""
    st = x._st
    if st is None or not x._vw[0]:
        return None
    geometry = (tuple(x.shape), tuple(x.stride()), x.storage_offset())
    for i, t in enumerate(called):
        if t._owner() is st:
            # a root: the argument's value was passed (offsets count in its logical layout);
            # a view: its whole storage was passed (offsets are the storage's)
            return ("vin" if t._st is None else "vin_abs", i) + geometry
    for i, t in enumerate(tensors):
        if t is st:
            return ("vs", i) + geometry
    return None


def _remake_view(d, state, ins):
    kind, i, size, stride, offset = d
    if kind == "vs":
        return state.tensors[i].as_strided(size, stride, offset)
    x = ins[i]
    if kind == "vin":
        geometry = _in_storage(x, size, stride, offset)
        if geometry is None:  # eager would have copied (a reshape of a strided argument)
            return None
        size, stride, offset = geometry
    return x.as_strided(size, stride, offset)


def _in_storage(x, size, stride, offset):
    """A strided view of x's logical (contiguous) layout as a view of x's storage, or None
    where it is not one strided view of it."""
    if x.is_contiguous():
        return size, stride, x.storage_offset() + offset
    if 0 in size:
        return size, stride, x.storage_offset()
    shape, xst = tuple(x.shape), np.asarray(x.stride())
    pos = np.full(size, offset, np.int64)
    for m, (n, s) in enumerate(zip(size, stride)):
        pos = pos + (np.arange(n) * s).reshape((n,) + (1,) * (len(size) - m - 1))
    q = np.asarray(np.unravel_index(pos.ravel(), shape)).T @ xst + x.storage_offset()
    q = q.reshape(size)
    q0 = int(q.reshape(-1)[0])
    new = tuple(int(np.take(q, 1, axis=m).reshape(-1)[0]) - q0 if n > 1 else 1
                for m, n in enumerate(size))
    want = np.full(size, q0, np.int64)
    for m, (n, s) in enumerate(zip(size, new)):
        want = want + (np.arange(n) * s).reshape((n,) + (1,) * (len(size) - m - 1))
    return (size, new, q0) if np.array_equal(q, want) else None


def _rebuild_outputs(out_tree, outs, rg_mask=None, node=None, ident=None):
    """Output Tensors in the traced structure; with a node, those that require grad carry it."""
    tdef, kinds, consts = out_tree
    m_it = iter(rg_mask) if node is not None else None
    j = 0
    inference = _MODE.get() & _INFERENCE
    built = []  # the tensor outputs (an output may be another one, or a view of one)
    later = []
    for k, a in enumerate(outs):
        same = ident[k] if ident is not None else None
        rg = m_it is not None and next(m_it)
        if rg and same is not None:
            j += 1
        if type(same) is tuple:  # ("out", i) / ("vout", i, size, stride, offset): after the rest
            later.append((k, same))
            built.append(None)
        elif same is not None:  # the argument or state tensor itself, or a view of it
            built.append(same)
        else:
            t = Tensor._from_array(a)
            if rg:
                t._node, t._onr, t._rg = node, j, True
                j += 1
            elif inference:
                t._inf = True  # made under inference_mode, as eager's outputs
            built.append(t)
    for k, d in later:
        built[k] = built[d[1]] if d[0] == "out" else built[d[1]].as_strided(*d[2:])
    it = iter(built)
    return _unflatten(tdef, [next(it) if kind == "T" else c for kind, c in zip(kinds, consts)])


def _trace(fn, state, args, kwargs, leaves, classes=None, dry=False, isolate=None) -> _Program:
    tensors, carriers = state.tensors, state.carriers
    slots, _ = _hyper(state)
    sched_counts = [0] * len(state.schedulers)
    box = {}

    def pure(arrays, grads, hvals, key, in_arrays, strip=False, backward=None):
        saved = [(t._sa, t._sv, t._a, t._av) for t in tensors]
        saved_c = [(c._grad, c._rg) for c in carriers]
        saved_g = [(c._grad, c._grad._sa, c._grad._sv) for c in carriers if c._grad is not None]
        saved_h = [g[k] for g, k in slots]
        keys_ctx = _random.traced_keys([_random.default_generator, *state.generators])
        keys_ctx.__enter__()
        _TRACING[0] += 1
        calls0 = engine.BACKWARD_CALLS[0]
        try:
            for t, a in zip(tensors, arrays):
                t._sa = a
                t._sv = -abs(t._sv) - 10**9  # views of state re-read through the tracer
            for c, g in zip(carriers, grads):
                if strip:  # the outer jax.vjp differentiates; inner ops need not record
                    c._rg = False
                if g is not None:
                    c._grad._sa = g
                    c._grad._sv = -abs(c._grad._sv) - 10**9
            for (g, k), v in zip(slots, hvals):
                g[k] = v  # a 0-d tracer: optimizers must not branch on its value
            _random.default_generator._key = key[0]
            for g, k in zip(state.generators, key[1:]):
                g._key = k
            for i, s in enumerate(state.schedulers):
                def deferred(*a, _i=i, **k):
                    sched_counts[_i] += 1
                s.step = deferred
            a_it, al_it = iter(in_arrays), iter(state.alias)
            in_tensors = []
            share, roots = state.share, {}
            called = []  # the tensors the function receives, in argument order

            def as_input(x):
                t = _as_input(x)
                if isinstance(x, Tensor):
                    called.append(t)
                return t

            def _as_input(x):
                if not isinstance(x, Tensor):
                    return x
                a = next(a_it)
                if next(al_it) >= 0:  # shares storage with state: reads its tracer
                    in_tensors.append(None)
                    return x
                s = share[len(in_tensors)] if share is not None else None
                if s is not None:  # one traced storage per group; each argument a view of it
                    root = roots.get(s[0])
                    if root is None:
                        root = roots[s[0]] = Tensor._from_array(a)
                    if x._st is None:
                        t = root
                    else:
                        t = object.__new__(type(x) if type(x) is Tensor else Tensor)
                        t._st, t._vw = root, x._vw
                    in_tensors.append(t if s[0] == len(in_tensors) else None)
                    return t
                t = Tensor._from_array(a)
                if x._rg and not strip:
                    t._rg = True
                in_tensors.append(t)
                return t
            call_args, call_kwargs = jax.tree_util.tree_map(
                as_input, (args, kwargs), is_leaf=lambda x: isinstance(x, Tensor))
            with _deferred.Recording() as checks, _host_arrays.Recording() as host:
                out = fn(*call_args, **call_kwargs)
            box["host"] = host.arrays
            if backward is not None:  # the differentiable variant's backward program
                return _inner_backward(out, backward, carriers, in_tensors, call_args, call_kwargs)
            in_written = [i for i, (t, a) in enumerate(zip(in_tensors, in_arrays))
                          if t is not None and t._owner()._sa is not a]
            in_owner = [i for i in in_written if share is not None and share[i] is not None]
            in_grads = [i for i, t in enumerate(in_tensors)
                        if t is not None and t._grad is not None]
            # Unchanged state is not returned (returning an input would copy it every call),
            # unless it is donated: then it must come back, and XLA aliases it (no copy).
            passthrough = donating and not strip
            new_arrays = [t._sa if t._sa is not a or passthrough else None
                          for t, a in zip(tensors, arrays)]
            written = [i for i, (t, a) in enumerate(zip(tensors, arrays)) if t._sa is not a]
            box["stationary"] = all(_aval(tensors[i]._sa) == _aval(arrays[i]) for i in written)
            grad_spec, new_grads = [], []
            for c, (g0, _), gin in zip(carriers, saved_c, grads):
                g = c._grad
                if g is None:
                    grad_spec.append(None if g0 is None else "none")
                    new_grads.append(None)
                else:
                    grad_spec.append("new" if g is not g0 else "keep")
                    data = g._data
                    new_grads.append(None if data is gin and not passthrough else data)
                if passthrough and gin is not None and grad_spec[-1] in (None, "none"):
                    # A donated .grad must come back (aliased, no copy): one the function left
                    # alone is kept, one it set to None is dropped after the call.
                    new_grads[-1] = gin
                    if grad_spec[-1] is None:
                        grad_spec[-1] = "keep"
            leaves, tdef = _flatten(out)
            kinds = ["T" if isinstance(x, Tensor) else "C" for x in leaves]
            consts = [None if isinstance(x, Tensor) else x for x in leaves]
            tens = [x for x in leaves if isinstance(x, Tensor)]
            # Outputs that ARE an argument or a state tensor come back as that object (torch
            # returns `x` from `f(x) -> x`, the live parameter or buffer from a getter).
            by_id = {id(t): ("in", i) for i, t in reversed(list(enumerate(called)))}
            by_id.update((id(c), ("c", j)) for j, c in enumerate(carriers) if id(c) not in by_id)
            box["ident"] = _identities(tens, by_id, called, tensors)
            box.update(written=written, grad_spec=grad_spec, out_tree=(tdef, kinds, consts),
                       in_written=in_written, donated=passthrough, in_grads=in_grads,
                       in_owner=in_owner, checks=checks.checks(),
                       float_mask=[jnp.issubdtype(x._data.dtype, jnp.inexact) for x in tens],
                       rg_mask=[bool(x._rg) for x in tens])
            if not strip:
                # Outputs that still need gradients, from a function that ran no backward
                # itself (a forward): the program must be differentiable as a whole.
                box["needs_grad"] = engine.BACKWARD_CALLS[0] == calls0 and any(x._rg for x in tens)
            keys = (_random.default_generator._key, *[g._key for g in state.generators])
            return (new_arrays, new_grads, keys, [x._data for x in tens],
                    [in_tensors[i]._owner()._sa for i in in_written] + [in_tensors[i]._grad._data
                                                               for i in in_grads]
                    + checks.arrays())
        finally:
            _TRACING[0] -= 1
            for t, (a, v, ca, cav) in zip(tensors, saved):
                t._sa, t._sv, t._a, t._av = a, v, ca, cav
            for c, (g, rg) in zip(carriers, saved_c):
                c._grad, c._rg = g, rg
            for g, a, v in saved_g:
                g._sa, g._sv = a, v
            for (g, k), v in zip(slots, saved_h):
                g[k] = v
            keys_ctx.__exit__(None, None, None)
            for s in state.schedulers:
                s.__dict__.pop("step", None)

    # Donate the state and .grad buffers so XLA updates them in place (no new buffers per step);
    # each call first copies any buffer that something else still references (`_donatable`).
    donate = (0, 1)
    donating = True
    if isolate is not None:  # an eager unit: its state is rarely written (passing it back costs)
        donate, donating = (), False
    spmd = _spmd_step(state)
    if spmd is not None:
        classes = None  # one program per shape (every rank compiles the same one)
    ins = [x for x in leaves if isinstance(x, Tensor)]
    live = _live_inputs(state, ins)
    opt_state = [(o, {p: dict(v) for p, v in o.state.items()}) for o in state.optimizers]
    audit = _audit.Audit()
    snap = _effects.Snapshot(state.rec, state.optimizers)
    try:
        compiled = None
        if classes is not None and any(c is not None for c in classes):
            with audit, _effects.guard_print():
                compiled = _export_batch_polymorphic(pure, donate, live, classes)
            _check_audit(audit, state, ())
            new_opt_state = _undo_new_optimizer_state(opt_state)
            _check_effects(snap, state)
            if compiled is None or box.get("needs_grad"):
                raise _NotPolymorphic()
            if new_opt_state:
                raise _NeedsEager()
        else:
            # Trace and compile now (errors surface here, not on replay).
            with audit, _effects.guard_print():
                traced = (jax.jit(pure, donate_argnums=donate, keep_unused=True) if spmd is None
                          else spmd.jit(pure, donate)).trace(*live)
            _check_audit(audit, state, traced.jaxpr.consts)
            if spmd is not None and box.get("needs_grad"):
                raise UntraceableError("a compiled DistributedDataParallel forward whose backward "
                                       "runs outside: compile the whole training step")
            new_opt_state = _undo_new_optimizer_state(opt_state)
            _check_effects(snap, state)
            if dry:
                return None
            if new_opt_state:
                raise _NeedsEager()
            if box.get("needs_grad"):  # only the differentiable variant runs: compile on use
                compiled = functools.partial(lambda t: t.lower().compile(), traced)
            else:
                compiled = (traced.lower().compile() if isolate is None
                            else isolate(traced, donate, live))
    except BaseException:
        audit.restore(state)  # a failed trace must not leave tracers in tensors outside the state
        _undo_numbers(state)  # nor its Python side effects
        snap.restore()
        _effects.leaked_tracers()
        raise
    changed = _undo_numbers(state)
    if changed:  # the eager run that follows does them for real
        raise _SideEffect(changed)
    prog = _Program(compiled, dict(box), list(sched_counts))
    if box.get("needs_grad"):
        with _effects.guard_print():
            prog.diff = _differentiable(pure, state, ins, live, box)
        snap.restore()
    return prog


def _spmd_step(state):
    """A DistributedDataParallel over a process group in the state: the step is traced as one
    SPMD program over the group's devices (`distributed/_compiled_step.py`); else None."""
    if not any(getattr(type(m), "_compiled_collective_devices", None) for m in state.modules):
        return None
    from .distributed import _compiled_step
    return _compiled_step.plan(state.modules)


def _export_batch_polymorphic(pure, donate, live, classes):
    """Trace `pure` once with a symbolic leading dimension per batch class (`jax.export`); the
    result compiles once per concrete batch size without running the Python trace again.
    None when the function does not trace with symbolic sizes (a shape-dependent Python branch,
    an op that needs a concrete size): the caller then traces with static shapes."""
    arrays, grads, hvals, key, in_arrays = live
    n = 1 + max(c for c in classes if c is not None)
    syms = jax.export.symbolic_shape(", ".join(f"b{i}" for i in range(n)))
    spec = lambda a: None if a is None else jax.ShapeDtypeStruct(a.shape, a.dtype)  # noqa: E731
    ins = [spec(a) if c is None else jax.ShapeDtypeStruct((syms[c],) + a.shape[1:], a.dtype)
           for a, c in zip(in_arrays, classes)]
    try:
        exp = jax.export.export(jax.jit(pure, donate_argnums=donate, keep_unused=True))(
            [spec(a) for a in arrays], [spec(g) for g in grads], [spec(h) for h in hvals],
            tuple(map(spec, key)), ins)
    except _UNTRACEABLE:
        raise
    except Exception:  # noqa: BLE001  (any failure of the symbolic trace means: use static shapes)
        return None
    return jax.jit(exp.call, donate_argnums=donate, keep_unused=True)


class _Missed(Exception):
    """The trace read or wrote tensors outside the discovered state (the trace audit)."""

    def __init__(self, tensors, objects):
        super().__init__()
        self.tensors, self.objects = tensors, objects
        self.what = _audit.describe(tensors, objects)


def _check_effects(snap, state):
    """A trace that stored something in Python containers, or left a traced tensor anywhere,
    has a side effect no program repeats: undo it and raise _Stored (_SideEffect for numbers)."""
    numbers = _undo_numbers(state)
    changed = snap.restore()
    leaked = _effects.leaked_tracers()
    if numbers:
        raise _SideEffect(numbers)
    if changed or leaked:
        raise _Stored(changed or f"stores {leaked} tensor(s) computed in the call, outside the "
                      "function's state (e.g. in a hook's container)")


class _Stored(Exception):
    """The traced function stores values in Python objects outside itself."""


def _check_audit(audit, state, consts):
    written = audit.restore(state)
    tensors, objects = audit.missed(state, consts, written)
    audit.reads.clear()
    if tensors or objects:
        _undo_numbers(state)
        raise _Missed(tensors, objects)


class _NotPolymorphic(Exception):
    """The function does not trace with symbolic batch sizes: use static shapes."""


class _NeedsEager(Exception):
    """The trace created optimizer state (a parameter that had no state yet): run this call
    eagerly so the state is created with real values, and trace again on the next call."""


def _undo_new_optimizer_state(snapshots) -> bool:
    """Put optimizer state back as it was before the trace; True if the trace had changed it."""
    changed = False
    for o, snap in snapshots:
        for p in [p for p in o.state if p not in snap]:
            del o.state[p]
            changed = True
        for p, old in snap.items():
            cur = o.state[p]
            if cur.keys() != old.keys() or any(cur[k] is not v for k, v in old.items()):
                cur.clear()
                cur.update(old)
                changed = True
    return changed


def _differentiable(pure, state, ins, live, box):
    """The program as one differentiable op: a forward program (no donation: the backward
    replays it from the same inputs) and a backward program that runs the forward again with
    jtorch's autograd recording and returns the gradients of the outputs that require grad
    with respect to the carriers (parameters) and argument tensors that require grad."""
    d_carriers = [i for i, c in enumerate(state.carriers) if c._rg]
    d_in = [i for i, t in enumerate(ins) if t._rg]
    fwd = jax.jit(pure, keep_unused=True).lower(*live).compile()
    outs_spec = jax.eval_shape(lambda *a: pure(*a)[3], *live)
    cots = [jax.ShapeDtypeStruct(o.shape, o.dtype) for o, m in zip(outs_spec, box["rg_mask"]) if m]

    def bwd(arrays, grads, hvals, key, in_arrays, cts):
        return pure(arrays, grads, hvals, key, in_arrays, backward=(cts, d_carriers, d_in))
    bwd_c = jax.jit(bwd, keep_unused=True).lower(*live, cots).compile()
    return fwd, bwd_c, d_carriers, d_in


def _inner_backward(out, backward, carriers, in_tensors, call_args, call_kwargs):
    """Inside the backward program: gradients of the outputs that require grad, as eager
    autograd computes them, with respect to the differentiable carriers and arguments."""
    from .autograd import grad as _grad
    cts, d_carriers, d_in = backward
    leaves, _ = _flatten(out)
    outs = [x for x in leaves if isinstance(x, Tensor) and x._rg]
    args = [x for x in jax.tree_util.tree_leaves((call_args, call_kwargs),
                                                 is_leaf=lambda x: isinstance(x, Tensor))
            if isinstance(x, Tensor)]
    wrt = [carriers[i] for i in d_carriers] + [args[i] for i in d_in]
    gs = _grad(outs, wrt, grad_outputs=[Tensor._from_array(c) for c in cts], allow_unused=True)
    return [jnp.zeros(w.shape, w._data.dtype) if g is None else g._data for g, w in zip(gs, wrt)]


def _flatten(out):
    """Outputs flattened as torch's pytree does (dicts keep insertion order; Tensors are leaves)."""
    from .utils import _pytree
    return _pytree.tree_flatten(out)


def _unflatten(tdef, leaves):
    from .utils import _pytree
    return _pytree.tree_unflatten(leaves, tdef)


def _backward_hooks(state) -> bool:
    from .nn.modules import _hooks
    return bool(_hooks._global_backward_hooks) or any(
        m._backward_hooks or m._backward_pre_hooks for m in state.modules)


def _caller_line():
    pkg = os.path.dirname(__file__)
    for fr in reversed(traceback.extract_stack()[:-1]):
        if not fr.filename.startswith(pkg):
            return f"{fr.filename}:{fr.lineno}"
    return "unknown location"


def _user_line(err):
    tb = traceback.extract_tb(err.__traceback__)
    pkg = os.path.dirname(__file__)
    for fr in reversed(tb):
        if not fr.filename.startswith(pkg) and "site-packages/jax" not in fr.filename:
            return f"{fr.filename}:{fr.lineno} ({fr.line})"
    return "unknown location"
