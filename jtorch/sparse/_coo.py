"""Sparse COO and CSR tensors: a Tensor subclass holding dense `indices` and `values` Tensors.

The values Tensor carries autograd (a sparse tensor requires grad when its values do); the
indices are int64 and never differentiated. Operations the sparse layout does not have raise
NotImplementedError, as in torch, instead of reading a dense array that is not there.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .._tensor import Size, Tensor
from ..overrides import _disabled_torch_function_impl


def _unsupported_dense_read(self):
    raise NotImplementedError(
        f"this operation does not support sparse tensors (layout={self.layout}); jtorch runs "
        "sparse tensors through torch.sparse.mm/spmm, @, to_dense(), coalesce(), sum and "
        "softmax: call .to_dense() first for other operations")


class SparseTensor(Tensor):
    """Matches a torch tensor of layout `torch.sparse_coo`: `indices` [sparse_dim, nnz] (int64),
    `values` [nnz, *dense dims]."""

    is_sparse = True
    # A layout, not a user subclass: ops must not turn their results into SparseTensors.
    __torch_function__ = _disabled_torch_function_impl
    # No dense array: reading one (any dense op) raises. The storage owner is the values' own,
    # so jtorch.compile carries the values as state (the index pattern is baked into the trace).
    _sa = property(_unsupported_dense_read)
    _value = _unsupported_dense_read
    _st = property(lambda self: self._v._owner())

    def _owner(self):
        return self._v._owner()

    def __new__(cls, *args, **kwargs):
        raise TypeError("create sparse tensors with torch.sparse_coo_tensor or Tensor.to_sparse()")

    @classmethod
    def _make(cls, indices: Tensor, values: Tensor, size, coalesced: bool = False):
        t = object.__new__(cls)
        # The index pattern lives on the host (numpy): coalescing and building need it there,
        # and a compiled step bakes it in rather than carrying it as state.
        if isinstance(indices, Tensor):
            indices = indices._data
        t._ia = np.asarray(indices, dtype=np.int64)
        t._v, t._size, t._coalesced = values, Size(size), coalesced
        return t

    @property
    def _i(self) -> Tensor:
        it = self.__dict__.get("_it")
        if it is None:
            import jtorch
            it = self.__dict__["_it"] = jtorch.tensor(self._ia)
        return it

    # ---- what a tensor reports ---------------------------------------------------------
    layout = property(lambda self: __import__("jtorch").sparse_coo)
    is_sparse_csr = property(lambda self: False)
    shape = property(lambda self: self._size)
    dtype = property(lambda self: self._v.dtype)
    device = property(lambda self: self._v.device)
    ndim = property(lambda self: len(self._size))
    is_meta = property(lambda self: False)

    def size(self, dim=None):
        return self._size if dim is None else self._size[dim]

    def dim(self) -> int:
        return len(self._size)

    def numel(self) -> int:
        return math.prod(self._size)

    def __len__(self):
        return self._size[0]

    def sparse_dim(self) -> int:
        return self._ia.shape[0]

    def dense_dim(self) -> int:
        return self._v.ndim - 1

    def _nnz(self) -> int:
        return self._v.shape[0]

    def is_coalesced(self) -> bool:
        return self._coalesced

    def _indices(self) -> Tensor:
        return self._i

    def _values(self) -> Tensor:
        return self._v

    def indices(self) -> Tensor:
        if not self._coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call .coalesce() first")
        return self._i

    def values(self) -> Tensor:
        if not self._coalesced:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call .coalesce() first")
        return self._v

    # ---- autograd goes through the values ------------------------------------------------
    requires_grad = property(lambda self: self._v.requires_grad,
                             lambda self, v: self.requires_grad_(v))
    is_leaf = property(lambda self: self._v.is_leaf)
    grad_fn = property(lambda self: self._v.grad_fn)

    def requires_grad_(self, requires_grad: bool = True):
        self._v.requires_grad_(requires_grad)
        return self

    @property
    def grad(self):
        g = self._v.grad
        return None if g is None else type(self)._make(self._ia, g, self._size, self._coalesced)

    def detach(self):
        return type(self)._make(self._ia, self._v.detach(), self._size, self._coalesced)

    # ---- conversions -----------------------------------------------------------------------
    def to_dense(self, dtype=None, *, masked_grad=None) -> Tensor:
        import jtorch
        v = self._v if dtype is None else self._v.to(dtype)
        out = jtorch.zeros(tuple(self._size), dtype=v.dtype)
        if self._nnz() == 0:
            return out + v.sum() * 0 if v.requires_grad else out
        return out.index_put(tuple(jtorch.tensor(r) for r in self._ia), v, accumulate=True)

    def coalesce(self) -> "SparseTensor":
        """Indices sorted and unique, duplicates summed (eager: the index pattern is read on the host)."""
        if self._coalesced:
            return self
        import jtorch
        idx = self._ia
        sparse_shape = tuple(self._size[: idx.shape[0]])
        flat = np.ravel_multi_index(tuple(idx), sparse_shape) if idx.size else np.zeros(0, np.int64)
        uniq, inverse = np.unique(flat, return_inverse=True)
        new_idx = np.stack(np.unravel_index(uniq, sparse_shape)) if uniq.size else idx[:, :0]
        zeros = jtorch.zeros((len(uniq),) + tuple(self._v.shape[1:]), dtype=self._v.dtype)
        vals = zeros.index_add(0, jtorch.tensor(inverse.reshape(-1), dtype=jtorch.int64), self._v)
        return type(self)._make(jtorch.tensor(new_idx.astype(np.int64)), vals, self._size, True)

    def to_sparse(self, *args, layout=None, **kwargs):
        import jtorch
        if layout in (None, jtorch.sparse_coo):
            return self
        if layout == jtorch.sparse_csr:
            return self.to_sparse_csr()
        raise NotImplementedError(f"jtorch converts sparse tensors to sparse_coo and sparse_csr only, not {layout}")

    def to_sparse_csr(self, dense_dim=None):
        return SparseCsrTensor._from_coo(self.coalesce())

    def to(self, *args, **kwargs):
        dtype = kwargs.get("dtype") or next((D.as_dtype(a) for a in args
                                             if isinstance(D.as_dtype(a), D.dtype)), None)
        if dtype is None or dtype is self.dtype:
            return self
        return type(self)._make(self._ia, self._v.to(dtype), self._size, self._coalesced)

    def cpu(self):
        return self

    def float(self):
        return self.to(D.float32)

    def double(self):
        return self.to(D.float64)

    def view(self, *shape):
        raise NotImplementedError("Could not run 'aten::view' with arguments from the 'SparseCPU' "
                                  "backend: call .to_dense() first")

    def reshape(self, *shape):
        raise RuntimeError("reshape is not implemented for sparse tensors")

    def clone(self, *, memory_format=None):
        return type(self)._make(self._ia.copy(), self._v.clone(), self._size, self._coalesced)

    def abs(self):
        return type(self)._make(self._ia, self._v.abs(), self._size, self._coalesced)

    def transpose(self, dim0, dim1):
        n = self.sparse_dim()
        d0, d1 = dim0 % self.ndim, dim1 % self.ndim
        if d0 >= n or d1 >= n:
            raise NotImplementedError("jtorch transposes sparse dimensions of sparse tensors only")
        idx, size = self._ia.copy(), list(self._size)
        idx[[d0, d1]] = idx[[d1, d0]]
        size[d0], size[d1] = size[d1], size[d0]
        return type(self)._make(idx, self._v, size, False)

    def t(self):
        if self.sparse_dim() != 2 or self.dense_dim() != 0:
            raise RuntimeError("t() expects a tensor with <= 2 sparse and 0 dense dimensions, but "
                               f"self is {self.sparse_dim()} sparse and {self.dense_dim()} dense")
        return type(self)._make(self._ia[::-1].copy(), self._v, (self._size[1], self._size[0]), False)

    # ---- arithmetic torch has for sparse tensors ---------------------------------------------
    def __mul__(self, other):
        if isinstance(other, (int, float, bool)) or (isinstance(other, Tensor) and not other.is_sparse and other.ndim == 0):
            return type(self)._make(self._ia, self._v * other, self._size, self._coalesced)
        raise NotImplementedError("jtorch multiplies sparse tensors by scalars only")

    __rmul__ = __mul__

    def __truediv__(self, other):
        if isinstance(other, (int, float)) or (isinstance(other, Tensor) and not other.is_sparse and other.ndim == 0):
            return type(self)._make(self._ia, self._v / other, self._size, self._coalesced)
        raise NotImplementedError("jtorch divides sparse tensors by scalars only")

    def __neg__(self):
        return type(self)._make(self._ia, -self._v, self._size, self._coalesced)

    def __add__(self, other):
        import jtorch
        if isinstance(other, SparseTensor) and not isinstance(other, SparseCsrTensor):
            if other._size != self._size:
                raise RuntimeError(f"add: expected 'self' and 'other' to have same size, but self has "
                                   f"size {list(self._size)} while other has size {list(other._size)}")
            return type(self)._make(np.concatenate([self._ia, other._ia], 1),
                                    jtorch.cat([self._v, other._v.to(self.dtype)]), self._size, False)
        raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.")

    def __matmul__(self, other):
        import jtorch
        return jtorch.matmul(self, other)

    def __rmatmul__(self, other):
        import jtorch
        return jtorch.matmul(other, self)

    matmul = __matmul__

    def mm(self, other):
        from . import mm
        return mm(self, other)

    def sum(self, dim=None, keepdim=False, dtype=None):
        from . import sum as sparse_sum
        if dim is None:
            return self._v.sum(dtype=dtype)
        return sparse_sum(self, dim, dtype=dtype)

    def __repr__(self, *, tensor_contents=None):
        import jtorch
        head = "tensor("
        pad = len(head)
        suffixes = [f"size={tuple(self._size)}", f"nnz={self._nnz()}"]
        if self.dtype not in (jtorch.get_default_dtype(), D.int64, D.bool, D.default_complex()):
            suffixes.append(f"dtype={self.dtype}")
        suffixes.append(f"layout={self.layout}")
        if self.grad_fn is not None:
            suffixes.append(f"grad_fn=<{type(self.grad_fn).__name__}>")
        elif self.requires_grad:
            suffixes.append("requires_grad=True")
        text = head + ",\n".join(" " * pad * (k > 0) + f"{name}=" + _plain_repr(t, pad + len(name) + 1)
                                 for k, (name, t) in enumerate(self._parts()))
        # torch's layout: a suffix goes on a new line when it would pass 80 columns (COO
        # tensors always start the suffixes on a new line).
        width = len(text) - text.rfind("\n") + 1
        newline = self._suffix_newline
        for sfx in suffixes:
            if newline or width + len(sfx) + 2 > 80:
                text += ",\n" + " " * pad + sfx
                width, newline = pad + len(sfx), False
            else:
                text += ", " + sfx
                width += len(sfx) + 2
        return text + ")"

    _suffix_newline = True

    def _parts(self):
        return (("indices", self._i), ("values", self._v))

    def __str__(self):
        return self.__repr__()


def _plain_repr(t: Tensor, indent: int) -> str:
    """A component's repr inside a sparse repr: no dtype or grad suffix, sizes for empty ones."""
    import re
    from .._print import tensor_repr
    if t.numel() == 0:
        return f"tensor([], size={tuple(t.shape)})"
    # Laid out at its column (rows wrap at the print width from there), then the suffix dropped.
    text = tensor_repr(t.detach(), prefix=" " * indent + "tensor(")[indent:]
    return re.sub(r",\s*dtype=torch\.\w+\)$", ")", text)


class SparseCsrTensor(SparseTensor):
    """Matches a torch tensor of layout `torch.sparse_csr` (2-D): `crow_indices`, `col_indices`,
    `values`; kept with its COO row indices for the kernels."""

    layout = property(lambda self: __import__("jtorch").sparse_csr)
    is_sparse = False
    is_sparse_csr = property(lambda self: True)

    @classmethod
    def _from_coo(cls, coo: SparseTensor) -> "SparseCsrTensor":
        import jtorch
        if coo.sparse_dim() != 2 or coo.dense_dim() != 0:
            raise RuntimeError("jtorch's sparse_csr tensors are 2-D without dense dimensions")
        t = cls._make(coo._ia, coo._v, coo._size, True)
        rows = coo._ia[0]
        crow = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=coo._size[0]))])
        t._crow = jtorch.tensor(crow.astype(np.int64))
        return t

    def crow_indices(self) -> Tensor:
        return self._crow

    def col_indices(self) -> Tensor:
        return self._i[1]

    def values(self) -> Tensor:
        return self._v

    def indices(self):
        raise RuntimeError("indices expected sparse coordinate tensor layout but got SparseCsr")

    def _nnz(self) -> int:
        return self._v.shape[0]

    def to_sparse(self, *args, layout=None, **kwargs):
        import jtorch
        if layout in (None, jtorch.sparse_coo):
            return SparseTensor._make(self._ia, self._v, self._size, True)
        return super().to_sparse(layout=layout)

    def to_sparse_csr(self, dense_dim=None):
        return self

    def coalesce(self):
        raise RuntimeError("coalesce expected sparse coordinate tensor layout but got SparseCsr")

    def t(self):
        return self.to_sparse().t().to_sparse_csr()

    _suffix_newline = False

    def _parts(self):
        return (("crow_indices", self._crow), ("col_indices", self._i[1]), ("values", self._v))
