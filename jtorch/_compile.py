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
effects inside the function happen when it is traced, not on every call.

The state walk is in `_compile_state.py`, the guard key and the cheap per-call check in
`_compile_guard.py`; this file traces, compiles, replays and writes back.
"""
from __future__ import annotations

import functools
import os
import sys
import traceback
import types
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from . import random as _random
from ._tensor import Tensor
from .autograd import engine
from .autograd.grad_mode import _MODE
from ._compile_guard import (_LIFTED, _arg_sig, _aval, _batch_classes, _dynamic_sig,
                             _explain, _guard_key, _is_tensor, _only_batch_changed)
from ._compile_state import _discover
from ._compiled import audit as _audit
from .compile_errors import UntraceableError

_UNTRACEABLE = (UntraceableError, jax.errors.ConcretizationTypeError,
                jax.errors.TracerBoolConversionError, jax.errors.TracerIntegerConversionError,
                jax.errors.TracerArrayConversionError)
_LOG_RECOMPILES = "recompiles" in os.environ.get("JTORCH_LOGS", "")
cache_size_limit = 8
_TRACING = [0]


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
        return OptimizedModule(model, CompiledFunction(model.__call__, fullgraph, dynamic))
    if not callable(model):
        raise TypeError(f"compile() expects a function or an nn.Module, got {type(model).__name__}")
    return functools.wraps(model)(CompiledFunction(model, fullgraph, dynamic))


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

    def __get__(self, obj, objtype=None):
        return self if obj is None else types.MethodType(self, obj)

    def __call__(self, *args, **kwargs):
        if _TRACING[0]:  # called while another compiled function traces: inline, as torch does
            return self.fn(*args, **kwargs)
        self.calls += 1
        if self.calls == 1 or self.eager_only:
            return self.fn(*args, **kwargs)
        if not kwargs and all(type(a) is Tensor for a in args):  # the common call, flattened
            leaves, tdef = list(args), len(args)
        else:
            leaves, tdef = jax.tree_util.tree_flatten((args, kwargs), is_leaf=_is_tensor)
        sig = _arg_sig(tdef, leaves)
        classes = None
        if self.dynamic_batch:
            classes = _batch_classes(leaves)
            sig = _dynamic_sig(sig, classes)
        last = self._last
        # Fast path: same arguments' signature and the last walk's record still holds, so a
        # full walk would find the same state and guard key (see _compile_guard).
        ins = [x for x in leaves if isinstance(x, Tensor)]
        if last is not None and last[0] == sig and last[1].rec.valid() and \
                last[1].rec.tensor_ids.isdisjoint(map(id, map(Tensor._owner, ins))):
            state, prog = last[1], last[2]
        else:
            state = _discover(self.fn, leaves, self.lifted, self.extra)
            key = _guard_key(state, sig)
            prog = self.cache.get(key)
            if prog is None and self._lift_changed(state):
                state = _discover(self.fn, leaves, self.lifted, self.extra)
                key = _guard_key(state, sig)
                prog = self.cache.get(key)
            self._plain_seen = {(id(h), k): v for h, k, v, _ in state.plain}
            switched = False
            if prog is None and self.dynamic is None and not self.dynamic_batch and self.cache \
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
                    self._note_recompile(key, switched)
                try:
                    try:
                        prog = _trace(self.fn, state, args, kwargs, leaves, classes)
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
                except _NeedsEager:
                    self._last = None
                    return self.fn(*args, **kwargs)
                self.cache[key] = prog
            self._last = (sig, state, prog) if state.rec.fit else None
        out = prog.run(state, ins)
        if self._last is not None:
            if prog.stationary:
                state.rec.refresh()  # the versions this call's own write-back produced
            else:
                self._last = None  # the call changed a state shape or dtype: walk next time
        return out

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

    def _fallback(self, err, args, kwargs, side_effect=False):
        where = _user_line(err)
        if side_effect:
            msg = (f"jtorch.compile: {getattr(self.fn, '__qualname__', self.fn)} changes the Python "
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
        return self.fn(*args, **kwargs)

    def _missed(self, err, args, kwargs):
        """The trace used tensors (or modules/optimizers) the walk did not find: make them state
        and trace again; if they are still missed, run eagerly (never a program that baked a
        tensor in or dropped a write)."""
        name = getattr(self.fn, "__qualname__", self.fn)
        known = set(map(id, self.extra))
        new = [o for o in err.objects + err.tensors if id(o) not in known]
        if not new:
            warnings.warn(f"jtorch.compile: {name} uses {err.what} that its compiled program "
                          "cannot read or write back, so it runs eagerly from now on.",
                          UserWarning, stacklevel=3)
            self.eager_only = True
            return self.fn(*args, **kwargs)
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
        self.recompiles.append(f"changed: batch sizes; {getattr(self.fn, '__qualname__', self.fn)} "
                               "does not trace with symbolic batch sizes, so it is traced per shape")

    def _note_recompile(self, key, to_dynamic=False):
        reason = _explain(next(reversed(self.cache)), key)
        if to_dynamic:
            reason += "; tracing once with symbolic batch sizes (dynamic=None: automatic)"
        where = _caller_line()
        reason = f"{reason} (called from {where})"
        self.recompiles.append(reason)
        if _LOG_RECOMPILES:
            print(f"[jtorch recompile] {getattr(self.fn, '__qualname__', self.fn)}: {reason}",
                  file=sys.stderr)
        if len(self.cache) >= cache_size_limit:
            warnings.warn(f"jtorch.compile: {getattr(self.fn, '__qualname__', self.fn)} has been "
                          f"recompiled {len(self.cache)} times (cache_size_limit={cache_size_limit}); "
                          "check for changing shapes, dtypes or Python arguments.", UserWarning,
                          stacklevel=3)


class OptimizedModule:
    """What `compile(module)` returns. Matches torch's OptimizedModule (`_orig_mod`, attribute
    passthrough, state_dict keys prefixed with `_orig_mod.`)."""

    def __init__(self, mod, compiled):
        object.__setattr__(self, "_orig_mod", mod)
        object.__setattr__(self, "_compiled", compiled)

    def __call__(self, *args, **kwargs):
        return self._compiled(*args, **kwargs)

    forward = __call__

    def __getattr__(self, name):
        return getattr(self._orig_mod, name)

    def __setattr__(self, name, value):
        setattr(self._orig_mod, name, value)

    def state_dict(self, *args, **kwargs):
        from collections import OrderedDict
        sd = self._orig_mod.state_dict(*args, **kwargs)
        return OrderedDict(("_orig_mod." + k, v) for k, v in sd.items())

    def load_state_dict(self, state_dict, strict=True, assign=False):
        sd = {k[len("_orig_mod."):] if k.startswith("_orig_mod.") else k: v for k, v in state_dict.items()}
        return self._orig_mod.load_state_dict(sd, strict=strict, assign=assign)

    def __repr__(self):
        return "OptimizedModule(\n  (_orig_mod): " + repr(self._orig_mod).replace("\n", "\n  ") + "\n)"


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
    return arrays, grads, hvals, _random.default_generator._key, [x._data for x in ins]


class _Program:
    """One traced version of a compiled function, and how to write its results back."""

    diff = None  # the differentiable variant, for forwards whose outputs need gradients

    def __init__(self, compiled, box, n_sched):
        self.compiled = compiled
        self.out_tree = box["out_tree"]
        self.float_mask = box["float_mask"]
        self.written = box["written"]        # indexes of state tensors the program writes
        self.grad_spec = box["grad_spec"]    # per carrier: None / "none" / "keep" / "new"
        self.grad_touched = [i for i, s in enumerate(self.grad_spec) if s is not None]
        self.in_written = box["in_written"]  # indexes of argument tensors the program writes
        self.n_sched = n_sched               # deferred scheduler.step() calls per scheduler
        self.donated = box.get("donated", False)
        self.stationary = box["stationary"]  # written state keeps its shapes and dtypes

    def run(self, state, ins):
        if self.diff is not None and _MODE.get() & 1:
            return self._run_diff(state, ins)
        live = _live_inputs(state, ins)
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
        return _rebuild_outputs(self.out_tree, self.float_mask, outs, [])

    def _write_back(self, state, ins, new_arrays, new_key, new_inputs, donated=True):
        if donated and self.donated:  # every state array came back (old buffers are gone)
            for t, a in zip(state.tensors, new_arrays):
                t._sa = a
        for i in self.written:
            t = state.tensors[i]
            t._sa = new_arrays[i]
            t._sv += 1
        if self.in_written:  # in-place writes to argument tensors
            for i, a in zip(self.in_written, new_inputs):
                ins[i]._set_array(a)
        _random.default_generator._key = new_key
        for s, n in zip(state.schedulers, self.n_sched):
            for _ in range(n):
                type(s).step(s)

    def _run_diff(self, state, ins):
        compiled, d_carriers, d_in = self.diff
        fl, pb, (new_arrays, _, new_key, other, new_inputs) = compiled(*_live_inputs(state, ins))
        edges = tuple([state.carriers[i]._edge() for i in d_carriers] + [ins[i]._edge() for i in d_in])
        node = engine.node_type("CompiledFunctionBackward")(pb, edges, list(fl))
        self._write_back(state, ins, new_arrays, new_key, new_inputs, donated=False)
        return _rebuild_outputs(self.out_tree, self.float_mask, fl, other, node)


def _rebuild_outputs(out_tree, float_mask, fl, other, node=None):
    """Output Tensors in the traced structure. With a node, floating outputs carry it."""
    tdef, kinds, consts = out_tree
    fl_it, ot_it = iter(enumerate(fl)), iter(other)
    m_it = iter(float_mask)
    leaves = []
    for kind, c in zip(kinds, consts):
        if kind != "T":
            leaves.append(c)
            continue
        if node is None:  # plain program: all tensor outputs in order in `fl`
            leaves.append(Tensor._from_array(next(fl_it)[1]))
            next(m_it)
        elif next(m_it):
            j, a = next(fl_it)
            t = Tensor._from_array(a)
            t._node, t._onr, t._rg = node, j, True
            leaves.append(t)
        else:
            leaves.append(Tensor._from_array(next(ot_it)))
    return jax.tree_util.tree_unflatten(tdef, leaves)


def _trace(fn, state, args, kwargs, leaves, classes=None) -> _Program:
    tensors, carriers = state.tensors, state.carriers
    slots, _ = _hyper(state)
    sched_counts = [0] * len(state.schedulers)
    box = {}

    def pure(arrays, grads, hvals, key, in_arrays, strip=False):
        saved = [(t._sa, t._sv, t._a, t._av) for t in tensors]
        saved_c = [(c._grad, c._rg) for c in carriers]
        saved_g = [(c._grad, c._grad._sa, c._grad._sv) for c in carriers if c._grad is not None]
        saved_h = [g[k] for g, k in slots]
        saved_key = _random.default_generator._key
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
            _random.default_generator._key = key
            for i, s in enumerate(state.schedulers):
                def deferred(*a, _i=i, **k):
                    sched_counts[_i] += 1
                s.step = deferred
            a_it, al_it = iter(in_arrays), iter(state.alias)
            in_tensors = []

            def as_input(x):
                if not isinstance(x, Tensor):
                    return x
                a = next(a_it)
                if next(al_it) >= 0:  # shares storage with state: reads its tracer
                    in_tensors.append(None)
                    return x
                t = Tensor._from_array(a)
                if x._rg and not strip:
                    t._rg = True
                in_tensors.append(t)
                return t
            call_args, call_kwargs = jax.tree_util.tree_map(
                as_input, (args, kwargs), is_leaf=lambda x: isinstance(x, Tensor))
            out = fn(*call_args, **call_kwargs)
            in_written = [i for i, (t, a) in enumerate(zip(in_tensors, in_arrays))
                          if t is not None and t._sa is not a]
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
            leaves, tdef = jax.tree_util.tree_flatten(out, is_leaf=lambda x: isinstance(x, Tensor))
            kinds = ["T" if isinstance(x, Tensor) else "C" for x in leaves]
            consts = [None if isinstance(x, Tensor) else x for x in leaves]
            tens = [x for x in leaves if isinstance(x, Tensor)]
            box.update(written=written, grad_spec=grad_spec, out_tree=(tdef, kinds, consts),
                       in_written=in_written, donated=passthrough,
                       float_mask=[jnp.issubdtype(x._data.dtype, jnp.inexact) for x in tens])
            if not strip:
                # Outputs that still need gradients, from a function that ran no backward
                # itself (a forward): the program must be differentiable as a whole.
                box["needs_grad"] = engine.BACKWARD_CALLS[0] == calls0 and any(x._rg for x in tens)
            return (new_arrays, new_grads, _random.default_generator._key, [x._data for x in tens],
                    [in_tensors[i]._sa for i in in_written])
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
            _random.default_generator._key = saved_key
            for s in state.schedulers:
                s.__dict__.pop("step", None)

    # Donate the state and .grad buffers so XLA updates them in place (no new buffers per step);
    # each call first copies any buffer that something else still references (`_donatable`).
    donate = (0, 1)
    donating = True
    ins = [x for x in leaves if isinstance(x, Tensor)]
    live = _live_inputs(state, ins)
    opt_state = [(o, {p: dict(v) for p, v in o.state.items()}) for o in state.optimizers]
    audit = _audit.Audit()
    try:
        compiled = None
        if classes is not None and any(c is not None for c in classes):
            with audit:
                compiled = _export_batch_polymorphic(pure, donate, live, classes)
            _check_audit(audit, state, ())
            if compiled is None or box.get("needs_grad"):
                _undo_new_optimizer_state(opt_state)
                raise _NotPolymorphic()
        else:
            # Trace and compile now (errors surface here, not on replay).
            with audit:
                traced = jax.jit(pure, donate_argnums=donate, keep_unused=True).trace(*live)
            _check_audit(audit, state, traced.jaxpr.consts)
            lowered = traced.lower()
            if _undo_new_optimizer_state(opt_state):
                raise _NeedsEager()
            compiled = lowered.compile()
    except BaseException:
        audit.restore(state)  # a failed trace must not leave tracers in tensors outside the state
        _undo_numbers(state)  # nor its Python side effects
        raise
    changed = _undo_numbers(state)
    if changed:  # the eager run that follows does them for real
        raise _SideEffect(changed)
    prog = _Program(compiled, dict(box), list(sched_counts))
    if box.get("needs_grad"):
        prog.diff = _differentiable(pure, state, ins, live)
    return prog


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
            spec(key), ins)
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


def _check_audit(audit, state, consts):
    written = audit.restore(state)
    tensors, objects = audit.missed(state, consts, written)
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


def _differentiable(pure, state, ins, live):
    """The program as one differentiable op: (outputs, pullback, rest) via jax.vjp in jit.

    Differentiates with respect to the carriers that require grad (parameters) and the
    argument tensors that do.
    """
    d_carriers = [i for i, c in enumerate(state.carriers) if c._rg]
    d_in = [i for i, t in enumerate(ins) if t._rg]
    owner_of = [state.owner_of[i] for i in d_carriers]
    ns = len(d_carriers)

    def g(arrays, grads, hvals, key, in_arrays):
        def f(*dvals):
            a, ia = list(arrays), list(in_arrays)
            for o, v in zip(owner_of, dvals[:ns]):
                a[o] = v
            for i, v in zip(d_in, dvals[ns:]):
                ia[i] = v
            new_arrays, new_grads, key2, outs, new_inputs = pure(a, grads, hvals, key, ia, strip=True)
            fl = [o for o in outs if jnp.issubdtype(o.dtype, jnp.inexact)]
            other = [o for o in outs if not jnp.issubdtype(o.dtype, jnp.inexact)]
            return fl, (new_arrays, new_grads, key2, other, new_inputs)
        dvals = [arrays[o] for o in owner_of] + [in_arrays[i] for i in d_in]
        return jax.vjp(f, *dvals, has_aux=True)
    compiled = jax.jit(g).lower(*live).compile()
    return compiled, d_carriers, d_in


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
