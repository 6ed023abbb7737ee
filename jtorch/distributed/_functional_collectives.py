"""torch.distributed._functional_collectives: collectives that return new tensors.

jtorch's collectives finish before they return (each is one XLA program whose result is
ready), so `wait_tensor` only waits for the array, and the out-of-place forms run the in-place
collective on a fresh tensor. `all_to_all_single_autograd` is differentiable: its backward is
the all-to-all with the split sizes swapped, as torch's.
"""
from __future__ import annotations

import jax

from .. import empty
from ..autograd import Function
from . import _all_to_all, _collectives as C
from .distributed_c10d import ReduceOp, get_world_size


def wait_tensor(tensor):
    """Matches `wait_tensor`: the tensor, once its value is computed."""
    jax.block_until_ready(tensor._data)
    return tensor


def _op(reduceOp):
    return getattr(ReduceOp, reduceOp.upper()) if isinstance(reduceOp, str) else reduceOp


def all_reduce(self, reduceOp, group=None, tag=""):
    """Matches the functional `all_reduce` (a new tensor; `reduceOp` as a string or ReduceOp)."""
    out = self.detach().clone()
    C.all_reduce(out, _op(reduceOp), group=group)
    return out


def all_gather_tensor(self, gather_dim=0, group=None, tag=""):
    """Matches the functional `all_gather_tensor` (ranks' tensors joined along `gather_dim`)."""
    n = get_world_size(group)
    x = self.detach().contiguous()
    if gather_dim != 0:
        x = x.movedim(gather_dim, 0).contiguous()
    out = empty((n * x.shape[0],) + tuple(x.shape[1:]), dtype=x.dtype)
    C.all_gather_into_tensor(out, x, group=group)
    return out.movedim(0, gather_dim) if gather_dim != 0 else out


def reduce_scatter_tensor(self, reduceOp, scatter_dim=0, group=None, tag=""):
    """Matches the functional `reduce_scatter_tensor`."""
    n = get_world_size(group)
    x = self.detach().contiguous()
    if scatter_dim != 0:
        x = x.movedim(scatter_dim, 0).contiguous()
    out = empty((x.shape[0] // n,) + tuple(x.shape[1:]), dtype=x.dtype)
    C.reduce_scatter_tensor(out, x, _op(reduceOp), group=group)
    return out.movedim(0, scatter_dim) if scatter_dim != 0 else out


def all_to_all_single(self, output_split_sizes, input_split_sizes, group=None, tag=""):
    """Matches the functional `all_to_all_single`."""
    x = self.detach().contiguous()
    rows = sum(output_split_sizes) if output_split_sizes is not None else x.shape[0]
    out = empty((rows,) + tuple(x.shape[1:]), dtype=x.dtype)
    _all_to_all.all_to_all_single(out, x, output_split_sizes, input_split_sizes, group=group)
    return out


class _AllToAll(Function):
    @staticmethod
    def forward(ctx, x, output_split_sizes, input_split_sizes, group):
        ctx.splits = (output_split_sizes, input_split_sizes, group)
        return all_to_all_single(x, output_split_sizes, input_split_sizes, group)

    @staticmethod
    def backward(ctx, g):
        out_s, in_s, group = ctx.splits
        return all_to_all_single(g, in_s, out_s, group), None, None, None


def all_to_all_single_autograd(self, output_split_sizes, input_split_sizes, group=None, tag=""):
    """Matches `all_to_all_single_autograd`: differentiable, backward swaps the splits."""
    return _AllToAll.apply(self, output_split_sizes, input_split_sizes, group)


__all__ = ["wait_tensor", "all_reduce", "all_gather_tensor", "reduce_scatter_tensor",
           "all_to_all_single", "all_to_all_single_autograd"]
