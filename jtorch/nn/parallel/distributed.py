"""DistributedDataParallel over jtorch.distributed: bucketed gradient averaging during backward."""
from __future__ import annotations

import contextlib
import functools
import math

import jax
import jax.numpy as jnp

from ..modules.module import Module


def _buckets(tensors, cap_bytes, first_cap_bytes):
    """Split `tensors` into runs of one dtype, each up to `cap_bytes` (the first `first_cap_bytes`)."""
    out, cur, size, cap = [], [], 0, first_cap_bytes
    for t in tensors:
        nbytes = t.numel() * t.element_size()
        if cur and (t.dtype != cur[0].dtype or size + nbytes > cap):
            out.append(cur)
            cur, size, cap = [], 0, cap_bytes
        cur.append(t)
        size += nbytes
    if cur:
        out.append(cur)
    return out


class _Comm:
    """One flat collective per bucket on the DDP's group (no per-call consistency check: the
    shapes were checked across ranks once, at construction). Not state of a compiled step."""

    _jtorch_no_walk = True

    def __init__(self, group):
        from ...distributed.distributed_c10d import _group
        self.g = _group(group)
        self.me, self.devs = self.g.rank(), self.g._devices()
        self.timeout = self.g._timeout.total_seconds()

    def start(self, kind, flat, arg):
        from ...distributed import _programs
        if kind == "all_reduce" and not isinstance(flat, jax.core.Tracer):
            return _programs.launch_flat_sum(self.devs, self.me, flat)
        return _programs.launch(kind, self.devs, self.me, flat, arg)

    def finish(self, fut, what):
        from ...distributed import _programs
        out = _programs.wait(fut, self.timeout, lambda: what)
        return out if out.ndim == 1 else out.reshape(-1)


@functools.partial(jax.jit, static_argnums=1)
def _pack_jit(grads, n):
    # torch divides by the world size first, then sums (its default comm hook)
    return jnp.concatenate([g.reshape(-1) / n for g in grads])


def _pack(grads, n):
    if any(isinstance(g, jax.core.Tracer) for g in grads):
        return jnp.concatenate([g.reshape(-1) / n for g in grads])
    return _pack_jit(grads, n)


@functools.partial(jax.jit, static_argnums=1)
def _unpack(flat, shapes):
    out, off = [], 0
    for s in shapes:
        k = math.prod(s)
        out.append(flat[off:off + k].reshape(s))
        off += k
    return out


def _no_grad():
    from ...autograd.grad_mode import no_grad
    return no_grad()


def _flat(tensors):
    return jnp.concatenate([t._data.reshape(-1) for t in tensors])


def _unflat(tensors, flat):
    from ...distributed._collectives import _write
    off = 0
    for t in tensors:
        n = t.numel()
        _write(t, flat[off:off + n])
        off += n


class DistributedDataParallel(Module):
    """Matches `torch.nn.parallel.DistributedDataParallel` (CPU/one device per rank).

    Parameters and buffers are broadcast from rank 0 at construction; during backward each
    bucket's gradients are averaged with one all-reduce as soon as the bucket is complete, in
    bucket order. `device_ids`, `gradient_as_bucket_view`, `static_graph` are accepted and change
    nothing; `find_unused_parameters=True` marks parameters the forward did not reach as ready.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False,
                 check_reduction=False, gradient_as_bucket_view=False, static_graph=False,
                 delay_all_reduce_named_params=None, param_to_hook_all_reduce=None,
                 mixed_precision=None, device_mesh=None, skip_all_reduce_unused_params=False):
        super().__init__()
        from ... import distributed as dist
        if device_mesh is not None and not dist.is_initialized():
            self._init_spmd(module, device_mesh, broadcast_buffers)
            return
        dist.get_world_size(process_group)  # raises torch's error without a process group
        if not any(p.requires_grad for p in module.parameters()):
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have "
                               "any parameter that requires a gradient.")
        self.module = module
        self.device_ids, self.output_device, self.dim = device_ids, output_device, dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters, self.static_graph = find_unused_parameters, static_graph
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.process_group = process_group
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        object.__setattr__(self, "_comm", _Comm(process_group))
        cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        params = [p for p in module.parameters() if p.requires_grad]
        self.bucket_bytes_cap = cap
        # As torch: buckets in reverse parameter order (gradients arrive roughly last layer first),
        # but no small first bucket (torch's 1 MiB, to start communicating early): each XLA
        # all-reduce has a fixed cost (benchmarks/bench_ddp.py), so fewer is faster here.
        object.__setattr__(self, "_grad_buckets", _buckets(params[::-1], cap, cap))
        self._verify_shapes(params)
        self._sync_from_rank0(list(module.parameters()) + list(module.buffers()))
        object.__setattr__(self, "_red", _Reducer(self._grad_buckets))
        for p in params:
            p.register_post_accumulate_grad_hook(self._grad_ready)

    def _init_spmd(self, module, mesh, broadcast_buffers):
        """Single controller (jtorch's addition): no process group, `device_mesh` spans local
        devices. Parameters and buffers are replicated over the mesh and each input is sharded
        on dim 0, so XLA's partitioner runs forward/backward data-parallel and all-reduces the
        gradients inside the program (inside one program under `jtorch.compile`)."""
        from ...distributed.tensor import distribute_module
        self.module, self.device_mesh = module, mesh
        self.broadcast_buffers, self.require_backward_grad_sync = broadcast_buffers, True
        distribute_module(module, mesh)

    def _shard_input(self, x):
        from jax.sharding import NamedSharding, PartitionSpec as P
        from ..._tensor import Tensor
        from ...distributed.tensor._api import _reshard
        mesh = self.device_mesh
        if not isinstance(x, Tensor) or x.ndim == 0 or x.shape[0] % mesh.size():
            return x
        spec = P(tuple(mesh._axes) if mesh.ndim > 1 else mesh._axes[0])
        return Tensor._from_array(_reshard(x._data, NamedSharding(mesh._jax, spec)))

    def _verify_shapes(self, params):
        from ... import distributed as dist
        desc = [(tuple(p.shape), str(p.dtype)) for p in params]
        got = [None] * dist.get_world_size(self.process_group)
        dist.all_gather_object(got, desc, group=self.process_group)
        for r, d in enumerate(got):
            if d != desc:
                raise RuntimeError(f"DDP expects same model across all ranks, but rank {r}'s "
                                   f"parameters (shapes and dtypes) differ from this rank's")

    def _sync_from_rank0(self, tensors):
        for b in _buckets(tensors, self.bucket_bytes_cap, self.bucket_bytes_cap):
            flat = self._comm.finish(self._comm.start("broadcast", _flat(b), 0),
                                     "DDP broadcast of parameters and buffers from rank 0")
            _unflat(b, flat)

    def _compiled_collective_devices(self):
        """The devices of the process group a compiled step over this model runs its gradient
        all-reduce on (one SPMD program, `distributed/_compiled_step.py`); None when one process
        drives a device mesh (there XLA's partitioner inserts it)."""
        return self._comm.devs if "_comm" in self.__dict__ else None

    def _compiled_collective_timeout(self) -> float:
        """The process group's timeout in seconds: a compiled step waits no longer for its end."""
        return self._comm.g._timeout.total_seconds()

    def _grad_ready(self, p):
        r = self._red
        if not r.armed:
            return
        i = r.where[id(p)]
        r.ready[i] += 1
        self._launch_ready()

    def _launch_ready(self):
        n, r = self._comm.g.size(), self._red
        while r.next < len(self._grad_buckets) and \
                r.ready[r.next] == len(self._grad_buckets[r.next]):
            b = self._grad_buckets[r.next]
            grads = [p.grad._data if p.grad is not None else jnp.zeros(p.shape, p._data.dtype)
                     for p in b]
            try:
                flat = _pack(grads, n)
                r.inflight[r.next] = self._comm.start("all_reduce", flat, _SUM())
            except Exception:
                r.armed = False  # a traced step (jtorch.compile) falls back to eager
                r.inflight.clear()
                raise
            r.next += 1
        if r.next == len(self._grad_buckets):
            self._finish_reduction()

    def _finish_reduction(self):
        r = self._red
        for i, fut in sorted(r.inflight.items()):
            flat = self._comm.finish(fut, f"DDP gradient all_reduce (bucket {i})")
            b = self._grad_buckets[i]
            from ..._tensor import Tensor
            for p, g in zip(b, _unpack(flat, tuple(tuple(p.shape) for p in b))):
                if p.grad is None:
                    p.grad = Tensor._from_array(g)
                else:  # (in place: a view of .grad the user kept sees the average)
                    p.grad._set_array(g)
        r.inflight.clear()
        r.armed = False

    def _arm(self, outputs):
        from ...autograd.grad_mode import is_grad_enabled
        r = self._red
        if r.armed and r.next:
            raise RuntimeError("Expected to have finished reduction in the prior iteration before "
                               "starting a new one. This error indicates that your module has "
                               "parameters that were not used in producing loss. Pass "
                               "find_unused_parameters=True to DistributedDataParallel.")
        armed = self.require_backward_grad_sync and is_grad_enabled() and self.training
        if armed and _traced_outside_step(self):
            from ...compile_errors import UntraceableError
            raise UntraceableError(
                "a compiled DistributedDataParallel forward whose backward runs outside the "
                "compiled function: compile the whole training step (forward, loss.backward(), "
                "optimizer.step()) to get one program with the gradient all-reduce inside")
        r.ready[:] = [0] * len(r.ready)
        r.next = 0
        r.armed = armed
        if armed and self.find_unused_parameters:
            used = _reachable_leaves(outputs)
            for b, bucket in enumerate(self._grad_buckets):
                r.ready[b] = sum(1 for p in bucket if id(p) not in used)

    def forward(self, *inputs, **kwargs):
        if "_comm" not in self.__dict__:  # single controller
            return self.module(*[self._shard_input(x) for x in inputs],
                               **{k: self._shard_input(v) for k, v in kwargs.items()})
        if self.broadcast_buffers and self.require_forward_param_sync:
            bufs = list(self.module.buffers())
            if bufs and self._comm.g.size() > 1:
                self._sync_from_rank0(bufs)
        out = self.module(*inputs, **kwargs)
        self._arm(out)
        return out

    @contextlib.contextmanager
    def no_sync(self):
        """Matches `DistributedDataParallel.no_sync`: gradients accumulate locally inside."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def _set_static_graph(self):
        self.static_graph = True


class _Reducer:
    """DDP's per-iteration bookkeeping (which buckets are ready, launched, in flight). Not state
    of a compiled step (`_jtorch_no_walk`): it only steers the Python trace, and the program
    replays the reduction the trace recorded."""

    _jtorch_no_walk = True

    def __init__(self, buckets):
        self.where = {id(p): i for i, b in enumerate(buckets) for p in b}
        self.ready, self.inflight, self.next, self.armed = [0] * len(buckets), {}, 0, False


def _traced_outside_step(ddp):
    """True while jtorch.compile traces this model's forward outside an SPMD step over its
    group (a compiled forward, the backward outside: the reduction could not be in it)."""
    from ... import _compile
    if not _compile._TRACING[0] or "_comm" not in ddp.__dict__:
        return False
    from ...distributed._compiled_step import active_devices
    return active_devices() != tuple(ddp._comm.devs)


def _SUM():
    from ...distributed import ReduceOp
    return ReduceOp.SUM


def _reachable_leaves(outputs):
    """ids of the parameters whose gradient the outputs' graph reaches."""
    from ..._tensor import Tensor
    from ...autograd.engine import AccumulateGrad
    stack, seen, leaves = [], set(), set()
    for o in (outputs if isinstance(outputs, (tuple, list)) else
              outputs.values() if isinstance(outputs, dict) else (outputs,)):
        if isinstance(o, Tensor) and o.requires_grad:
            e = o._edge()
            if e is not None:
                stack.append(e[0])
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if type(node) is AccumulateGrad:
            leaves.add(id(node.variable))
            continue
        stack.extend(e[0] for e in node.edges if e is not None)
    return leaves

