"""Tensor-level functions over ops: public wrappers, in-place variants, overloads like max()."""
from __future__ import annotations

import builtins
import sys as _sys

import jax

from . import _dispatch, _dtype as D, _meta
from ._tensor import Tensor, _can_cast, _type_name, _wrap_dim
from .autograd.grad_mode import ENABLED, _MODE
from ._callforms import sizes_arg
from .ops._registry import REGISTRY

apply = _dispatch.apply


# Ops whose `input` may be a Python number (torch has Scalar-first overloads for these only).
_SCALAR_INPUT = frozenset({
    "add", "sub", "mul", "div", "floor_divide", "remainder", "pow", "float_power", "xlogy",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift",
    "bucketize", "special_xlog1py", "special_zeta"})
_PY_NUMBERS = (bool, int, float, complex)
# Binary ops whose `other` must be a Tensor (torch has no Tensor-Scalar overload for these).
_TENSOR_OTHER = frozenset({
    "atan2", "cross", "dist", "dot", "fmax", "fmin", "gcd", "heaviside", "hypot", "igamma", "igammac", "inner",
    "isclose", "kron", "lcm", "ldexp", "logaddexp", "logaddexp2", "logical_and", "logical_or",
    "logical_xor", "matmul", "maximum", "minimum", "nextafter", "vdot"})


def public(op):
    """`jtorch.<name>`: the op as a plain function."""
    if op.value_names[:1] == ("input",):
        scalar_ok = op.name in _SCALAR_INPUT
        tensor_other = op.name in _TENSOR_OTHER

        def fn(*args, **kwargs):
            if args and not isinstance(args[0], Tensor) and (
                    args[0] is None or isinstance(args[0], str) or isinstance(args[0], _PY_NUMBERS)
                    and not (scalar_ok and any(isinstance(a, Tensor) for a in args[1:]))):
                raise TypeError(f"{op.name}(): argument 'input' (position 1) must be Tensor, not "
                                f"{type(args[0]).__name__}")
            if tensor_other and isinstance(args[1] if len(args) > 1 else kwargs.get("other"), _PY_NUMBERS):
                raise TypeError(f"{op.name}(): argument 'other' must be Tensor, not a Python number; "
                                "wrap it with torch.tensor(...)")
            return apply(op, args, kwargs)
    else:
        def fn(*args, **kwargs):
            return apply(op, args, kwargs)
    fn.__name__ = fn.__qualname__ = op.name
    fn.__doc__ = op.fn.__doc__
    fn.__wrapped__ = op.fn
    return fn


def method(op):
    def fn(self, *args, **kwargs):
        if not isinstance(self, Tensor):  # `Tensor.abs(2.5)`: torch's descriptor TypeError
            raise TypeError(f"descriptor '{op.name}' for 'torch._C.TensorBase' objects doesn't "
                            f"apply to a '{type(self).__name__}' object")
        return apply(op, (self,) + args, kwargs)
    fn.__name__ = fn.__qualname__ = op.name
    fn.__doc__ = op.fn.__doc__
    return fn


def _donatable(op, self, args, kwargs):
    """Whether an in-place op may reuse self's buffer: no autograd to record, no view chain,
    and nothing that could fail after the buffer is given away (shape or dtype errors)."""
    if self._st is not None and self._vw[0]:
        return False
    if _MODE.get() & ENABLED and (self._rg or _any_rg(args) or _any_rg(kwargs.values())):
        return False
    if "out" in kwargs or self._inf:  # inference tensors need _assign's mode check
        return False
    a0 = self._sa if self._st is None else self._st._sa
    sd, shape = a0.dtype, a0.shape
    cat = sd.kind
    # The donated result must keep self's dtype (no cast check happens on this path): only
    # "default" promotion guarantees it; other ops (x.div_, exp_, lt_, logical_and_ on ints
    # or bools change it) only on real floating tensors.
    if op.promote != "default" and (cat not in "fV" or op.promote == "compare"
                                    or op.name.startswith("logical_")):
        return False
    for a in (*args, *kwargs.values()):
        if isinstance(a, Tensor):
            x = a._data
            if x.dtype != sd or (x.shape != shape and x.ndim != 0):
                return False
        elif isinstance(a, bool) or a is None or isinstance(a, str):
            continue
        elif isinstance(a, int):
            if cat == "b":
                return False
        elif isinstance(a, float):
            if cat not in "fcV":
                return False
        else:
            return False
    return True


def _any_rg(xs):
    return any(isinstance(x, Tensor) and x._rg for x in xs)


def check_broadcast_into(src_shape, dst_shape):
    """In-place results must broadcast to the destination's own shape."""
    if tuple(src_shape) == tuple(dst_shape):
        return
    ok = len(src_shape) <= len(dst_shape) and all(
        s == d or s == 1 for s, d in zip(reversed(src_shape), reversed(dst_shape)))
    if not ok:
        raise RuntimeError(f"output with shape {list(dst_shape)} doesn't match the broadcast shape "
                           f"{list(_bshape(src_shape, dst_shape))}")


def _bshape(a, b):
    n = builtins.max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    return tuple(builtins.max(x, y) if 1 in (x, y) else x for x, y in zip(a, b))


def inplace_method(op):
    """`Tensor.<name>_`: run the op, check shape and dtype, write the result into self."""
    def fn(self, *args, **kwargs):
        self._check_writable()
        if _donatable(op, self, args, kwargs):
            owner = self._owner()
            arr = owner._sa
            # owner._sa, `arr`, getrefcount's argument: nobody else holds the buffer.
            if _sys.getrefcount(arr) <= 3 and not isinstance(arr, jax.core.Tracer):
                del arr
                if op.jit_donate is None:
                    _dispatch._build(op)
                a = [owner._sa] + [_dispatch._unwrap(x) for x in args]
                k = {n: _dispatch._unwrap(v) for n, v in kwargs.items()} if kwargs else kwargs
                if op.check is not None:
                    op.check(a, k)
                f = op.jit_donate
                if any(x is a[0] for x in a[1:]) or any(v is a[0] for v in k.values()):
                    f = op.jit_nograd  # the same buffer is also read: it cannot be given away
                try:
                    owner._sa = f(*a, **k)
                    owner._sv += 1
                    return self
                except ValueError as e:
                    if "hashable" not in str(e) or not _meta.has_meta(a, k):
                        owner._sa = _dispatch._retry_hashable(e, f, a, k)
                        owner._sv += 1
                        return self
                except TypeError:
                    if not _meta.has_meta(a, k):
                        raise
                # a meta input: the general path below computes shapes only
        res = apply(op, (self,) + args, kwargs)
        if res.shape != self.shape:
            check_broadcast_into(res.shape, self.shape)
            res = apply(REGISTRY["_broadcast"], (res,), {"shape": tuple(self.shape)})
        rd, sd = res.dtype, self.dtype
        if rd is not sd:
            if not _can_cast(rd, sd):
                raise RuntimeError(f"result type {_type_name(rd)} can't be cast to the desired output "
                                   f"type {_type_name(sd)}")
            res = apply(REGISTRY["_cast"], (res,), {"dtype": sd})
        self._assign(res)
        return self
    fn.__name__ = fn.__qualname__ = op.name + "_"
    return fn


# ---- overloads ---------------------------------------------------------------------------

def _minmax(kind, input, dim=None, keepdim=False, *, out=None):
    if not isinstance(input, Tensor):
        raise TypeError(f"{kind}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if isinstance(dim, Tensor):
        return apply(REGISTRY["maximum" if kind == "max" else "minimum"], (input, dim),
                     {} if out is None else {"out": out})
    kw = {} if out is None else {"out": out}
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError(f"{kind}(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        return apply(REGISTRY[f"_{kind}_all"], (input,), kw)
    return apply(REGISTRY[f"_{kind}_dim"], (input, dim, keepdim), kw)


_NO_DIM = object()  # max(x) reduces everything; max(x, dim=None) is no overload of torch's


def _dim_given(kind, dim):
    if dim is None:
        raise TypeError(f"{kind}() received an invalid combination of arguments - got "
                        f"(Tensor, dim=NoneType), but expected (Tensor input, int dim, bool keepdim)")
    return None if dim is _NO_DIM else dim


def max(input, dim=_NO_DIM, keepdim=False, *, out=None, other=None):
    """Matches `torch.max` (all three overloads)."""
    return _minmax("max", input, _dim_given("max", dim) if other is None else other, keepdim,
                   out=out)


def min(input, dim=_NO_DIM, keepdim=False, *, out=None, other=None):
    """Matches `torch.min` (all three overloads)."""
    return _minmax("min", input, _dim_given("min", dim) if other is None else other, keepdim,
                   out=out)


def to(self, *args, **kwargs):
    """Matches `Tensor.to` (dtype, device, other tensor; copy=)."""
    from ._device import device as _device_cls, move
    dtype = D.as_dtype(kwargs.pop("dtype", None))
    dev = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    memory_format = kwargs.pop("memory_format", None)
    flags = [a for a in args if isinstance(a, bool)]  # positional (non_blocking, copy)
    if len(flags) > 1:
        copy = flags[1]
    for a in args:
        if type(a) is type and D.as_dtype(a) is not a:  # to(float), to(int), to(bool)
            a = D.as_dtype(a)
        if isinstance(a, D.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, dev = a.dtype, a.device
        elif isinstance(a, bool):
            pass
        elif isinstance(a, (str, _device_cls, int)):
            dev = a
        else:
            raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    out = self
    if dtype is not None and dtype is not self.dtype:
        out = apply(REGISTRY["_cast"], (out,), {"dtype": dtype})
    if dev is not None:
        out = move(out, dev)
    if copy and out is self:
        out = apply(REGISTRY["clone"], (self,))
    if memory_format is not None:
        from ._layout import to_format
        out = to_format(out, memory_format)
    return out


def _conv(dtype):
    def fn(self, memory_format=None):
        return to(self, dtype)
    return fn


def type_as(self, other):
    return to(self, other.dtype)


def einsum(equation, *operands):
    """Matches `torch.einsum`."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return apply(REGISTRY["einsum"], (equation, list(operands)))


@sizes_arg("repeats")
def repeat(self, *sizes):
    from ._shape import _shape_arg
    sizes = _shape_arg(sizes, "repeat", "repeats")
    if len(sizes) < self.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    return apply(REGISTRY["_repeat"], (self,), {"repeats": sizes})


def tile(self, *dims, **kwargs):
    """Tensor.tile: dims as one sequence, as separate ints (`x.tile(2, 2)`) or as dims=."""
    from ._shape import _shape_arg
    if "dims" in kwargs and not dims:
        dims = (kwargs.pop("dims"),)
    if kwargs:
        raise TypeError(f"tile() got an unexpected keyword argument '{next(iter(kwargs))}'")
    return apply(REGISTRY["tile"], (self, _shape_arg(dims, "tile", "dims")))


def fill_(self, value):
    return inplace_method(REGISTRY["fill"])(self, value)


def zero_(self):
    self._check_writable()
    self._assign(apply(REGISTRY["_zero"], (self,)))
    return self


def dim_arg(dim, n):
    return _wrap_dim(dim, n)


def _conv_named(name):
    def fn(self, memory_format=None):
        return to(self, D._NAMES[name])
    fn.__name__ = name
    return fn


def cpu(self, memory_format=None):
    return to(self, "cpu")


def cuda(self, device=None, non_blocking=False, memory_format=None):
    return to(self, "cuda" if device is None else (f"cuda:{device}" if isinstance(device, int) else device))
