"""Sparse kernels as jtorch ops: bodies over `jax.experimental.sparse`, so autograd and
`jtorch.compile` treat them like any other op."""
from __future__ import annotations

from jax import Array
from jax.experimental import sparse as jsparse

from ..ops._registry import op


@op(promote=None, method=False, public=False, grad_name="SparseAddmmBackward0")
def _sparse_coo_mm(values: Array, indices: Array, dense: Array, shape):
    """(sparse COO given by `values`, `indices` [ndim, nnz] and `shape`) @ dense."""
    return jsparse.BCOO((values, indices.T), shape=shape) @ dense


@op(promote=None, method=False, public=False, saves="none",
    grad_name="SparseCooTensorWithDimsAndTensorsBackward0")
def _sparse_values(values: Array):
    """The values of a new sparse tensor: their own autograd node, named as torch's."""
    return values
