"""A `jtorch.compile`d step over a DistributedDataParallel model with one process per rank: one
SPMD XLA program over the process group's devices, the gradient all-reduce inside it.

`jtorch.compile` traces a step as a pure function `(state, grads, hyper-parameters, RNG keys,
inputs) -> (new state, grads, keys, outputs, ...)`. When the state holds a DDP over a process
group, that function is traced under `shard_map` over a one-axis mesh of the group's devices
(axis `g` of `_programs`, one device per rank), and each rank's local arrays are its blocks of
process-spanning arrays:

- an array with dimensions is this rank's dim-0 block (`P('g')`): the local buffer IS the shard,
  so building the global array and reading the result back copy nothing;
- a 0-d array (a loss, a step count) passes as `P()`: each device keeps its own value (with
  `check_vma=False` shard_map inserts no collective for it; nothing reads another rank's copy).

Inside the body the user's code sees exactly the arrays eager mode sees, so everything runs per
rank as eagerly, except the collectives: while the body traces, `_programs.launch` on this group
emits its collective into the program (`collective` below) instead of running a program of its
own. So DDP's bucket all-reduce becomes `psum` over `g` (XLA's all-reduce, gloo on CPU, NCCL on
GPU), its buffer broadcast an all-gather, and a `dist.all_reduce` the user writes in the step is
in the program too. Every rank compiles the same program (DDP checked the shapes at
construction) and runs it once per step; no host round trip per bucket.

Each call runs on the collectives' helper thread and is waited for with the group's timeout, as
an eager collective is: a rank that dies or stops mid-step makes the others raise a RuntimeError
naming the step within the timeout instead of blocking in the program's all-reduce forever.
"""
from __future__ import annotations

import contextlib
import threading

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

from . import _programs
from ._programs import _AX, _bodies

_ACTIVE = threading.local()  # .devices: the group whose collectives go into the traced program


def active_devices():
    return getattr(_ACTIVE, "devices", None)


@contextlib.contextmanager
def _tracing(devices):
    old = active_devices()
    _ACTIVE.devices = devices
    try:
        yield
    finally:
        _ACTIVE.devices = old


def collective(kind, devices, x, arg):
    """Inside a traced SPMD step over `devices`: collective `kind` on this rank's (traced) array,
    as a value of the program, shaped as `_programs.launch`'s eager result. None elsewhere."""
    if active_devices() != tuple(devices):
        return None
    body, _ = _bodies(kind, len(devices), arg)
    return body(x[None])


def plan(modules):
    """The SPMD step for the DDP models among `modules` (those over a process group), or None."""
    from ..compile_errors import UntraceableError
    ddps = [m for m in modules if getattr(type(m), "_compiled_collective_devices", None) is not None
            and m._compiled_collective_devices() is not None]
    groups = {m._compiled_collective_devices() for m in ddps}
    if not groups:
        return None
    if len(groups) > 1:
        raise UntraceableError("a compiled step over DistributedDataParallel models on different "
                               "process groups: one SPMD program needs one group")
    return Step(groups.pop(), max(m._compiled_collective_timeout() for m in ddps))


class Step:
    """How one compiled step runs over the group's devices (`timeout_s`: the group's timeout)."""

    def __init__(self, devices, timeout_s):
        self.devices, self.timeout_s = tuple(devices), timeout_s
        mesh = Mesh(np.array(self.devices, dtype=object), (_AX,))
        self.mesh, self.n = mesh, len(self.devices)
        self.row, self.rep = NamedSharding(mesh, P(_AX)), NamedSharding(mesh, P())
        local = {d.id for d in jax.local_devices()}
        self.dev = next(d for d in self.devices if d.id in local)
        self._hosts = {}

    def jit(self, pure, donate):
        """Like `jax.jit(pure, donate_argnums=donate, keep_unused=True)`: `.trace(*live)` gives an
        object with `.jaxpr` and `.lower().compile()`; the compiled callable takes and returns
        this rank's local arrays, in `pure`'s structure."""
        return _Jit(self, pure, donate)

    def to_global(self, a):
        if not isinstance(a, jax.Array):  # a host number (a learning rate): cached by value
            key = (np.asarray(a).dtype.str, np.asarray(a).tobytes(), np.shape(a))
            g = self._hosts.get(key)
            if g is None:
                if len(self._hosts) > 256:
                    self._hosts.clear()
                g = self._hosts[key] = self.to_global(jax.device_put(a, self.dev))
            return g
        if a.ndim:
            return jax.make_array_from_single_device_arrays(
                (self.n * a.shape[0],) + a.shape[1:], self.row, [a])
        return jax.make_array_from_single_device_arrays((), self.rep, [a])


class _Jit:
    def __init__(self, step, pure, donate):
        self.step, self.pure, self.donate = step, pure, tuple(donate)

    def _split(self, live):
        """Flat leaves of the donated arguments and of the others, and the tree to rebuild."""
        don = [a for i, a in enumerate(live) if i in self.donate]
        rest = [a for i, a in enumerate(live) if i not in self.donate]
        d_leaves, d_tree = jax.tree_util.tree_flatten(don)
        r_leaves, r_tree = jax.tree_util.tree_flatten(rest)
        return d_leaves, r_leaves, (d_tree, r_tree, len(live))

    def trace(self, *live):
        step, pure, box = self.step, self.pure, {}
        d_leaves, r_leaves, trees = self._split(live)
        d_tree, r_tree, n_args = trees

        def body(d, r):
            don, rest = iter(jax.tree_util.tree_unflatten(d_tree, d)), \
                iter(jax.tree_util.tree_unflatten(r_tree, r))
            args = [next(don) if i in self.donate else next(rest) for i in range(n_args)]
            with _tracing(step.devices):
                out = pure(*args)
            leaves, box["tree"] = jax.tree_util.tree_flatten(out)
            box["nd"] = [np.ndim(x) > 0 for x in leaves]
            return ([x for x, k in zip(leaves, box["nd"]) if k],
                     [x for x, k in zip(leaves, box["nd"]) if not k])

        spec = lambda a: P(_AX) if np.ndim(a) else P()  # noqa: E731
        fn = jax.shard_map(body, mesh=step.mesh,
                           in_specs=([spec(a) for a in d_leaves], [spec(a) for a in r_leaves]),
                           out_specs=(P(_AX), P()), check_vma=False)
        g = step.to_global
        traced = jax.jit(fn, donate_argnums=(0,), keep_unused=True).trace(
            [g(a) for a in d_leaves], [g(a) for a in r_leaves])
        return _Traced(self, traced, box)


class _Traced:
    def __init__(self, jit, traced, box):
        self._jit, self._traced, self._box = jit, traced, box
        self.jaxpr = traced.jaxpr

    def lower(self):
        return self

    def compile(self):
        return _Run(self._jit, self._traced.lower().compile(), self._box)


class _Run:
    """The compiled step, called with this rank's local arrays (as `pure` takes them)."""

    def __init__(self, jit, compiled, box):
        self.jit, self.compiled = jit, compiled
        self.tree, self.nd = box["tree"], box["nd"]

    def _what(self):
        return f"compiled DDP step over {self.jit.step.n} ranks"

    def check_live(self, live):
        """Called by `jtorch.compile` before it touches the arguments: state that a failed
        earlier step consumed (XLA took its buffers over, donation) raises a clear error."""
        d_leaves, _, _ = self.jit._split(live)
        if any(isinstance(a, jax.Array) and a.is_deleted() for a in d_leaves):
            raise RuntimeError(f"{self._what()}: {_lost_message()}")

    def __call__(self, *live):
        _programs._usable(self._what)  # (a failed run consumed its donated inputs: never again)
        d_leaves, r_leaves, _ = self.jit._split(live)
        g = self.jit.step.to_global
        d = [g(a) for a in d_leaves]
        r = [g(a) for a in r_leaves]
        del d_leaves, live
        try:
            nd, zd = _programs.wait(_programs.submit(self._run, d, r),
                                    self.jit.step.timeout_s, self._what)
        except Exception as e:
            if not any(a.is_deleted() for a in d):
                raise  # failed before the program took the state: nothing is lost
            # The program owned the step's state (parameters, gradients, optimizer state; the
            # buffers are donated so that a step needs no second copy): it is gone with it.
            why = str(e).splitlines()[0] if str(e) else type(e).__name__
            _lost_reason(why)
            raise RuntimeError(f"{why}. {_lost_message(reason=False)}") from None
        nd, zd = iter(nd), iter(zd)
        leaves = [(next(nd) if k else next(zd)).addressable_data(0) for k in self.nd]
        return jax.tree_util.tree_unflatten(self.tree, leaves)

    def _run(self, d, r):
        # (on the helper thread: the wait for the program's end is what the timeout bounds)
        return jax.block_until_ready(self.compiled(d, r))


_LOST: list = []  # why a compiled step's state was lost (the first failure)
_ADVICE = ("Re-create the model and optimizer, or reload them from a checkpoint "
           "(torch.distributed.checkpoint, torch.load); after a failed collective the process "
           "group is unusable too, so restart the job (every rank) from the last checkpoint")


def _lost_reason(why):
    from .. import _jax_errors
    if not _LOST:
        _LOST.append(why)
        _jax_errors.LOST.append(f"this tensor was lost with a compiled DDP step that failed "
                                f"({why}): the program had taken its buffer over. {_ADVICE}")


def _lost_message(reason=True):
    if not reason:
        return ("The step's parameters, gradients and optimizer state are lost with it: the program "
                f"had taken their buffers over. {_ADVICE}")
    why = f" ({_LOST[0]})" if _LOST else ""
    return (f"its parameters, gradients and optimizer state were lost with an earlier step that "
            f"failed{why}: the program had taken their buffers over. {_ADVICE}")
