"""Tensor: a jax array (or tracer) with PyTorch's storage, view and autograd semantics.

Storage: a root Tensor (`_st is None`) owns its array `_sa` and version counter `_sv`.
Views and aliases point `_st` at the owner and keep a chain of view steps `_vw`
(see _view.py); their value is cached per owner version.
Autograd: `_rg` (requires grad), `_node`/`_onr` (grad_fn and output index), `_acc` (the
AccumulateGrad of a leaf), `_base` (the base of a differentiable view).
"""
from __future__ import annotations

import builtins
import math
import sys as _sys

import jax
import numpy as np

from . import _dispatch, _dtype as D, _meta, _view
from ._meta import MetaArray
from .autograd import engine
from .autograd.grad_mode import ENABLED, INFERENCE, _MODE

_get_mode = _MODE.get
_NO_VIEW = ((), ())


class Size(tuple):
    """Matches `torch.Size`."""

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self):
        return f"torch.Size([{', '.join(str(s) for s in self)}])"

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __reduce__(self):
        return (Size, (tuple(self),))


class Tensor:
    """Matches `torch.Tensor`."""

    # Defaults as class attributes: a new tensor sets only what differs.
    _st = None
    _sa = None
    _sv = 0
    _vw = None
    _a = None
    _av = -1
    _node = None
    _onr = 0
    _rg = False
    _grad = None
    _acc = None
    _base = None
    _nv = 0
    _inf = False
    _retains = False
    _nograd_view = False
    __array_priority__ = 1000

    # ---- construction --------------------------------------------------------------------
    def __new__(cls, *args, **kwargs):
        from ._creation import _legacy_new
        return _legacy_new(cls, args, kwargs)

    @classmethod
    def _from_array(cls, a) -> "Tensor":
        t = object.__new__(cls)
        t._sa = a
        return t

    @classmethod
    def _from_edge(cls, a, edge):
        node, idx = edge
        if isinstance(node, engine.AccumulateGrad):
            return node.variable
        t = object.__new__(Tensor)
        t._sa = a
        t._node, t._onr, t._rg = node, idx, True
        return t

    # ---- storage -------------------------------------------------------------------------
    def _owner(self) -> "Tensor":
        return self if self._st is None else self._st

    def _value(self):
        """The current jax array of a view or alias."""
        st = self._st
        if self._av == st._sv:
            return self._a
        steps, dyn = self._vw
        if not steps:  # an alias (detach, .data): no cache, so no extra reference to the buffer
            return st._sa
        try:
            a = _view.read_chain_jit(st._sa, dyn, steps)
        except TypeError:
            if type(st._sa) is not MetaArray:
                raise
            a = _meta.view_value(st._sa, dyn, steps)  # a meta tensor's view
        self._a, self._av = a, st._sv
        return a

    def _value_any(self):
        return self._sa if self._st is None else self._value()

    @property
    def _data(self):
        return self._sa if self._st is None else self._value()

    def _set_array(self, a):
        """Write a new value into this tensor's memory (data only; bumps the version)."""
        owner = self._owner()
        if self._st is None:
            self._sa = a
        else:
            steps, dyn = self._vw
            if not steps:
                owner._sa = a
            else:
                self._check_writable()
                _write_through(owner, steps, dyn, a)
        owner._sv += 1
        if self._st is not None:
            self._a, self._av = a, owner._sv

    def _check_writable(self):
        if self._vw is not None and self._vw[0]:
            shape, stride, _ = self._meta()
            if _view.overlapping(shape, stride):
                raise RuntimeError(
                    "unsupported operation: more than one element of the written-to tensor refers "
                    "to a single memory location. Please clone() the tensor before performing the "
                    "operation.")

    def _meta(self):
        """(shape, stride, storage offset) as PyTorch reports them."""
        owner = self._owner()
        shape = tuple(owner._sa.shape)
        m = (shape, _view.contiguous_strides(shape), 0)
        if self._vw is not None:
            for step, d in zip(*self._vw):
                m = _view.meta_step(m, step, d)
        return m

    def _assign(self, new: "Tensor"):
        """Make `new` (same shape and dtype) this tensor's value: the core of every in-place op."""
        mode = _get_mode()
        if self._inf and not mode & INFERENCE:
            raise RuntimeError("Inplace update to inference tensor outside InferenceMode is not "
                               "allowed; clone() it outside inference_mode first.")
        if mode & ENABLED:
            check_leaf_inplace(self, "or operate on `.data`/`.detach()`")
            if self._nograd_view and (new._rg or self._rg):
                raise RuntimeError(
                    "A view was created in no_grad mode and is being modified inplace with grad "
                    "mode enabled. Given that this use case is ambiguous and error-prone, it is "
                    "forbidden. Create the view outside no_grad, or clone() it first.")
        arr = new._data
        if mode & ENABLED and new._rg:
            base = self._base
            if base is not None:
                from ._shape import _rebase_on_write
                _rebase_on_write(self, base, new)
            else:
                self._node, self._onr, self._rg = new._node, new._onr, True
        self._set_array(arr)
        node = new._node
        if node is not None:
            # The op that produced `new` read this storage before the write; what it saved is
            # the pre-write value (jax arrays are immutable), so it stays valid even after later
            # writes, as torch's saved copy of an in-place op's original `self` does.
            o = self._owner()
            if node.saved:
                node.saved = tuple((s, v) for s, v in node.saved if s is not o)
            if node.out_saved is not None and node.out_saved[0] is new._owner():
                node.out_saved = (o, o._sv)

    def _edge(self):
        """The autograd edge for using this tensor as an op input."""
        if self._base is not None and self._nv != self._owner()._sv and self._base._rg:
            from ._shape import _regenerate_view_node
            _regenerate_view_node(self)
        if self._node is not None:
            return (self._node, self._onr)
        acc = self._acc
        if acc is None:
            acc = self._acc = engine.AccumulateGrad(self)
        return (acc, 0)

    @staticmethod
    def _write_out(out: "Tensor", res):
        """`out=`: write a result into `out` like an in-place op (resizing an empty `out`)."""
        if isinstance(out, (tuple, list)):
            for o, r in zip(out, res):
                Tensor._write_out(o, r)
            return out
        if out.shape != res.shape:
            if out.numel() != 0:
                import warnings
                warnings.warn(f"An output with one or more elements was resized since it had shape "
                              f"{list(out.shape)}, which does not match the required output shape "
                              f"{list(res.shape)}.", UserWarning, stacklevel=3)
            out._sa, out._st, out._vw = res._data.astype(out.dtype.np), None, None
            out._sv += 1
            return out
        if res.dtype is not out.dtype:
            if not _can_cast(res.dtype, out.dtype):
                raise RuntimeError(f"result type {_type_name(res.dtype)} can't be cast to the desired "
                                   f"output type {_type_name(out.dtype)}")
            res = res.to(out.dtype)
        out._assign(res)
        return out

    # ---- basic properties ----------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim=None):
        s = self._data.shape
        if dim is None:
            return Size(s)
        return s[_wrap_dim(dim, len(s))]

    @property
    def dtype(self) -> D.dtype:
        return D.from_np(self._data.dtype)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return math.prod(self._data.shape)

    nelement = numel

    def element_size(self) -> int:
        return self.dtype.itemsize

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.numel() * self.dtype.itemsize

    @property
    def device(self):
        from ._device import device_of
        return device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    is_cpu = property(lambda self: self.device.type == "cpu")
    is_sparse = False
    is_quantized = False
    is_meta = property(lambda self: type(self._owner()._sa) is MetaArray)
    is_nested = False
    is_mkldnn = False
    layout = property(lambda self: __import__("jtorch").strided)

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def is_complex(self) -> bool:
        return self.dtype.is_complex

    def is_signed(self) -> bool:
        return self.dtype.is_signed

    def is_inference(self) -> bool:
        return self._inf

    def stride(self, dim=None):
        s = self._meta()[1]
        return s if dim is None else s[_wrap_dim(dim, len(s))]

    def storage_offset(self) -> int:
        return self._meta()[2]

    def is_contiguous(self, memory_format=None) -> bool:
        shape, stride, _ = self._meta()
        if memory_format is not None:
            from ._layout import is_contiguous
            return is_contiguous(shape, stride, memory_format)
        expected = 1
        for n, s in zip(reversed(shape), reversed(stride)):
            if n == 1:
                continue
            if n == 0:
                return True
            if s != expected:
                return False
            expected *= n
        return True

    def data_ptr(self) -> int:
        """Matches `Tensor.data_ptr`: the buffer's real address (see `_storage.address`)."""
        from ._storage import address
        p = address(self._owner())
        return p + self._meta()[2] * self.dtype.itemsize if p else 0

    def untyped_storage(self):
        from ._storage import UntypedStorage
        return UntypedStorage(self._owner())

    @property
    def _version(self) -> int:
        return self._owner()._sv

    def _is_view(self) -> bool:
        return self._base is not None

    # ---- autograd ------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, v):
        self.requires_grad_(v)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if self._node is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to use "
                    "a computed variable in a subgraph that doesn't require differentiation use "
                    "var_no_grad = var.detach().")
            return self
        if requires_grad and self._inf and not _get_mode() & INFERENCE:
            raise RuntimeError("Setting requires_grad=True on inference tensor outside InferenceMode "
                               "is not allowed; clone() it outside inference_mode first.")
        if requires_grad and self.dtype.category < D.FLOAT:
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               f"gradients (got {self.dtype}); convert with .float() first")
        self._rg = builtins.bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    @property
    def grad_fn(self):
        if self._base is not None and self._rg:
            self._edge()
        return self._node

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, g):
        if g is not None:
            if not isinstance(g, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(g).__name__}")
            if g.shape != self.shape:
                raise RuntimeError(f"assigned grad has data of a different size: {list(g.shape)} "
                                   f"vs {list(self.shape)}")
            want = self.grad_dtype
            if want is not None and g.dtype is not want:
                from ._dtype import _C_NAME
                got = _CXX_NAME.get(g.dtype.name, g.dtype.name)
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{got}' to a tensor with "
                    f"grad_dtype '{_C_NAME[want.name]}'. The gradient must match the "
                    "tensor's grad_dtype (defaults to the tensor's dtype). You can set the tensor's "
                    "grad_dtype attribute with a specific dtype, or None to allow any dtype.")
        self._grad = g

    @property
    def grad_dtype(self):
        """The dtype `.grad` must have (default: the tensor's; None: any). Matches torch."""
        return self.__dict__.get("_gdt", self.dtype)

    @grad_dtype.setter
    def grad_dtype(self, d):
        from ._dtype import dtype
        if d is not None and not isinstance(d, dtype):
            raise RuntimeError(f"grad_dtype must be a torch.dtype or None, but got {type(d).__name__}")
        self.__dict__["_gdt"] = d

    @property
    def retains_grad(self) -> bool:
        return self._retains

    def retain_grad(self) -> None:
        if self._node is None:
            return  # leaves keep their .grad anyway
        if self._retains:
            return
        self._retains = True
        import weakref
        ref = weakref.ref(self)

        def keep(g):
            t = ref()
            if t is not None:
                t._grad = g if t._grad is None else t._grad + g
        keep.retains_grad = True  # runs after every other hook on this tensor, as in torch
        self._node.add_tensor_hook(self._onr, keep)

    def register_hook(self, hook):
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._node is None:
            acc = self._edge()[0]
            if acc.prehooks is None:
                acc.prehooks = []
            acc.prehooks.append(hook)
            return engine._Handle(acc.prehooks, hook)
        return self.grad_fn.add_tensor_hook(self._onr, hook)

    def register_post_accumulate_grad_hook(self, hook):
        if self._node is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        acc = self._edge()[0]
        if acc.posthooks is None:
            acc.posthooks = []
        acc.posthooks.append(hook)
        return engine._Handle(acc.posthooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> "Tensor":
        return self._alias()

    def detach_(self) -> "Tensor":
        self._node, self._rg, self._base = None, False, None
        return self

    def _alias(self) -> "Tensor":
        t = object.__new__(Tensor)
        t._st = self._owner()
        t._vw = self._vw if self._vw is not None else _NO_VIEW
        t._a, t._av = self._a, self._av
        if self._inf:
            t._inf = True
        return t

    @property
    def data(self) -> "Tensor":
        return self._alias()

    @data.setter
    def data(self, other: "Tensor"):
        if not isinstance(other, Tensor):
            raise TypeError(f"Tensor.data must be set to a Tensor, got {type(other).__name__}")
        if other._owner() is self:
            if other._vw is None or not other._vw[0]:
                return  # `x.data = x` or `x.data = x.detach()`: nothing changes
            # A view of this tensor's own storage: keep its value in a storage of its own.
            other = Tensor._from_array(other._data)
        # This tensor now shares `other`'s storage; views made before keep the old one.
        self._st = other._owner()
        self._vw = other._vw if other._vw is not None else _NO_VIEW
        self._a, self._av = None, -1

    # ---- conversion to Python / numpy ----------------------------------------------------
    def _concrete(self, what):
        a = self._data
        if isinstance(a, jax.core.Tracer):
            from .compile_errors import raise_untraceable
            raise_untraceable(what)
        if type(a) is MetaArray:
            raise _meta.read_error(what, a)
        return a

    def numpy(self, *, force=False) -> np.ndarray:
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        a = np.asarray(self._concrete("Tensor.numpy()"))
        if a.flags.writeable:  # a host copy (off the CPU): writes would not reach the tensor
            a.flags.writeable = False
        return a

    def __array__(self, dtype=None, copy=None):
        a = np.asarray(self._concrete("np.asarray(tensor)"))
        return a.astype(dtype) if dtype is not None else a

    def item(self):
        a = self._concrete("Tensor.item()")
        if a.size != 1:
            raise RuntimeError(f"a Tensor with {a.size} elements cannot be converted to Scalar")
        return np.asarray(a).reshape(()).item()

    def tolist(self):
        return np.asarray(self._concrete("Tensor.tolist()")).tolist()

    def __bool__(self):
        a = self._concrete("bool(tensor)")
        if a.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return builtins.bool(np.asarray(a).reshape(()))

    def _scalar(self):
        if self.numel() != 1:  # torch's ValueError here (item() raises a RuntimeError)
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __float__(self):
        return float(self._scalar())

    def __int__(self):
        return int(self._scalar())

    def __complex__(self):
        return complex(self._scalar())

    def __index__(self):
        if self.dtype.category != D.INT or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self):
        return id(self)

    def __repr__(self, *, tensor_contents=None):
        from ._print import tensor_repr
        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec):
        if self.ndim == 0 and not isinstance(self._data, jax.core.Tracer):
            return format(self.item(), spec)
        return object.__format__(repr(self), spec)

    def __reduce_ex__(self, protocol):
        from .serialization import _reduce_tensor
        return _reduce_tensor(self)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        new = type(self)._from_array(self._data)
        if type(self) is not Tensor:
            new.__dict__.update({k: v for k, v in self.__dict__.items() if not k.startswith("_")})
        new._rg = self._rg
        if self._grad is not None:
            new._grad = Tensor._from_array(self._grad._data)
        memo[id(self)] = new
        return new

    def __jax_array__(self):
        return self._data

    # ---- dtype / device conversion -------------------------------------------------------
    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            return self._type_str()
        if isinstance(dtype, str):
            if dtype not in _TYPE_NAMES:
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = _TYPE_NAMES[dtype]
        if dtype in (float, int, bool, complex):  # torch takes dtypes and type names here only
            raise ValueError(f"invalid type: '{dtype.__name__}'")
        dtype = getattr(dtype, "_dtype", dtype)  # a legacy class: torch.LongTensor
        return self.to(dtype)

    def _type_str(self):
        return "torch." + _LEGACY_NAMES.get(self.dtype.name, "Tensor")


def _write_through(owner, steps, dyn, a):
    """owner's array with the view (steps, dyn) of it replaced by `a` (data only, no bump)."""
    old = owner._sa
    if type(old) is MetaArray or type(a) is MetaArray:
        return  # a meta storage stays meta: only shapes and dtypes, no values to write
    # Donate the old buffer (XLA then updates it in place, not a full copy) when nothing else
    # holds it: no autograd residual, alias cache or user reference. The count is:
    # owner._sa, `old`, getrefcount's argument.
    write = _view.write_chain_donate if _sys.getrefcount(old) <= 3 and not \
        isinstance(old, jax.core.Tracer) and a is not old else _view.write_chain_jit
    del old
    owner._sa = write(owner._sa, dyn, a, steps)


def _wrap_dim(dim, n):
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, builtins.bool):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    m = max(n, 1)
    if not -m <= dim < m:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-m}, {m - 1}], "
                         f"but got {dim})")
    return dim % m




# The C++ type names torch's grad-dtype error prints.
_CXX_NAME = {"float32": "float", "float64": "double", "float16": "c10::Half",
             "bfloat16": "c10::BFloat16", "complex64": "c10::complex<float>",
             "complex128": "c10::complex<double>", "int64": "long int", "int32": "int",
             "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def _can_cast(frm: D.dtype, to: D.dtype) -> bool:
    """torch.can_cast: no narrowing across categories (float->int, complex->real, x->bool)."""
    return frm.category <= to.category or (to.category == D.BOOL and frm.category == D.BOOL)


_LEGACY_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
                 "bfloat16": "BFloat16Tensor", "int64": "LongTensor", "int32": "IntTensor",
                 "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
                 "bool": "BoolTensor", "complex64": "ComplexFloatTensor",
                 "complex128": "ComplexDoubleTensor"}
_TYPE_NAMES = {"torch." + v: D._NAMES[k] for k, v in _LEGACY_NAMES.items()}


def _type_name(d: D.dtype) -> str:
    return _LEGACY_NAMES[d.name][:-6]


_dispatch.Tensor = Tensor
engine.Tensor = Tensor


def check_leaf_inplace(t, alternative: str):
    """PyTorch's errors for an in-place change of a leaf that requires grad, or of its view."""
    if t._rg and t._node is None and t._base is None:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation. "
            f"Wrap the update in `with torch.no_grad():` {alternative}.")
    base = t._base
    if base is not None and base._rg and base._node is None and base._base is None:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place "
            "operation. Wrap the update in `with torch.no_grad():`.")
