"""Tensor methods from torch's reference list that are Python-level rather than ops: element-wise
Python callbacks (`apply_`, `map_`, `map2_`), storage rebinding (`resize_`, `set_`), storage
handles (`storage`, `storage_type`), removed or no-op APIs (`volatile`, `reinforce`,
`share_memory_`, `record_stream`), dense answers to sparse queries and a few dunders. `bind()`
attaches them to `Tensor`.
"""
from __future__ import annotations

import math
import warnings

import jax.numpy as jnp
import numpy as np

from ._tensor import Tensor


# ---- Python callbacks over elements -----------------------------------------------------------

def _python_fill(self, values, what):
    if self.requires_grad:
        raise RuntimeError(f"Can't call {what}() on Variable that requires grad. Use "
                           f"var.detach().{what}() instead.")
    new = np.asarray(values, dtype=self.dtype.np).reshape(tuple(self.shape))
    self._assign(Tensor._from_array(jnp.asarray(new)))
    return self


def apply_(self, callable):
    """Matches `Tensor.apply_`: calls a Python function on every element (slow, CPU only)."""
    return _python_fill(self, [callable(v) for v in self.reshape(-1).tolist()], "apply_")


def map_(self, tensor, callable):
    """Matches `Tensor.map_`: `callable(a, b)` over self and `tensor` broadcast to self's shape."""
    other = tensor.expand(self.shape).reshape(-1).tolist()
    return _python_fill(self, [callable(a, b) for a, b in zip(self.reshape(-1).tolist(), other)], "map_")


def map2_(self, x, y, callable):
    """Matches `Tensor.map2_`: `callable(a, b, c)` over self, `x` and `y` broadcast to self."""
    xs, ys = (t.expand(self.shape).reshape(-1).tolist() for t in (x, y))
    vals = [callable(a, b, c) for a, b, c in zip(self.reshape(-1).tolist(), xs, ys)]
    return _python_fill(self, vals, "map2_")


# ---- storage rebinding ------------------------------------------------------------------------

def _rebind(self, other: Tensor):
    # Same mechanism as `x.data = other`: self now shares `other`'s storage.
    Tensor.data.fset(self, other)


def resize_(self, *sizes, memory_format=None):
    """Matches `Tensor.resize_`: keeps the leading elements; new elements are zeros (torch leaves
    them uninitialised). Refused on tensors that require grad, as in torch."""
    from ._shape import _shape_arg
    shape = tuple(_shape_arg(sizes))
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    if shape == tuple(self.shape):
        return self
    n = math.prod(shape)
    flat = self._data.reshape(-1)[:n]
    if flat.shape[0] < n:
        flat = jnp.concatenate([flat, jnp.zeros((n - flat.shape[0],), flat.dtype)])
    _rebind(self, Tensor._from_array(flat.reshape(shape)))
    return self


def resize_as_(self, the_template, *, memory_format=None):
    """Matches `Tensor.resize_as_`."""
    return resize_(self, *the_template.shape)


def resize(self, *sizes):
    """Matches the deprecated `Tensor.resize`: a reshape that must keep the number of elements."""
    from ._shape import _shape_arg
    warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
    shape = tuple(_shape_arg(sizes))
    if math.prod(shape) != self.numel():
        raise RuntimeError(f"requested resize to {'x'.join(map(str, shape))} ({math.prod(shape)} "
                           f"elements in total), but the given tensor has a size of "
                           f"{'x'.join(map(str, self.shape))} ({self.numel()} elements). autograd's "
                           "resize can only change the shape of a given tensor, while preserving "
                           "the number of elements. ")
    return self.reshape(shape)


def resize_as(self, tensor):
    """Matches the deprecated `Tensor.resize_as`."""
    warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return resize(self, *tensor.shape)


def set_(self, source=None, storage_offset=None, size=None, stride=None):
    """Matches `Tensor.set_()` (an empty tensor) and `Tensor.set_(tensor)` (share its storage,
    shape and strides). The storage-offset/stride form is not supported."""
    if storage_offset is not None or size is not None or stride is not None:
        from ._unsupported import unsupported
        unsupported("torch.Tensor.set_(source, storage_offset, size, stride)")
    if source is None:
        _rebind(self, Tensor._from_array(jnp.zeros((0,), self.dtype.np)))
    elif isinstance(source, Tensor):
        if source.dtype is not self.dtype:
            raise RuntimeError(f"Could not set tensor of type {source.dtype} to a tensor of type "
                               f"{self.dtype}")
        _rebind(self, source)
    else:  # a storage handle: a 1-D tensor over all of it
        _rebind(self, source._owner.reshape(-1))
    return self


def is_set_to(self, tensor) -> bool:
    """Matches `Tensor.is_set_to`: same storage, offset, shape and strides."""
    return self._owner() is tensor._owner() and self._meta() == tensor._meta()


# ---- storage handles ----------------------------------------------------------------------------

def storage(self):
    """Matches `Tensor.storage` (deprecated in torch; warns as torch does)."""
    from ._storage import TypedStorage, warn_typed
    warn_typed()
    return TypedStorage._of(self._owner(), self.dtype)


def storage_type(self):
    """Matches `Tensor.storage_type`: the legacy typed storage class (`torch.FloatStorage`, ...)."""
    from ._storage import storage_class
    return storage_class(self.dtype)


def share_memory_(self):
    """Matches `Tensor.share_memory_` (a no-op: jtorch sends tensors to worker processes by value,
    so there is no shared segment to move to)."""
    return self


def record_stream(self, stream):
    """Matches `Tensor.record_stream`: torch has no CPU kernel for it."""
    raise NotImplementedError("Could not run 'aten::record_stream' with arguments from the 'CPU' "
                              "backend: streams are a CUDA feature.")


def dim_order(self, *, ambiguity_check=False):
    """Matches `Tensor.dim_order`: dims from outermost to innermost stride."""
    stride = self.stride()
    return tuple(sorted(range(self.dim()), key=lambda d: -stride[d]))


def const_data_ptr(self) -> int:
    """Matches `Tensor.const_data_ptr` (the same address as `data_ptr`)."""
    return self.data_ptr()


def module_load(self, other, assign=False):
    """Matches `Tensor.module_load` (what `load_state_dict` stores: `other` itself)."""
    return other.detach() if assign and isinstance(other, Tensor) else other


def _volatile(self):
    warnings.warn("volatile was removed (Variable.volatile is always False)", UserWarning, stacklevel=2)
    return False


def reinforce(self, reward):
    """Matches `Tensor.reinforce`: removed in torch; raises, pointing at torch.distributions."""
    raise RuntimeError("reinforce() was removed.\nUse torch.distributions instead (sample from a "
                       "distribution and add -log_prob(action) * reward to the loss).")


# ---- sparse queries on dense tensors ----------------------------------------------------------

def to_dense(self, dtype=None, *, masked_grad=None):
    """Matches `Tensor.to_dense` on a dense tensor: itself (or a cast to `dtype`)."""
    return self if dtype is None else self.to(dtype)


def sparse_dim(self) -> int:
    """Matches `Tensor.sparse_dim` on a dense tensor (0)."""
    return 0


def dense_dim(self) -> int:
    """Matches `Tensor.dense_dim` on a dense tensor (all of its dims)."""
    return self.dim()


def _sparse_only(name, layout):
    def fn(self, *args, **kwargs):
        raise RuntimeError(f"{name} expected {layout} layout but got Strided")
    fn.__name__ = name
    fn.__doc__ = f"Matches `Tensor.{name}` on a dense tensor: raises, as torch does."
    return fn


_SPARSE_ONLY = [_sparse_only(n, lay) for n, lay in (
    ("is_coalesced", "sparse coordinate tensor"), ("coalesce", "sparse coordinate tensor"),
    ("indices", "sparse coordinate tensor"), ("values", "sparse tensor"),
    ("crow_indices", "sparse row compressed tensor"), ("col_indices", "sparse row compressed tensor"),
    ("ccol_indices", "sparse column compressed tensor"),
    ("row_indices", "sparse column compressed tensor"))]


from .overrides import DisableTorchFunction, DisableTorchFunctionSubclass  # noqa: E402,F401 (old home)

# ---- dunders ------------------------------------------------------------------------------------

def __contains__(self, element) -> bool:
    if isinstance(element, (Tensor, int, float, bool, complex)):
        return bool((element == self).any().item())
    raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                       f"{type(element)}.")


def __reversed__(self):
    """Matches `Tensor.__reversed__`: the tensor flipped along dim 0 (not an iterator)."""
    return self if self.dim() == 0 else self.flip(0)


def __delitem__(self, key):
    raise TypeError("Tensor does not support deleting items")


def __array_wrap__(self, array, context=None, return_scalar=False):
    """numpy ufuncs on a Tensor return a Tensor, as in torch."""
    if array.dtype == np.bool_:
        array = array.astype(np.uint8)  # torch wraps numpy bools as uint8
    return Tensor._from_array(jnp.asarray(array))


def __setstate__(self, state):
    """Matches `Tensor.__setstate__` for torch's legacy pickled states."""
    if self.grad_fn is not None:
        raise RuntimeError("__setstate__ can be only called on leaf Tensors")
    if len(state) == 4:
        set_(self, state[0])
        state = (state[1], state[2], state[3])
    elif len(state) == 5:
        Tensor.data.fset(self, state[0])
        state = (state[3], state[4], state[2])
    self.requires_grad = state[0]


def __cuda_array_interface__(self):
    raise AttributeError(f"Can't get __cuda_array_interface__ on non-CUDA tensor type: "
                         f"{self.type()} If CUDA data is required use tensor.cuda() to copy tensor "
                         "to device memory.")


def _make_subclass(cls, data, require_grad=False, dispatch_strides=False, dispatch_device=False,
                   device_for_backend_keys=None):
    """Matches `Tensor._make_subclass`: a `cls` leaf sharing `data`'s memory (not its history)."""
    from .nn.parameter import _share
    t = _share(cls, data)
    t._rg = bool(require_grad)
    return t


def as_subclass(self, cls):
    """Matches `Tensor.as_subclass`: a new `cls` object over the same storage and autograd
    history. For a leaf that requires grad, `.grad` accumulates on the original tensor."""
    t = object.__new__(cls)
    t.__dict__.update(self.__dict__)
    if self._st is None and not self.requires_grad:
        Tensor.data.fset(t, self)  # share the storage, not a copy of the array reference
    return t


def bind():
    """Attach the methods above to `Tensor` (only where the name is missing)."""
    methods = {f.__name__: f for f in (
        apply_, map_, map2_, resize_, resize_as_, resize, resize_as, set_, is_set_to, storage,
        storage_type, share_memory_, record_stream, dim_order, const_data_ptr, module_load,
        reinforce, __contains__, __reversed__, __delitem__,
        __array_wrap__, __setstate__, as_subclass, to_dense, sparse_dim, dense_dim, *_SPARSE_ONLY)}
    from ._aten_math import hash_tensor, ormqr
    methods.update(hash_tensor=hash_tensor, ormqr=ormqr)
    methods["__long__"] = lambda self: int(self)
    methods["__nonzero__"] = lambda self: bool(self)
    methods["volatile"] = property(_volatile)
    methods["name"] = property(lambda self: None)  # named tensors: jtorch's are all unnamed
    methods["__cuda_array_interface__"] = property(__cuda_array_interface__)
    methods["_make_subclass"] = staticmethod(_make_subclass)
    for name, fn in methods.items():
        if name not in Tensor.__dict__:
            setattr(Tensor, name, fn)
    from . import overrides
    overrides._install()  # Tensor is complete: its methods and jtorch's functions get the check
