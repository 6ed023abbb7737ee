"""Factory functions: tensor, zeros, ones, full, arange, linspace, eye, *_like, from_numpy."""
from __future__ import annotations

import builtins
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.export import is_symbolic_dim

from . import _dtype as D, _pyvalues
from ._checks import fill_value as fill_value_check
from ._compiled import host_arrays
from ._layout import check_layout
from ._tensor import Tensor, _type_name
from ._config_fns import _state
from ._meta import MetaArray
from .autograd.grad_mode import INFERENCE, _MODE


@functools.partial(jax.jit, static_argnums=(0, 1))
def _filled_jit(shape, dtype, value):
    return jnp.full(shape, value, dtype)


def _filled(shape, dtype, value):
    """An array of `value`: built by numpy and transferred, so a new shape compiles nothing;
    compiled (jnp.full) for 0-d arrays and while jtorch.compile traces (no big constants)."""
    from . import _compile
    if not shape or _compile._TRACING[0] or isinstance(value, jax.Array):
        return _filled_jit(shape, dtype, value)
    return jnp.asarray(np.full(shape, value, dtype))


def _on_meta(device) -> bool:
    """Whether a factory given `device` makes a meta tensor (`device="meta"`, or no device
    under `torch.set_default_device("meta")` / `with torch.device("meta"):`)."""
    if device is None:
        d = _state["device"]
        return d is not None and d.type == "meta"
    return device == "meta" or getattr(device, "type", None) == "meta"


def like_device(input, device):
    """The device of a `*_like`/`new_*` result: `device`, else meta for a meta input (a CPU
    input needs nothing: the default device is where factories put arrays)."""
    return device if device is not None or not input.is_meta else "meta"


def _finish(a, dtype=None, device=None, requires_grad=False) -> Tensor:
    if device is not None or _state["device"] is not None:
        if _on_meta(device):
            a = MetaArray(a.shape, a.dtype)
        elif device is not None:
            from ._device import put
            a = put(a, device)
    t = Tensor._from_array(a)
    if requires_grad:
        t.requires_grad_(True)  # a leaf even under no_grad, like PyTorch
    if _MODE.get() & INFERENCE:
        t._inf = True
    return t


def _infer_dtype(data):
    """The torch dtype of nested data: the promotion of every element's dtype (Python numbers:
    bool, int64, the default float or complex; numpy scalars and tensors: their own)."""
    d = None
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
            continue
        if isinstance(x, Tensor):
            e = x.dtype
        elif isinstance(x, (np.generic, np.ndarray)):  # before float: np.float64 is a float subclass
            if isinstance(x, np.ndarray) and x.ndim == 0:
                raise TypeError("len() of unsized object")  # torch reads an array element as a sequence
            e = D.from_np(x.dtype)
        elif isinstance(x, (bool, int, float, complex)):
            e = D.scalar_dtype(x)
        elif isinstance(x, str):
            raise ValueError(f"too many dimensions '{type(x).__name__}'")
        elif isinstance(x, (bytes, bytearray)):
            raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
        else:
            raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")
        d = e if d is None else D.promote_types(d, e)
    return d if d is not None else D.get_default_dtype()


def _to_numpy_nested(data):
    if isinstance(data, Tensor):  # an element of a sequence: read as a scalar, as torch does
        if data.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return np.asarray(data._data).reshape(())
    if isinstance(data, (list, tuple)):
        return [_to_numpy_nested(x) for x in data]
    return data


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """Matches `torch.tensor` (always copies)."""
    if isinstance(data, Tensor):
        a = data._data
        dtype = dtype or data.dtype
        return _finish(jnp.array(a, dtype=dtype.np, copy=True), dtype, device, requires_grad)
    if isinstance(data, np.ndarray):
        host_arrays.note(data)  # inside a compiled trace: its values are baked in, guard them
        d = dtype or D.from_np(data.dtype)
        if data.dtype == d.np:  # a host copy put on the device: no program compiled per shape
            return _finish(jax.device_put(np.array(data, copy=True)), d, device, requires_grad)
        return _finish(jnp.array(data, dtype=d.np), d, device, requires_grad)
    if isinstance(data, jax.Array):
        d = dtype or D.from_np(data.dtype)
        return _finish(jnp.array(data, dtype=d.np, copy=True), d, device, requires_grad)
    if isinstance(data, (str, bytes, bytearray)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    try:
        d = dtype or _infer_dtype(data)
    except RuntimeError:  # a deque, range or other sequence torch reads: as lists, then again
        data = _pyvalues.as_lists(data)
        d = dtype or _infer_dtype(data)
    arr = np.array(_to_numpy_nested(data), dtype=None if d is D.bfloat16 else d.np)
    if arr.dtype == object:
        raise ValueError("expected a sequence of equal-length rows (the nested lists are ragged)")
    return _finish(jnp.asarray(arr, dtype=d.np), d, device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Matches `torch.as_tensor` (returns `data` itself when nothing changes). A storage's
    bytes are copied into a new tensor (torch's shares them)."""
    from ._storage import TypedStorage, UntypedStorage
    if isinstance(data, (UntypedStorage, TypedStorage)):
        st = data if isinstance(data, UntypedStorage) else data.untyped()
        t = st._as_tensor(dtype or getattr(data, "dtype", None))
        return t.to(device) if device is not None else t
    if isinstance(data, Tensor):
        if (dtype is None or dtype is data.dtype) and device is None:
            return data
        return data.to(dtype=dtype, device=device)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """Matches `torch.from_numpy`, except that the data is copied (jax arrays do not alias numpy)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    host_arrays.note(ndarray)
    return Tensor._from_array(jnp.asarray(ndarray, dtype=D.from_np(ndarray.dtype).np))


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s)
        if is_symbolic_dim(s):  # a dynamic dimension of jtorch.export
            out.append(s)
            continue
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"size must be a tuple of ints, got element of type {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _dt(dtype, default=None):
    return dtype if dtype is not None else (default or D.get_default_dtype())


def zeros(*shape, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """Matches `torch.zeros`."""
    check_layout(layout, "torch.zeros")
    return _factory(0, shape if size is None else (size,), out, dtype, device, requires_grad)


def ones(*shape, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """Matches `torch.ones`."""
    check_layout(layout, "torch.ones")
    return _factory(1, shape if size is None else (size,), out, dtype, device, requires_grad)


def empty(*shape, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None):
    """Matches `torch.empty` (filled with zeros: jax has no uninitialised memory)."""
    check_layout(layout, "torch.empty")
    t = _factory(0, shape if size is None else (size,), out, dtype, device, requires_grad)
    if memory_format is not None:
        from ._layout import to_format
        t = to_format(t.detach(), memory_format).requires_grad_(requires_grad)
    return t


def _factory(value, size, out, dtype, device, requires_grad):
    d = _dt(dtype)
    shape = _size(size)
    a = MetaArray(shape, d.np) if _on_meta(device) else _filled(shape, d.np, value)
    t = _finish(a, d, device, requires_grad)
    if out is not None:
        return Tensor._write_out(out, t)
    return t


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    """Matches `torch.full` (dtype inferred from fill_value)."""
    check_layout(layout, "torch.full")
    if isinstance(size, (int, np.integer)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    d = dtype or _infer_dtype(fill_value)
    fill_value_check(fill_value, d.np)
    t = _finish(jnp.full(_size((size,)) if not isinstance(size, (int, np.integer)) else (int(size),),
                         fill_value, d.np), d, device, requires_grad)
    return Tensor._write_out(out, t) if out is not None else t


def _like(value, input, dtype, device, requires_grad):
    d = dtype or input.dtype
    device = like_device(input, device)
    shape = tuple(input.shape)
    a = MetaArray(shape, d.np) if _on_meta(device) else _filled(shape, d.np, value)
    return _finish(a, d, device, requires_grad)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    """Matches `torch.zeros_like`."""
    check_layout(layout, "torch.zeros_like")
    return _like(0, input, dtype, device, requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    """Matches `torch.ones_like`."""
    check_layout(layout, "torch.ones_like")
    return _like(1, input, dtype, device, requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    """Matches `torch.empty_like` (zeros)."""
    check_layout(layout, "torch.empty_like")
    return _like(0, input, dtype, device, requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    """Matches `torch.full_like`."""
    check_layout(layout, "torch.full_like")
    d = dtype or input.dtype
    fill_value_check(fill_value, d.np)
    return _finish(jnp.full(tuple(input.shape), fill_value, d.np), d, like_device(input, device),
                   requires_grad)


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    """Matches `torch.arange` (int64 for integer arguments, else the default float)."""
    if end is None:
        start, end = 0, start
    if builtins.any(map(is_symbolic_dim, (start, end, step))):  # a jtorch.export dynamic size
        if not builtins.all(isinstance(v, int) or is_symbolic_dim(v) for v in (start, end, step)) \
                or not isinstance(step, int) or step <= 0:
            raise TypeError("arange with a dynamic size takes int start and a positive int step")
        d = dtype or D.int64
        n = (end - start + step - 1) // step
        t = _finish(start + step * jax.lax.iota(d.np, n), d, device, requires_grad)
        return Tensor._write_out(out, t) if out is not None else t
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    for v in vals:  # torch's parser: an int beyond 64 bits; then its int64 arithmetic
        if type(v) is int and not -(1 << 63) <= v < 1 << 63:
            if not -(1 << 63) <= v < 1 << 64:
                raise OverflowError("int too big to convert")
            raise RuntimeError("value cannot be converted to type int64_t without overflow")
    if dtype is not None and dtype.is_complex:
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{_type_name(dtype)}'")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(vals[0]) and math.isfinite(vals[1])):
        raise RuntimeError(f"unsupported range: {vals[0]} -> {vals[1]}")
    if (vals[1] - vals[0]) * vals[2] < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None and out is not None:
        dtype = out.dtype
    if dtype is None:
        dtype = D.int64 if builtins.all(isinstance(v, (int, np.integer)) for v in vals) \
            else D.get_default_dtype()
    _no_bool("arange", dtype)
    s, e, st = vals
    if dtype.category >= D.FLOAT:
        n = builtins.max(0, math.ceil((e - s) / st))
        a = jnp.asarray(s + st * np.arange(n, dtype=np.float64), dtype.np)
    else:  # torch truncates start and step (int64 also end, and counts in integers); values wrap
        s, st = int(s), int(st)
        if dtype is D.int64:
            if st == 0:
                raise ValueError(f"step must be nonzero (step {vals[2]} truncates to 0 for {dtype})")
            n = (int(e) - s + st - (1 if st > 0 else -1)) // st
        else:
            n = builtins.max(0, math.ceil((e - vals[0]) / vals[2]))
        a = jnp.asarray((s + st * np.arange(n, dtype=np.int64)).astype(dtype.np))
    t = _finish(a, dtype, device, requires_grad)
    return Tensor._write_out(out, t) if out is not None else t


def range_(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Matches the deprecated `torch.range` (end inclusive)."""
    return arange(start, end + step / 2 if end is not None else None, step, dtype=dtype or D.get_default_dtype(),
                  device=device, requires_grad=requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Matches `torch.linspace`."""
    _check_steps("linspace", start, end, steps)
    d = _dt(dtype)
    _no_bool("linspace", d)
    if d.category == D.INT:
        a = _to_int(_int_ramp(_int_bound(start, d), _int_bound(end, d), int(steps), d), d)
    else:
        a = jnp.asarray(np.linspace(float(start), float(end), int(steps), dtype=np.float64), d.np)
    t = _finish(a, d, device, requires_grad)
    return Tensor._write_out(out, t) if out is not None else t


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """Matches `torch.logspace`."""
    _check_steps("logspace", start, end, steps)
    d = _dt(dtype)
    _no_bool("logspace", d)
    if d.category == D.INT:  # exponents from truncated bounds (one step: the bound itself)
        s, e = _int_bound(start, d), _int_bound(end, d)
        x = np.array([float(start)]) if steps == 1 else _int_ramp(s, e, int(steps), d)
        return _finish(_to_int(np.power(float(base), x), d), d, device, requires_grad)
    a = np.logspace(float(start), float(end), int(steps), base=base, dtype=np.float64)
    return _finish(jnp.asarray(a, d.np), d, device, requires_grad)


def _no_bool(name, dtype):
    if dtype is D.bool:
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'Bool\'')


def _int_bound(v, dtype):
    """A linspace/logspace bound in an integer dtype, as torch converts it: a float truncates and
    must lie in the dtype's range; an int wraps (a negative one into an unsigned dtype too)."""
    v = v.item() if isinstance(v, Tensor) else v
    lo, hi = np.iinfo(dtype.np).min, np.iinfo(dtype.np).max
    exact = isinstance(v, (int, np.integer))
    if not (lo <= v <= hi or (exact and lo == 0 and -hi <= v < 0)):
        raise RuntimeError(f"value cannot be converted to type {dtype.name}_t without overflow")
    return int(np.array(int(v)).astype(dtype.np))


def _int_ramp(s, e, steps, dtype):
    """`steps` points from `s` to `e` in float64, torch's way for integer dtypes: the first half
    counted up from `s`, the rest down from `e`."""
    if steps == 1:
        return np.array([float(s)])
    i = np.arange(steps)
    step = (e - s) / (steps - 1)
    return np.where(i < steps // 2, s + step * i, e - step * (steps - 1 - i))


def _to_int(a, dtype):
    """float64 values cast like C++ (truncate to int64, then wrap to `dtype`)."""
    with np.errstate(invalid="ignore"):
        return jnp.asarray(a.astype(np.int64).astype(dtype.np))


def _check_steps(name, start, end, steps):
    for v in (start, end):
        if type(v) is int and not -(1 << 63) <= v < 1 << 64:  # torch's parser
            raise OverflowError("int too big to convert")
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool):
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"({type(start).__name__}, {type(end).__name__}, {type(steps).__name__}): "
                        "steps must be an int")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")


_NO_M = object()  # eye(n) is square; eye(n, None) is no overload of torch's


def eye(n, m=_NO_M, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Matches `torch.eye`."""
    from ._checks import int_args
    if m is None:
        int_args("eye", n=n, m=m)  # torch's TypeError
    m = None if m is _NO_M else m
    int_args("eye", n=n) if m is None else int_args("eye", n=n, m=m)
    for name, v in (("n", n), ("m", m)):
        if v is not None and v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    d = _dt(dtype)
    from ._checks import check_alloc
    check_alloc((n, m if m is not None else n), d.np)  # XLA aborts on a huge eye
    t = _finish(jnp.eye(n, m if m is not None else n, dtype=d.np), d, device, requires_grad)
    return Tensor._write_out(out, t) if out is not None else t


def _legacy_new(cls, args, kwargs):
    """`torch.Tensor(...)`: data (a copy in the default dtype), sizes (zeros) or a tensor (an alias)."""
    from ._legacy import construct
    t = construct(None, args, kwargs)
    if cls is not Tensor:
        new = object.__new__(cls)
        new._sa = t._data
        return new
    return t


_pyvalues.accept_python_dtypes(globals())
