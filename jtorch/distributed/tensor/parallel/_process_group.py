"""`parallelize_module` with one process per rank: Megatron's tensor parallel, as torch's.

Each managed parameter becomes a DTensor parameter over a process-spanning `jax.Array` (this
process holds its block): ColwiseParallel shards a Linear's weight and bias on dim 0 (an
Embedding's weight on dim 1), RowwiseParallel a Linear's weight on dim 1 (its bias stays
`Replicate()`) and an Embedding's weight on dim 0. The optimizer, `state_dict()` and
`clip_grad_norm_` see those DTensors (their ops run as SPMD programs over the mesh).

The forward runs on the local blocks: a pre-hook swaps them in as plain leaves and lays the input
out, a forward hook puts the DTensors back and lays the output out. The collectives are
autograd functions over `_programs` (each a program on the helper thread, bounded by the group's
timeout):

- Colwise: the input is replicated (forward: as is; backward: its gradient all-reduced, torch's
  Replicate -> Partial -> Replicate), the output this rank's last-dim block (`Shard(-1)`), or
  all-gathered with `output_layouts=Replicate()`;
- Rowwise: the input is this rank's last-dim block (`input_layouts=Replicate()`: sliced here;
  backward all-gathers), the output the all-reduced sum of the ranks' partial products, then the
  bias (Embedding: each rank looks up the rows it holds, zeros elsewhere, then the all-reduce).

Each leaf's gradient is this rank's block of the DTensor's gradient: it is wrapped as one, no
collective. Limits: a 1-D mesh; dims that divide evenly by it; the layouts above (sequence
parallel's `Shard(0)` inputs/outputs and `use_local_output=False` raise); a `jtorch.compile`d
step over such a model runs eagerly (its collectives run from hooks).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.sharding import NamedSharding, PartitionSpec as P

from .... import _tensor
from ....autograd.function import Function
from ....nn.parameter import Parameter
from ... import _programs
from ...distributed_c10d import ReduceOp, _state
from ...fsdp._process_group import _ShardedParameter
from .._api import DTensor
from ..placement_types import Replicate, Shard


class _Comm:
    """The mesh's devices, this rank's index among them and the group's timeout."""

    def __init__(self, mesh):
        if mesh.ndim != 1:
            raise NotImplementedError("jtorch: parallelize_module with one process per rank "
                                      "takes a 1-D mesh (slice it: mesh['tp'])")
        self.mesh, self.n, self.axis = mesh, mesh.size(), mesh._axes[0]
        self.devs = tuple(mesh._jax.devices.flat)
        self.me = [int(x) for x in mesh.mesh.flat].index(_state["world"].rank)
        self.timeout = _state["world"].timeout.total_seconds()

    def run(self, kind, x, what, arg=None):
        return _programs.wait(_programs.launch(kind, self.devs, self.me, x, arg), self.timeout,
                              lambda: f"tensor parallel {what}")

    def to_global(self, local, shape, dim):
        spec = P(*([None] * dim + [self.axis])) if dim is not None else P()
        return jax.make_array_from_single_device_arrays(
            tuple(shape), NamedSharding(self.mesh._jax, spec), [local])

    def gather_last(self, x):
        """(…, k) on every rank -> (…, n k): the ranks' blocks side by side."""
        rows = self.run("all_gather", x, "all_gather")  # (n, …, k)
        return jnp.concatenate([rows[i] for i in range(self.n)], axis=-1)

    def my_last(self, x):
        k = x.shape[-1] // self.n
        return x[..., self.me * k:(self.me + 1) * k]


def _t(a):
    return _tensor.Tensor._from_array(a)


class _AllReduce(Function):
    """Forward: the sum over ranks; backward: the gradient as is (Megatron's g)."""

    @staticmethod
    def forward(ctx, x, comm):
        return _t(comm.run("all_reduce", x._data, "all_reduce", ReduceOp.SUM).reshape(x.shape))

    @staticmethod
    def backward(ctx, g):
        return g, None


class _GradAllReduce(Function):
    """Forward: as is; backward: the gradient summed over ranks (Megatron's f)."""

    @staticmethod
    def forward(ctx, x, comm):
        ctx.comm = comm
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return _AllReduce.forward(None, g, ctx.comm), None


class _GatherLast(Function):
    """Forward: the ranks' last-dim blocks gathered; backward: this rank's block."""

    @staticmethod
    def forward(ctx, x, comm):
        ctx.comm = comm
        return _t(comm.gather_last(x._data))

    @staticmethod
    def backward(ctx, g):
        return _t(ctx.comm.my_last(g._data)), None


class _SplitLast(Function):
    """Forward: this rank's last-dim block of a replicated tensor; backward: gathered."""

    @staticmethod
    def forward(ctx, x, comm):
        ctx.comm = comm
        return _t(comm.my_last(x._data))

    @staticmethod
    def backward(ctx, g):
        return _t(ctx.comm.gather_last(g._data)), None


def _unsupported(what):
    raise NotImplementedError(f"jtorch: parallelize_module with one process per rank does not "
                              f"support {what}")


def _check_layouts(style, colwise):
    ins, outs = style.input_layouts, style.output_layouts
    one = lambda v: v[0] if isinstance(v, (tuple, list)) else v  # noqa: E731
    ins, outs = one(ins), one(outs)
    if not style.use_local_output:
        _unsupported("use_local_output=False (the output stays a plain local tensor)")
    if colwise:
        if ins is not None and not isinstance(ins, Replicate):
            _unsupported(f"ColwiseParallel(input_layouts={ins}) (sequence parallel)")
        if outs is not None and not (isinstance(outs, Replicate) or outs == Shard(-1)):
            _unsupported(f"ColwiseParallel(output_layouts={outs})")
        return None, isinstance(outs, Replicate)
    if ins is not None and not (isinstance(ins, Replicate) or ins == Shard(-1)):
        _unsupported(f"RowwiseParallel(input_layouts={ins})")
    if outs is not None and not isinstance(outs, Replicate):
        _unsupported(f"RowwiseParallel(output_layouts={outs}) (sequence parallel)")
    return isinstance(ins, Replicate), None


def apply(style, module, mesh, colwise):
    """Shard `module`'s own parameters for `style` and hook its forward."""
    comm = _Comm(mesh)
    split_in, gather_out = _check_layouts(style, colwise)
    emb = type(module).__name__ == "Embedding"
    if emb and not colwise and (module.padding_idx is not None or module.max_norm is not None):
        _unsupported("RowwiseParallel on an Embedding with padding_idx or max_norm")
    gather_ids = emb and not colwise and not split_in
    if emb and not colwise:  # (torch: an Embedding's rowwise input is replicated ids; the default
        split_in = False    # Shard(-1) ids are gathered first)
    managed = []
    for name, p in list(module._parameters.items()):
        if p is None:
            continue
        if isinstance(p, DTensor):
            raise RuntimeError(f"parallelize_module: {name} is already a DTensor")
        d = style._dim(module, name, p)
        local = p._data
        if d is not None:
            if p.shape[d] % comm.n:
                _unsupported(f"sharding {name} (size {p.shape[d]} on dim {d}) over {comm.n} ranks "
                             "unevenly")
            k = p.shape[d] // comm.n
            local = jax.lax.slice_in_dim(local, comm.me * k, (comm.me + 1) * k, axis=d)
        arr = comm.to_global(jax.device_put(local, comm.devs[comm.me]), p.shape, d)
        sp = _ShardedParameter(_t(arr), p.requires_grad)
        sp._mesh, sp._placements = mesh, (Shard(d) if d is not None else Replicate(),)
        module._parameters[name] = sp
        managed.append((name, sp, d))
    module._tp = _State(comm, managed, colwise, emb, split_in, gather_out)
    module._tp.gather_ids = gather_ids
    module.register_forward_pre_hook(_pre_forward)
    module.register_forward_hook(_post_forward)


class _State:
    def __init__(self, comm, managed, colwise, emb, split_in, gather_out):
        self.comm, self.managed, self.colwise, self.emb = comm, managed, colwise, emb
        self.split_in, self.gather_out = split_in, gather_out
        self.bias = self.mask = None


def _pre_forward(module, args):
    st = module._tp
    comm = st.comm
    if any(isinstance(sp._data, jax.core.Tracer) for _, sp, _ in st.managed):
        from ....compile_errors import UntraceableError
        raise UntraceableError("tensor parallel with one process per rank runs its collectives "
                               "from module hooks, outside a compiled program; jtorch.compile "
                               "runs this step eagerly")
    for name, sp, d in st.managed:
        leaf = Parameter(_t(sp._data.addressable_data(0)), sp.requires_grad)
        if sp.requires_grad:
            leaf.register_post_accumulate_grad_hook(
                lambda t, sp=sp, d=d: _grad_ready(comm, sp, d, t))
        module._parameters[name] = leaf
    x, rest = args[0], args[1:]
    if st.emb and not st.colwise:  # look up the rows this rank holds, zeros for the others
        if st.gather_ids:
            x = _t(comm.gather_last(x._data))
        k = module.num_embeddings // comm.n
        ids = x - comm.me * k
        st.mask = (ids >= 0) & (ids < k)
        x = ids * st.mask
    elif st.colwise and not st.emb and x.requires_grad:
        x = _GradAllReduce.apply(x, comm)
    elif st.split_in:
        x = _SplitLast.apply(x, comm)
    if not st.colwise and not st.emb and module._parameters.get("bias") is not None:
        st.bias = module._parameters["bias"]  # added once, after the all-reduce
        module._parameters["bias"] = None
    return (x, *rest)


def _post_forward(module, args, out):
    st = module._tp
    bias, st.bias = st.bias, None
    for name, sp, _ in st.managed:
        module._parameters[name] = sp
    if st.colwise:
        return _GatherLast.apply(out, st.comm) if st.gather_out else out
    if st.emb:
        mask, st.mask = st.mask, None
        out = out * mask.unsqueeze(-1).to(out.dtype)
    out = _AllReduce.apply(out, st.comm)
    return out + bias if bias is not None else out


def _grad_ready(comm, sp, d, leaf):
    """The leaf's gradient is this rank's block of the DTensor's: wrap it, no collective."""
    g, leaf.grad = leaf.grad._data, None
    new = comm.to_global(g, sp.shape, d)
    if sp.grad is None:
        sp.grad = DTensor._make(new, comm.mesh, sp._placements)
    else:
        sp.grad._owner()._set_array(sp.grad._data + new)
