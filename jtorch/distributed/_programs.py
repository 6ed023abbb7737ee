"""Collectives as cached XLA programs: one `jax.jit(shard_map(...))` per (kind, group, op).

Each rank's local array becomes its shard of a process-spanning array (`P('g')` over the group's
devices, one per rank); the program runs the collective inside XLA and each rank reads back its
own shard. JAX's jit cache then keys the compiled program on shapes and dtypes, as the dispatch
point does for ops.
"""
from __future__ import annotations

import concurrent.futures
import functools
import queue
import threading

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

from .distributed_c10d import ReduceOp

_AX = "g"


def _reduce_body(op, n):
    def body(x):  # x: this rank's (1, *S) block
        if op is ReduceOp.SUM:
            return jax.lax.psum(x, _AX)
        if op is ReduceOp.AVG:
            return jax.lax.psum(x, _AX) / n if jnp.issubdtype(x.dtype, jnp.inexact) else \
                jax.lax.psum(x, _AX) // n
        if op is ReduceOp.MAX:
            return jax.lax.pmax(x, _AX)
        if op is ReduceOp.MIN:
            return jax.lax.pmin(x, _AX)
        g = jax.lax.all_gather(x[0], _AX)  # (n, *S): the ops XLA has no all-reduce for
        if op is ReduceOp.PRODUCT:
            r = g[0]
            for i in range(1, n):  # rank order, as a ring would multiply
                r = r * g[i]
            return r[None]
        fn = {ReduceOp.BAND: jnp.bitwise_and, ReduceOp.BOR: jnp.bitwise_or,
              ReduceOp.BXOR: jnp.bitwise_xor}[op]
        return functools.reduce(fn, [g[i] for i in range(n)])[None]
    return body


def _bodies(kind, n, arg):
    if kind == "all_reduce":
        return _reduce_body(arg, n), P(_AX)
    if kind == "all_gather":  # -> every rank holds (n, *S)
        return (lambda x: jax.lax.all_gather(x[0], _AX)), P()
    if kind == "broadcast":  # arg: the source's index in the group
        return (lambda x: jax.lax.all_gather(x[0], _AX)[arg][None]), P(_AX)
    if kind == "reduce_scatter":  # (1, n, m) -> (1, 1, m): chunk i reduced over ranks
        def rs(x):
            if arg is ReduceOp.SUM:
                return jax.lax.psum_scatter(x[0], _AX, scatter_dimension=0, tiled=True)[None]
            y = _reduce_body(arg, n)(x)
            return jax.lax.dynamic_slice_in_dim(y, jax.lax.axis_index(_AX), 1, axis=1)
        return rs, P(_AX)
    if kind == "all_to_all":  # (1, n*k, ...) -> (1, n*k, ...): chunk j goes to rank j
        return (lambda x: jax.lax.all_to_all(x[0], _AX, 0, 0, tiled=True)[None]), P(_AX)
    if kind == "permute":  # arg: ((src, dst),) pairs of group indices
        return (lambda x: jax.lax.ppermute(x, _AX, arg)), P(_AX)
    raise AssertionError(kind)


@functools.lru_cache(maxsize=None)
def _program(kind, devices, arg):
    mesh = Mesh(np.array(devices, dtype=object), (_AX,))
    body, out_spec = _bodies(kind, len(devices), arg)
    fn = jax.shard_map(body, mesh=mesh, in_specs=P(_AX), out_specs=out_spec, check_vma=False)
    return jax.jit(fn), NamedSharding(mesh, P(_AX))


def launch(kind, devices, index, x, arg=None):
    """Start collective `kind` with this rank's array `x` (at `index` in `devices`): a Future.

    The program runs on a helper thread: on CPU a collective blocks its caller until every rank
    joins, and the caller must be able to give up after the group's timeout.
    """
    if isinstance(x, jax.core.Tracer):
        from . import _compiled_step
        y = _compiled_step.collective(kind, devices, x, arg)
        if y is not None:  # inside a compiled DDP step over this group: part of its program
            done = concurrent.futures.Future()
            done.set_result(y)
            return done
        from ..compile_errors import UntraceableError
        raise UntraceableError(
            f"torch.distributed {kind} across processes runs inside a compiled program only in a "
            "step over a DistributedDataParallel model on the same process group (forward, "
            "backward and optimizer step compiled together); jtorch.compile runs this one eagerly")
    fn, sharding = _program(kind, tuple(devices), arg)
    local = jax.device_put(jnp.asarray(x)[None], devices[index])
    g = jax.make_array_from_single_device_arrays((len(devices),) + tuple(np.shape(x)), sharding,
                                                 [local])
    return submit(lambda: fn(g).addressable_data(0))


@functools.lru_cache(maxsize=None)
def _flat_sum_program(devices):
    mesh = Mesh(np.array(devices, dtype=object), (_AX,))
    fn = jax.shard_map(lambda x: jax.lax.psum(x, _AX), mesh=mesh, in_specs=P(_AX),
                       out_specs=P(_AX), check_vma=False)
    return jax.jit(fn), NamedSharding(mesh, P(_AX))


def launch_flat_sum(devices, index, flat):
    """`launch("all_reduce", ...)` with SUM for a 1-d array (DDP's bucket): each rank's array is
    its block of a (n * k,) array, so no eager reshape runs before or after the program."""
    fn, sharding = _flat_sum_program(tuple(devices))
    local = jax.device_put(flat, devices[index])
    g = jax.make_array_from_single_device_arrays((len(devices) * flat.shape[0],), sharding,
                                                 [local])
    return submit(lambda: fn(g).addressable_data(0))


_jobs: queue.SimpleQueue = queue.SimpleQueue()
_worker: list = []
_broken: list = []


def _serve():
    while True:
        fut, fn, args = _jobs.get()
        if fut.set_running_or_notify_cancel():
            try:
                fut.set_result(fn(*args))
            except BaseException as e:  # noqa: BLE001 (handed to the waiting caller)
                fut.set_exception(e)


def _usable(what):
    if _broken:
        raise RuntimeError(f"{what()}: the process group is unusable after an earlier failure "
                           f"({_broken[0]}); restart the job")


def submit(fn, *args):
    """Run `fn(*args)` (a program with collectives) on the helper thread: a Future for `wait`."""
    if not _worker:
        # One daemon thread, in call order: a program left waiting for a dead peer after its
        # timeout must not keep the process from exiting (an executor's thread is joined at exit).
        _worker.append(threading.Thread(target=_serve, name="jtorch-c10d", daemon=True))
        _worker[0].start()
    fut = concurrent.futures.Future()
    _jobs.put((fut, fn, args))
    return fut


def wait(fut, timeout_s, what):
    """The collective's local result; raises after `timeout_s` if some rank never joined."""
    _usable(what)
    try:
        out = fut.result(timeout=timeout_s)
        if not isinstance(out, jax.Array) or isinstance(out, jax.core.Tracer):
            return out  # (a traced collective, or a compiled step's outputs, already ready)
        return out.block_until_ready()
    except concurrent.futures.TimeoutError:
        msg = (f"{what()} timed out after {timeout_s:g} s: a rank of the group did not join it "
               "(it is slower, stuck, or in a different collective)")
        _broken.append(msg)
        raise RuntimeError(msg) from None
    except Exception as e:
        first = (str(e).splitlines() or [""])[0]
        if not any(w in first for w in ("Gloo", "UNKNOWN", "INTERNAL", "UNAVAILABLE", "DEADLINE")):
            raise  # not the transport: a bug in the program itself
        msg = f"{what()} failed: {first}"  # XLA's transport failed: a peer went away
        _broken.append(msg)
        raise RuntimeError(msg + " (did a rank exit or crash?)") from None
