"""Eager units (issue 15): an eagerly called Module's whole call as one XLA program.

Opt-in: `JTORCH_EAGER_UNITS=N`, `python -m jtorch --compile-modules[=N] script.py` or
`jtorch.compiler.set_eager_units(N)` (0: off, the default). While on, the outermost Module call
that does not record autograd (`no_grad`, `inference_mode`) is run by a per-module
`jtorch.compile` function (`Unit`) with the guards, state walk, audit, side-effect checks and
write-back of the compile path. It differs from `jtorch.compile` only in when it compiles and in
never changing what the user sees:
* a signature (argument shapes, dtypes and Python values, grad mode, autocast) runs eagerly for
  its first N calls and, once the unit has compiled a program, until its eager calls have taken
  as long as that compile took (ski rental); so shapes used a few times (a growing context in
  generation, a last smaller batch) never pay for a whole-call compile, and a shape used for long
  pays it once (the compile path's guards then decide which program runs);
* anything the program could not repeat -- a hook on any module it reaches, `.item()`, printing,
  a Python side effect, a tensor reached outside the state walk, any error while tracing --
  turns the unit off for that module, silently: it runs eagerly, exactly as without units (its
  submodules may still become units); at the recompile limit (8 programs) new signatures run
  eagerly;
* a unit is kept only if it is faster: after its first program, program calls and plain eager
  calls alternate a few times, and a unit whose fastest call does not beat eager's fastest by
  10% (a module of one op or a few tiny ones, as `RNNCell` or a small policy MLP: the compile
  path's per-call Python cost exceeds the dispatches saved) is turned off, with its submodules.
Results are the per-op path's bit for bit: the program keeps every op of the trace apart
(`isolated`: XLA would otherwise fuse across ops, contract a multiply and an add into an FMA and
fold a view's transpose into a matmul, which changed BatchNorm's running statistics and
attention by 1 ulp), so what it saves is the per-op dispatch, not XLA's per-op work. Not for
calls that record autograd: the compile path differentiates a forward by replaying it in a
second program, whose fused backward changed gradients by ~1e-6 on a small GPT.
"""
from __future__ import annotations

import os
import threading
import time

import jax
from jax.extend.core import Literal

from . import _compile, _dispatch, overrides
from ._compile_guard import _arg_sig, _is_tensor
from ._tensor import Tensor
from .autograd.grad_mode import ENABLED, _MODE

# Eager calls of a signature before it is traced (0: units off). Env: JTORCH_EAGER_UNITS=N.
CALLS = [int(os.environ.get("JTORCH_EAGER_UNITS", "0") or 0)]
TRIALS = 4          # timed program and eager calls before the faster-than-eager verdict
FASTER = 0.9        # a unit is kept when its fastest call takes under this share of eager's
MAX_WARM = 1 << 12  # signatures counted per unit before the counts start over (memory bound)


class _Inside(threading.local):
    n = 0


_INSIDE = _Inside()  # > 0 inside an active unit's call: inner Module calls are part of it


def call(module, args, kwargs):
    """`Module.__call__` while units are on: the unit's call where one applies, else eager."""
    if (_INSIDE.n or _MODE.get() & ENABLED or _compile._TRACING[0] or _compile._FIRST_CALL[0]
            or _dispatch.DISPATCH_MODES or overrides.ACTIVE[0]):
        return module._call_impl(*args, **kwargs)
    d = module.__dict__
    unit = d.get("_jtorch_unit")
    if unit is None:
        if "_compiled" in d or type(module).__module__.startswith(_NOT_UNITS):
            d["_jtorch_unit"] = unit = _OFF
        else:
            d["_jtorch_unit"] = unit = Unit(module)
    if unit.eager_only:
        return module._call_impl(*args, **kwargs)
    _INSIDE.n += 1
    try:
        return unit(*args, **kwargs)
    finally:
        _INSIDE.n -= 1


# compile(module)'s wrapper and the distributed wrappers (collectives, hooks) stay eager
_NOT_UNITS = ("jtorch.nn.parallel", "jtorch.distributed", "jtorch._dynamo")


class _Off:
    eager_only = True


_OFF = _Off()


class Unit(_compile.CompiledFunction):
    """One module's unit: `jtorch.compile` of its `_call_impl`, quiet, trained to compile late
    and kept only when faster."""

    def __init__(self, module):
        super().__init__(module._call_impl, dynamic=False)  # symbolic sizes: no
        _compile._ALL.discard(self)  # not a user's compiled function (torch._dynamo.reset)
        self.calls = 1               # no special first call: every signature waits for CALLS
        self.seen = {}               # argument signature -> [eager calls, eager seconds]
        self.ready = set()           # argument signatures allowed to trace (or traced)
        self.compile_s = 0.0         # what the last trace and compile took
        self.trial = None            # after a new program: [program times, eager times, signature]
        self._was_eager = False
        self._t0, self._sig = 0.0, None  # when and for which signature the last trace began

    def __call__(self, *args, **kwargs):
        sig = _signature(args, kwargs)
        trial = self.trial
        if trial is not None and trial[2] == sig:
            return self._trial_call(trial, args, kwargs)
        last = self._last
        if last is None or last[0] != sig:  # (the same signature as the last call: its program)
            if sig not in self.ready:
                # Ski rental: a signature runs eagerly until it has had CALLS calls and spent as
                # long as the unit's last compile took, so shapes used a few times (a growing
                # context) never pay a whole-call compile and one used for long pays it once.
                w = self.seen.get(sig)
                if w is None:
                    if len(self.seen) >= MAX_WARM:
                        self.seen.clear()
                    w = self.seen[sig] = [0, 0.0]
                if w[0] < CALLS[0] or w[1] < self.compile_s or \
                        len(self.cache) >= _compile.cache_size_limit:
                    t = time.perf_counter()
                    out = self._eager(args, kwargs)
                    w[0] += 1
                    w[1] += time.perf_counter() - t
                    return out
                if len(self.ready) >= MAX_WARM:
                    self.ready.clear()
                self.ready.add(sig)
        self._t0, self._sig = time.perf_counter(), sig  # (read by _install if this call traces)
        return super().__call__(*args, **kwargs)

    def _trial_call(self, trial, args, kwargs):
        """After a new program: program and plain eager calls alternate (the program's first
        call is not counted: one-time costs), then the fastest of each decide."""
        runs, eager, _ = trial
        eager_turn = len(eager) < len(runs)
        self._was_eager = eager_turn
        t = time.perf_counter()
        out = self._eager(args, kwargs) if eager_turn else super().__call__(*args, **kwargs)
        t = time.perf_counter() - t
        if eager_turn:
            eager.append(t)
        elif not self._was_eager:  # (the program, not an eager fallback)
            runs.append(t)
        if len(eager) >= TRIALS and len(runs) > TRIALS and self.trial is trial:
            self.trial = None
            if min(runs[1:]) >= FASTER * min(eager):
                self._off(self.fn.__self__)
        return out

    def _install(self, key, prog):
        self.compile_s = time.perf_counter() - self._t0
        if self.trial is None:
            self.trial = [[], [], self._sig]  # [program call times, eager call times, signature]
        return prog

    @staticmethod
    def isolate(traced, donate, live):
        return isolated(traced, donate).lower(*live).compile(compiler_options=_KEEP_BARRIERS)

    def _eager(self, args, kwargs):
        self._was_eager = True
        return self.fn(*args, **kwargs)  # plain eager: is_compiling() stays False

    def _off(self, slower=None):
        """Eager from now on; `slower`: the module whose whole call was not faster as a unit, so
        none of its submodules (fewer ops each, the same per-call cost) is tried either."""
        self.eager_only = True
        self.cache.clear()
        self.seen.clear()
        self.ready.clear()
        self._last = None
        self.trial = None
        if slower is not None:
            for m in slower.modules():
                if m is not slower:
                    m.__dict__["_jtorch_unit"] = _OFF

    def _fallback(self, err, args, kwargs, side_effect=False, stored=False):
        self._off()
        return self._eager(args, kwargs)

    def _missed(self, err, args, kwargs):
        return self._fallback(err, args, kwargs)

    def _failed(self, err, args, kwargs):
        return self._fallback(err, args, kwargs)

    def _hooked(self, state):
        return _any_hooks(state)

    def _note_recompile(self, key, to_dynamic=False):
        pass  # quiet; at the recompile limit new signatures run eagerly (see __call__)


def _signature(args, kwargs):
    """The compile path's argument signature of a call (`CompiledFunction.__call__`'s `sig`)."""
    if not kwargs and all(type(a) is Tensor for a in args):
        leaves, tdef = list(args), len(args)
    else:
        leaves, tdef = jax.tree_util.tree_flatten((args, kwargs), is_leaf=_is_tensor)
    sig = _arg_sig(tdef, leaves)
    share = _compile._sharing([x for x in leaves if isinstance(x, Tensor)])
    return sig if share is None else sig + (share,)


def _any_hooks(state) -> bool:
    """Any forward or backward hook on a module the unit reaches, or a global one: torch runs
    them on every call, a program would have run them once."""
    from .nn.modules import _hooks as H
    if H._global_forward_pre_hooks or H._global_forward_hooks or H._global_backward_hooks:
        return True
    return any(m._forward_hooks or m._forward_pre_hooks or m._backward_hooks
               or m._backward_pre_hooks for m in state.modules)


def set_calls(n: int) -> None:
    """Turn units on (`n` eager calls of a signature before it is traced) or off (0)."""
    n = int(n)
    if n < 0:
        raise ValueError(f"set_eager_units expects a number of calls >= 0, got {n}")
    CALLS[0] = n


# XLA:CPU removes optimization barriers early in its pipeline (`cse_barrier_expander`), before
# fusion; kept, they stop fusion across them.
_KEEP_BARRIERS = {"xla_disable_hlo_passes": "cse_barrier_expander"}


def isolated(traced, donate):
    """The traced program with every top-level operation (one per eager dispatch: an op's jit,
    or a primitive jtorch's Python code ran) behind `optimization_barrier`s, as a `jax.jit`
    (compiled with `_KEEP_BARRIERS`). XLA then compiles each op as it does alone. Without the
    barriers it fuses across ops -- `a * 0.9 + b * 0.1` from two eager ops becomes one kernel
    with a fused multiply-add, a view's transpose folds into the next matmul -- which changes
    float rounding (BatchNorm's running statistics and an attention block differed from eager
    by 1 ulp). The program still saves every per-op dispatch."""
    closed = traced.jaxpr
    tree = jax.tree_util.tree_structure(traced.out_info)

    def run(*args):
        outs = _eval_isolated(closed.jaxpr, closed.consts, jax.tree_util.tree_leaves(args))
        return jax.tree_util.tree_unflatten(tree, outs)
    return jax.jit(run, donate_argnums=donate, keep_unused=True)


def _eval_isolated(jaxpr, consts, args):
    env = dict(zip(jaxpr.constvars, consts))
    env.update(zip(jaxpr.invars, args))

    def read(v):
        return v.val if isinstance(v, Literal) else env[v]
    for eqn in jaxpr.eqns:
        p = eqn.primitive
        outs = p.bind(*map(read, eqn.invars), **p.get_bind_params(eqn.params))
        outs = jax.lax.optimization_barrier(list(outs) if p.multiple_results else [outs])
        env.update(zip(eqn.outvars, outs))
    return [read(v) for v in jaxpr.outvars]
