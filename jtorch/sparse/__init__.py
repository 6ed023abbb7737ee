"""Matches `torch.sparse`: COO and CSR tensors over `jax.experimental.sparse`.

A sparse tensor keeps its `indices` and `values` as Tensors; products run as one op over a
`jax.experimental.sparse.BCOO` (differentiable in the values and the dense operand, and traced
like any op under `jtorch.compile`). Building or coalescing a sparse tensor reads its index
pattern on the host (its nnz is data-dependent), so it happens eagerly.
"""
from __future__ import annotations

import builtins

import numpy as np

from .. import _dispatch, _dtype as D
from .._tensor import Tensor
from ..ops._registry import REGISTRY
from . import _ops  # noqa: F401  (registers the kernels)
from ._coo import SparseCsrTensor, SparseTensor

__all__ = ["mm", "addmm", "sum", "softmax", "log_softmax", "spmm", "sparse_coo_tensor",
           "sparse_csr_tensor"]


def _as_tensor(x, dtype=None):
    import jtorch
    return x if isinstance(x, Tensor) else jtorch.tensor(x, dtype=dtype)


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, pin_memory=False,
                      requires_grad=False, check_invariants=None, is_coalesced=None) -> SparseTensor:
    """Matches `torch.sparse_coo_tensor`; indices outside `size` raise (torch checks only with
    `check_invariants=True`; jtorch always checks: a scatter past the end would drop them)."""
    import jtorch
    idx = _as_tensor(indices)
    if idx.dtype is not jtorch.int64:
        idx = idx.to(jtorch.int64)
    vals = _as_tensor(values, dtype=D.as_dtype(dtype))
    if dtype is not None and vals.dtype is not D.as_dtype(dtype):
        vals = vals.to(D.as_dtype(dtype))
    if idx.ndim != 2:
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(idx.shape)}")
    if vals.ndim == 0 or idx.shape[1] != vals.shape[0]:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: "
                           f"{idx.shape[1]}, nnz from values: {vals.shape[0] if vals.ndim else 0}")
    host = np.asarray(idx._data)
    sd = host.shape[0]
    if size is None:
        size = tuple(int(m) + 1 for m in (host.max(1) if host.shape[1] else np.full(sd, -1))) \
            + tuple(vals.shape[1:])
    size = tuple(int(s) for s in size)
    if len(size) != sd + vals.ndim - 1:
        raise RuntimeError(f"number of dimensions must be sparse_dim ({sd}) + dense_dim "
                           f"({vals.ndim - 1}), but got {len(size)}")
    if host.size:
        if host.min() < 0:
            raise RuntimeError(f"found negative index {int(host.min())} for dim {int(host.min(1).argmin())}")
        over = host.max(1) >= np.asarray(size[:sd])
        if over.any():
            d = int(np.argmax(over))
            raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size is {size[d]} "
                               f"but found index {int(host[d].max())}")
    if vals.requires_grad:  # a node of its own, as torch's (the values tensor is not the leaf)
        vals = _dispatch.apply(REGISTRY["_sparse_values"], (vals,), {})
    t = SparseTensor._make(host, vals, size, builtins.bool(is_coalesced))
    if requires_grad:  # a new leaf: the caller's values tensor is left as it is
        t._v = vals.detach().requires_grad_(True)
    return t


def sparse_csr_tensor(crow_indices, col_indices, values, size=None, *, dtype=None, device=None,
                      pin_memory=False, requires_grad=False, check_invariants=None) -> SparseCsrTensor:
    """Matches `torch.sparse_csr_tensor` (2-D, no dense dimensions)."""
    import jtorch
    crow = np.asarray(_as_tensor(crow_indices)._data).astype(np.int64)
    col = _as_tensor(col_indices).to(jtorch.int64)
    rows = np.repeat(np.arange(len(crow) - 1), np.diff(crow))
    if size is None:
        size = (len(crow) - 1, int(np.asarray(col._data).max()) + 1 if col.numel() else 0)
    coo = sparse_coo_tensor(jtorch.stack([jtorch.tensor(rows, dtype=jtorch.int64), col]), values,
                            size, dtype=dtype, requires_grad=requires_grad, is_coalesced=True)
    return SparseCsrTensor._from_coo(coo)


def to_sparse(self, *args, layout=None, blocksize=None, dense_dim=None):
    """Matches `Tensor.to_sparse` (`sparse_dim`, or `layout=torch.sparse_coo/sparse_csr`)."""
    import jtorch
    if layout not in (None, jtorch.sparse_coo):
        if layout == jtorch.sparse_csr:
            return to_sparse_csr(self)
        raise NotImplementedError(f"jtorch converts to sparse_coo and sparse_csr only, not {layout}")
    sd = args[0] if args else self.ndim
    a = np.asarray(self.detach()._data)
    mask = a != 0
    if sd < self.ndim:
        mask = mask.any(axis=tuple(range(sd, self.ndim)))
    where = np.nonzero(mask)
    idx = np.stack(where) if where else np.zeros((0, 1), np.int64)
    vals = self[tuple(jtorch.tensor(w.astype(np.int64)) for w in where)] if sd else self.unsqueeze(0)
    return SparseTensor._make(idx, vals, tuple(self.shape), True)


def to_sparse_coo(self):
    """Matches `Tensor.to_sparse_coo`."""
    return to_sparse(self)


def to_sparse_csr(self, dense_dim=None):
    """Matches `Tensor.to_sparse_csr` (2-D inputs)."""
    if self.ndim != 2:
        raise RuntimeError(f"to_sparse_csr: expected a 2-D tensor, got {self.ndim}-D")
    return SparseCsrTensor._from_coo(to_sparse(self))


def _check_dims(a, b):
    if a.ndim != 2 or b.ndim not in (1, 2):
        raise RuntimeError(f"mm: expected 2-D matrices, got {a.ndim}-D and {b.ndim}-D")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"addmm: Argument #3 (dense): Expected dim 0 size {a.shape[1]}, got {b.shape[0]}")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected scalar type {D._C_NAME.get(a.dtype.name, a.dtype.name)} but "
                           f"found {D._C_NAME.get(b.dtype.name, b.dtype.name)}")


def _sparse_dense(s: SparseTensor, d: Tensor) -> Tensor:
    _check_dims(s, d)
    if s.dense_dim():
        raise NotImplementedError("jtorch multiplies sparse tensors without dense dimensions only")
    return _dispatch.apply(REGISTRY["_sparse_coo_mm"], (s._v, s._ia, d), {"shape": tuple(s.shape)})


def mm(mat1, mat2):
    """Matches `torch.sparse.mm`: sparse @ dense is dense, sparse @ sparse is sparse (coalesced),
    dense @ sparse is dense."""
    s1, s2 = isinstance(mat1, SparseTensor), isinstance(mat2, SparseTensor)
    if s1 and not s2:
        return _sparse_dense(mat1, mat2)
    if s1 and s2:
        return to_sparse(_sparse_dense(mat1, mat2.to_dense()))
    if s2:
        return _sparse_dense(mat2.t(), mat1.t()).t()
    import jtorch
    return jtorch.mm(mat1, mat2)


spmm = mm


def addmm(mat, mat1, mat2, *, beta=1.0, alpha=1.0):
    """Matches `torch.sparse.addmm`: beta * mat + alpha * (mat1 @ mat2)."""
    return beta * mat + alpha * mm(mat1, mat2)


def sum(input, dim=None, dtype=None):
    """Matches `torch.sparse.sum`: all dims give a dense 0-dim tensor; some sparse dims give a
    sparse tensor over the others."""
    import jtorch
    if not isinstance(input, SparseTensor):
        return input.sum(dim, dtype=dtype) if dim is not None else input.sum(dtype=dtype)
    v = input._v if dtype is None else input._v.to(D.as_dtype(dtype))
    if dim is None:
        return v.sum()
    dims = sorted({d % input.ndim for d in ((dim,) if isinstance(dim, int) else dim)})
    sd = input.sparse_dim()
    dense_dims = [d - sd + 1 for d in dims if d >= sd]
    if dense_dims:
        v = v.sum(dense_dims)
    keep = [d for d in range(sd) if d not in dims]
    if not keep:
        return v.sum(0)
    size = [input.shape[d] for d in keep] + [input.shape[d] for d in range(sd, input.ndim) if d not in dims]
    idx = input._ia[keep]
    return SparseTensor._make(idx, v, size, False).coalesce()


def _grouped(input, dim):
    """(coalesced input, group id of each entry along `dim`, number of groups)."""
    s = input.coalesce()
    dim = dim % s.ndim
    if dim >= s.sparse_dim():
        raise NotImplementedError("jtorch's sparse softmax runs over sparse dimensions only")
    idx = s._ia
    others = np.delete(idx, dim, axis=0)
    _, gid = np.unique(others.T, axis=0, return_inverse=True) if idx.size else (None, np.zeros(0, np.int64))
    gid = gid.reshape(-1)
    return s, gid, int(gid.max()) + 1 if gid.size else 0


def _softmax(input, dim, dtype, log):
    import jtorch
    if isinstance(input, SparseCsrTensor):
        raise NotImplementedError("Could not run 'aten::_sparse_softmax' with arguments from the "
                                  "'SparseCsrCPU' backend: convert with .to_sparse() first")
    s, gid, n = _grouped(input, dim)
    v = s._v if dtype is None else s._v.to(D.as_dtype(dtype))
    g = jtorch.tensor(gid, dtype=jtorch.int64)
    m = jtorch.full((n,), float("-inf"), dtype=v.dtype).scatter_reduce(0, g, v.detach(), "amax")
    shifted = v - m[g]
    total = jtorch.zeros(n, dtype=v.dtype).index_add(0, g, shifted.exp())
    out = shifted - total.log()[g] if log else shifted.exp() / total[g]
    return SparseTensor._make(s._ia, out, s.shape, True)


def softmax(input, dim, *, dtype=None):
    """Matches `torch.sparse.softmax`: over the specified entries (the others count as -inf)."""
    return _softmax(input, dim, dtype, log=False)


def log_softmax(input, dim, *, dtype=None):
    """Matches `torch.sparse.log_softmax`."""
    return _softmax(input, dim, dtype, log=True)


def _install():
    """Reach these from torch's places: `torch.sparse_coo_tensor`, `torch.spmm`, `Tensor.to_sparse`,
    and `torch.mm`/`torch.matmul` with a sparse operand."""
    import jtorch
    try:  # sparse tensors are no Tensor subclass in torch: results stay plain Tensors
        from ..overrides import _disabled_torch_function_impl
        SparseTensor.__torch_function__ = _disabled_torch_function_impl
    except ImportError:
        pass
    jtorch.sparse_coo_tensor = sparse_coo_tensor
    jtorch.sparse_csr_tensor = sparse_csr_tensor
    jtorch.spmm = spmm
    Tensor.to_sparse, Tensor.to_sparse_coo, Tensor.to_sparse_csr = to_sparse, to_sparse_coo, to_sparse_csr
    for name in ("mm", "matmul"):
        dense = getattr(jtorch, name)

        def routed(input, other, *, out=None, _dense=dense):
            if isinstance(input, SparseTensor) or isinstance(other, SparseTensor):
                if other.ndim == 1 and isinstance(input, SparseTensor):
                    return mm(input, other.unsqueeze(1)).squeeze(1)
                return mm(input, other)
            return _dense(input, other) if out is None else _dense(input, other, out=out)
        routed.__name__ = routed.__qualname__ = name
        routed.__doc__ = dense.__doc__
        setattr(jtorch, name, routed)


_install()
