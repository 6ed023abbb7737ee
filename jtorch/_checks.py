"""Argument checks shared by ops: torch's exception types and wording, raised before JAX sees
the arguments (JAX would raise ValueError/TypeError with its own text).

Every check reads static facts only (shapes, dtypes, Python values), so inside an op body it
runs once per trace, never per call; except the value checks at the end (`extrema`,
`any_zero`), which read data eagerly before dispatch and are skipped under jit.
"""
from __future__ import annotations

import builtins
import math
import operator

import numpy as np


def wrap_dim(dim, ndim: int, scalar_ok: bool = True) -> int:
    """`dim` wrapped into [0, ndim); IndexError as torch's when out of range.

    A 0-dim tensor accepts dims -1 and 0 (as a 1-dim one would) unless `scalar_ok` is False.
    """
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, builtins.bool):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    if ndim == 0 and not scalar_ok:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    m = builtins.max(ndim, 1)
    if not -m <= dim < m:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-m}, {m - 1}], "
                         f"but got {dim})")
    return int(dim) % m


def wrap_dims(dims, ndim: int) -> tuple:
    """A sequence of dims wrapped; RuntimeError when one appears twice."""
    out = tuple(wrap_dim(d, ndim) for d in dims)
    seen = set()
    for d in out:
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.add(d)
    return out


def broadcast_shapes(*shapes) -> tuple:
    """The broadcast shape; RuntimeError in torch's words when the shapes do not broadcast."""
    n = builtins.max((len(s) for s in shapes), default=0)
    out = [1] * n
    for s in shapes:
        for i, d in enumerate(s):
            j = n - len(s) + i
            if out[j] != d and out[j] != 1 and d != 1:
                raise RuntimeError(f"The size of tensor a ({out[j]}) must match the size of tensor "
                                   f"b ({d}) at non-singleton dimension {j}")
            if d != 1:
                out[j] = d
    return tuple(out)


def expand_to(x, target) -> None:
    """torch's errors for `x.expand(target)` (the `self` of addmm/addr/baddbmm/addbmm is expanded
    to the product's shape, never broadcast the other way); `x` an array or a number."""
    shape, target = tuple(getattr(x, "shape", ())), tuple(target)
    if len(shape) > len(target):
        raise RuntimeError(f"expand(torch.{type_name(x.dtype)}Tensor{{{list(shape)}}}, "
                           f"size={list(target)}): the number of sizes provided ({len(target)}) "
                           f"must be greater or equal to the number of dimensions in the tensor "
                           f"({len(shape)})")
    for i, (s, t) in enumerate(zip(shape, target[len(target) - len(shape):])):
        if s != t and s != 1:
            raise RuntimeError(f"The expanded size of the tensor ({t}) must match the existing "
                               f"size ({s}) at non-singleton dimension "
                               f"{i + len(target) - len(shape)}.  Target sizes: {list(target)}.  "
                               f"Tensor sizes: {list(shape)}")


def index_add_shapes(x, dim, index, source):
    """torch's shape checks of index_add (`index_func_meta_impl`): a vector index, one index
    per slice of `source`, and `source` shaped as `x` apart from `dim`."""
    dim = wrap_dim(dim, x.ndim)
    if index.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: "
                         f"{index.ndim} with type: {type_name(index.dtype)} and size: "
                         f"{list(index.shape)}")
    n = source.shape[dim] if source.ndim else 1
    if index.size != n and not source.ndim:  # torch's message reads source.size(dim)
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    if index.size != n:
        raise RuntimeError(f"index_add_(): Number of indices ({index.size}) should be equal to "
                           f"source.size(dim): ({n}), for dim: {dim}")
    a, b = list(x.shape), list(source.shape)
    if x.ndim and source.ndim:
        del a[dim], b[dim]
    if a != b:
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(x.shape)} source.shape = "
                           f"{list(source.shape)}")


def index_copy_shapes(x, dim, index, source):
    """torch's shape checks of index_copy (`index_copy_meta`), in its order."""
    dim = wrap_dim(dim, x.ndim)
    if index.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {index.ndim})")
    if source.ndim == 0 and index.size != 1:
        raise IndexError(f"index_copy_(): When source is scalar, index should have one element "
                         f"(got {index.size})")
    if source.ndim != x.ndim and source.ndim and x.ndim:
        raise IndexError(f"index_copy_(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality ({source.ndim}), "
                         f"destination dimensionality ({x.ndim})")
    a, b = list(x.shape), list(source.shape)
    if a:
        del a[dim]
    if b:
        del b[dim]
    if a != b:
        raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice "
                           f"shapes. Destination slice shape: {' '.join(map(str, a))} at dimension "
                           f"{dim} and source slice shape: {' '.join(map(str, b))} at dimension 0.")
    if source.ndim and index.size != source.shape[dim]:
        raise IndexError(f"index_copy_(): Number of indices ({index.size}) should be equal to "
                         f"source.size(dim) ({source.shape[dim]})")


def nonnegative_shape(shape) -> tuple:
    """`shape`, or torch's RuntimeError when one of its sizes is negative."""
    for d in shape:
        if d < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {d}: {list(shape)}")
    return tuple(shape)


def _memory_bytes() -> int:
    """The host's physical memory (a buffer larger than this cannot be allocated)."""
    import os
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 62


def check_alloc(shape, np_dtype) -> None:
    """torch's RuntimeErrors for a negative size or a buffer larger than memory, raised before
    XLA is asked for it (XLA aborts the process on a failed host allocation)."""
    n = 1
    for d in shape:
        if not isinstance(d, (int, np.integer)):
            return  # a symbolic size (dynamic compile): nothing to check here
        if d < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {d}: {list(shape)}")
        n *= int(d)
    nbytes = n * np.dtype(np_dtype).itemsize
    if nbytes > _memory_bytes():
        raise RuntimeError(f"DefaultCPUAllocator: can't allocate memory: you tried to allocate "
                           f"{nbytes} bytes. Error code 12 (Cannot allocate memory)")


def type_name(np_dtype) -> str:
    """torch's scalar type name for an array dtype ("Float", "Long"), as its messages spell it."""
    from . import _dtype as D
    from ._tensor import _type_name
    return _type_name(D.from_np(np_dtype))


def is_number(x) -> bool:
    """True when an op body received a Python number (a weakly typed scalar), not a Tensor."""
    from ._promote import _kind_dtype
    return _kind_dtype(x)[1] == 0


def tensor_args(name: str, **values):
    """TypeError as torch's when an argument that must be a Tensor is a Python number."""
    for pos, (arg, v) in enumerate(values.items(), 1):
        if is_number(v):
            kind = np.dtype(v.dtype).kind if hasattr(v, "dtype") else ""
            py = {"b": "bool", "i": "int", "u": "int", "f": "float", "c": "complex"}.get(
                kind, type(v).__name__)
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not {py}")


def int_args(name: str, **values):
    """torch's parser TypeError for a factory's int argument given as a bool, float, string,
    None or another object without `__index__` (`randperm(2.5)`, `eye(True)`); arguments are
    named in order, so their position is torch's."""
    for pos, (arg, v) in enumerate(values.items(), 1):
        if isinstance(v, (bool, float, complex, str)) or not hasattr(v, "__index__"):
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be int, not "
                            f"{type(v).__name__}")


# ---- torch's argument parser: int, int-list and sizes arguments --------------------------------
# torch parses these in C before the op runs (TypeError for a float/bool/str/None, ValueError or
# TypeError for an int beyond int64); Python code doing `int(v)` would truncate 2.5 to 2 and read
# True as 1. Each parser returns at once for plain ints; the error text is built only on failure.

_I64 = 1 << 63


def _tname(v) -> str:
    """The type name torch's parser prints: `float`, `NoneType`, `numpy.float64`, `Tensor`."""
    t = type(v)
    if hasattr(v, "_sa"):
        return "Tensor"
    m = t.__module__
    return t.__name__ if m == "builtins" else f"{m.split('.')[0]}.{t.__name__}"


def _as_index(v):
    """v as a Python int where torch's parser takes it for an int (an int, a numpy integer, an
    integer Tensor of one element; not a bool, float, string or None), else None."""
    if isinstance(v, (builtins.bool, float, complex, str)) or v is None or \
            not hasattr(v, "__index__"):
        return None
    try:
        return operator.index(v)
    except (TypeError, ValueError, RuntimeError):
        return None


def int_arg(fn: str, arg: str, v, pos=None) -> int:
    """torch's parser for an `int` argument of `fn`: `v` as a Python int, or torch's TypeError
    ("narrow(): argument 'start' (position 2) must be int, not float"; `pos` None for a keyword
    argument), ValueError for an int beyond int64."""
    if type(v) is int and -_I64 <= v < _I64:
        return v
    i = _as_index(v)
    if i is None:
        where = f" (position {pos})" if pos else ""
        raise TypeError(f"{fn}(): argument '{arg}'{where} must be int, not {_tname(v)}")
    if not -_I64 <= i < _I64:
        raise ValueError("Overflow when unpacking long long")
    return i


def float_arg(fn: str, arg: str, v, pos=None, scalar=True) -> float:
    """torch's parser for a `Scalar` (or, `scalar=False`, a `double`) argument of `fn`: `v` as a
    Python float; a string, None or complex is torch's TypeError, a Python int beyond 64 bits its
    OverflowError for a Scalar (a double takes any int)."""
    if type(v) is float:
        return v
    if type(v) is int:
        if not scalar or -_I64 <= v < 1 << 64:
            return float(v)
        raise OverflowError("int too big to convert")
    if isinstance(v, (str, bytes, complex)) or v is None or not hasattr(v, "__float__"):
        where = f" (position {pos})" if pos else ""
        raise TypeError(f"{fn}(): argument '{arg}'{where} must be float, not {_tname(v)}")
    return float(v)


_CXX_TYPE = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
             "int64": "int64_t", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
             "float32": "float", "float64": "double"}


def fill_value(v, np_dtype):
    """torch's checks of a Python scalar written into a tensor of `np_dtype` (`full`, `full_like`,
    `new_full`): an int beyond 64 bits is its parser's OverflowError; a value the dtype cannot
    hold (300 into uint8, NaN or 1e10 into int32, 1e300 into float32, complex into a real dtype)
    its RuntimeError "value cannot be converted to type uint8_t without overflow". As in torch, a
    negative int wraps into an unsigned dtype and infinities fit a float dtype."""
    if type(v) is int and not -_I64 <= v < 1 << 64:
        raise OverflowError("int too big to convert")
    dt = np.dtype(np_dtype)
    if dt.kind == "b" or not isinstance(v, (int, float, complex, np.number)):
        return
    err = RuntimeError(f"value cannot be converted to type {_CXX_TYPE.get(dt.name, dt.name)} "
                       f"without overflow")
    if dt.kind != "c" and isinstance(v, (complex, np.complexfloating)):
        if v.imag:
            raise err
        v = v.real
    if dt.kind in "iu":
        info = np.iinfo(dt)
        exact = isinstance(v, (int, np.integer))
        if not exact and not math.isfinite(v):
            raise err
        if not (info.min <= v <= info.max or (exact and info.min == 0 and -info.max <= v < 0)):
            raise err
    elif dt.kind == "f" or dt.name == "bfloat16":
        big = float(np.finfo(np.float32).max) if dt.name == "bfloat16" else float(np.finfo(dt).max)
        f = float(v.real) if isinstance(v, (complex, np.complexfloating)) else float(v)
        if math.isfinite(f) and abs(f) > big:
            raise err


def int_list(fn: str, arg: str, v, pos=None) -> tuple:
    """torch's parser for an `int[]` argument (sizes, dims, repeats, strides): a tuple of Python
    ints. A single int stands for a one-element list. As in torch, elements after the first may
    be bools (read as 0/1), the first may not, and a bare bool is refused; a float, string or
    None anywhere is torch's TypeError. Symbolic sizes (jtorch.export) pass through."""
    if type(v) is tuple or type(v) is list:
        for e in v:
            if type(e) is not int or not -_I64 <= e < _I64:
                return _int_list_slow(fn, arg, v, pos)
        return tuple(v)
    if type(v) is int and -_I64 <= v < _I64:
        return (v,)
    return _int_list_slow(fn, arg, v, pos)


def sizes_args(fn: str, arg: str, args: tuple, pos=1) -> tuple:
    """A sizes argument given as varargs (`view(3, 4)`) or as one sequence (`view((3, 4))`)."""
    return int_list(fn, arg, args[0] if len(args) == 1 else args, pos)


def _int_list_slow(fn, arg, v, pos):
    from jax.export import is_symbolic_dim
    where = f" (position {pos})" if pos else ""
    if isinstance(v, (tuple, list, range)) or (isinstance(v, np.ndarray) and v.ndim == 1):
        out = []
        for k, e in enumerate(v):
            if is_symbolic_dim(e):
                out.append(e)
                continue
            i = int(e) if k and isinstance(e, builtins.bool) else _as_index(e)
            if i is None and k == 0:
                raise TypeError(f"{fn}(): argument '{arg}'{where} must be tuple of ints, but found "
                                f"element of type {_tname(e)} at pos 0")
            if i is None or not -_I64 <= i < _I64:
                why = "Overflow when unpacking long long" if i is not None else \
                    f"type must be tuple of ints,but got {_tname(e)}"
                raise TypeError(f"{fn}(): argument '{arg}' failed to unpack the object at pos "
                                f"{k + 1} with error \"{why}\"")
            out.append(i)
        return tuple(out)
    if is_symbolic_dim(v):
        return (v,)
    i = _as_index(v)
    if i is None:
        raise TypeError(f"{fn}(): argument '{arg}'{where} must be tuple of ints, not {_tname(v)}")
    if not -_I64 <= i < _I64:
        raise TypeError(f"{fn}(): argument '{arg}' failed to unpack the object at pos 1 with error "
                        f"\"Overflow when unpacking long long\"")
    return (i,)


# ---- value checks (eager only) ----------------------------------------------------------------
# Unlike the checks above these read the data: one jitted reduction, read back to the host.
# Under jax.jit / jtorch.compile the arrays are tracers with no host value, so the checks are
# skipped there and out-of-range indices are clamped or filled as JAX does.

def _extrema_body(arrays, ignores):
    import jax.numpy as jnp
    out = []
    for a, ig in zip(arrays, ignores):
        lo = hi = a
        if ig is not None:
            skip = a == ig
            lo = jnp.where(skip, jnp.iinfo(a.dtype).max, a)
            hi = jnp.where(skip, jnp.iinfo(a.dtype).min, a)
        out += [jnp.min(lo).astype(jnp.int64), jnp.max(hi).astype(jnp.int64)]
    return jnp.stack(out)


_EXTREMA = _CPU = None


def _on_cpu() -> bool:
    global _CPU
    if _CPU is None:
        import jax
        _CPU = jax.default_backend() == "cpu"
    return _CPU


def _is_tracer(a) -> bool:
    import jax
    return isinstance(a, jax.core.Tracer)


def extrema(arrays, ignores=None):
    """[(min, max) or None] of each integer array, skipping values equal to its `ignores`
    entry; None for an array with no (unignored) values.

    Accelerator arrays go through one cached jitted reduction and one host read together;
    numpy arrays, and jax arrays when the backend is the CPU (a zero-copy view), are reduced by
    numpy, which costs less than a jit dispatch. Returns None when any array is a JAX tracer
    (no host value under jit: the caller skips its check).
    """
    global _EXTREMA
    cpu = _on_cpu()
    ignores = tuple(ignores) if ignores is not None else (None,) * len(arrays)
    out, dev = [None] * len(arrays), []
    for i, a in enumerate(arrays):
        if _is_tracer(a):
            return None
        if cpu and not isinstance(a, np.ndarray):
            a = np.asarray(a)
        if isinstance(a, np.ndarray):
            v = a if ignores[i] is None else a[a != ignores[i]]
            if v.size:
                out[i] = (int(v.min()), int(v.max()))
        elif a.size:
            dev.append(i)
    if dev:
        if _EXTREMA is None:
            import jax
            _EXTREMA = jax.jit(_extrema_body)
        r = np.asarray(_EXTREMA(tuple(arrays[i] for i in dev), tuple(ignores[i] for i in dev)))
        r = r.tolist()
        for j, i in enumerate(dev):
            if r[2 * j] <= r[2 * j + 1]:  # else every value was ignored
                out[i] = (r[2 * j], r[2 * j + 1])
    return out


def out_of_range(arr, low: int, high: int, ignore=None):
    """The largest value of `arr` at or above `high`, else its smallest below `low`, else None
    (also for a tracer: no check under jit). torch names the first bad value in memory order."""
    e = extrema((arr,), (ignore,))
    if e is None or e[0] is None:
        return None
    lo, hi = e[0]
    if hi >= high:
        return hi
    if lo < low:
        return lo
    return None


_ANY_ZERO = None


def any_zero(arr) -> bool:
    """Whether a concrete array holds a zero (numpy on the CPU backend, else one jitted
    reduction and one host read); False for a tracer (no check under jit)."""
    global _ANY_ZERO
    if isinstance(arr, (builtins.bool, int, np.integer)):
        return arr == 0
    if _is_tracer(arr) or not arr.size:
        return False
    if isinstance(arr, np.ndarray) or _on_cpu():
        return not np.asarray(arr).all()
    if _ANY_ZERO is None:
        import jax
        import jax.numpy as jnp
        _ANY_ZERO = jax.jit(lambda a: jnp.any(a == 0))
    return builtins.bool(_ANY_ZERO(arr))


_PROB_STATS = None


def nan_present(arr, part=None) -> bool:
    """Whether a concrete floating or complex array holds a NaN, eagerly (numpy on the CPU
    backend, else one reduction and one host read); False for a tracer. `part`: "L"/"U" reads
    only that triangle of the last two dims (what LAPACK's eigh reads); "inf" counts infinities
    too. O(n^2) next to the O(n^3) decompositions that call it."""
    if _is_tracer(arr) or not hasattr(arr, "dtype") or not arr.size or \
            np.dtype(arr.dtype).kind not in "fcV" or arr.ndim < 2:
        return False
    if _on_cpu() or isinstance(arr, np.ndarray):
        import numpy as xp
        a = np.asarray(arr)
    else:
        import jax.numpy as xp
        a = arr
    if part in ("L", "U"):
        a = xp.tril(a) if part == "L" else xp.triu(a)
    bad = ~xp.isfinite(a) if part == "inf" else xp.isnan(a)
    return builtins.bool(bad.any())


def probability_stats(arr):
    """(min, max, all finite, smallest sum along the last dim) of a concrete floating array
    (numpy on the CPU backend, else one jitted reduction and one host read); None for a
    tracer or an empty array (no check under jit)."""
    global _PROB_STATS
    if _is_tracer(arr) or not arr.size:
        return None
    if _on_cpu():
        a = np.asarray(arr)
        return float(a.min()), float(a.max()), builtins.bool(np.isfinite(a).all()), \
            float(a.sum(-1).min()) if a.ndim else float(a)
    if _PROB_STATS is None:
        import jax
        import jax.numpy as jnp
        _PROB_STATS = jax.jit(lambda a: jnp.stack([
            a.min(), a.max(), jnp.isfinite(a).all(), (a.sum(-1) if a.ndim else a).min()
        ]).astype(jnp.float64))
    lo, hi, fin, s = np.asarray(_PROB_STATS(arr)).tolist()
    return lo, hi, builtins.bool(fin), s


def storage_positions(shape, strides, off):
    """The storage positions of a strided layout, in its element order (numpy; rare paths)."""
    idx = np.full((), off, np.int64)
    for n, s in zip(shape, strides):
        idx = idx[..., None] + np.arange(n, dtype=np.int64) * s
    return idx.reshape(-1)


def _elements(t):
    """The storage positions a tensor covers."""
    return storage_positions(*t._meta())


def no_out_overlap(out, inputs):
    """torch's check for ops whose out= may not share memory with an input (index_select, take,
    masked_select, cat, gather, ...): RuntimeError when `out` covers an element of an input."""
    from ._tensor import Tensor
    outs = out if isinstance(out, (tuple, list)) else (out,)
    flat = []
    for a in inputs:
        flat.extend(a if isinstance(a, (tuple, list)) else (a,))
    for o in outs:
        if not isinstance(o, Tensor) or o.numel() == 0:
            continue
        owner, cover = o._owner(), None
        shape, strides, _ = o._meta()
        if any(st == 0 and n > 1 for n, st in zip(shape, strides)):  # an expanded out=
            raise RuntimeError("unsupported operation: more than one element of the written-to "
                               "tensor refers to a single memory location. Please clone() the "
                               "tensor before performing the operation.")
        for a in flat:
            if not isinstance(a, Tensor) or a._owner() is not owner:
                continue
            if cover is None:
                cover = _elements(o)
            if np.intersect1d(cover, _elements(a)).size:
                raise RuntimeError("unsupported operation: some elements of the input tensor and the "
                                   "written-to tensor refer to a single memory location. Please clone() "
                                   "the tensor before performing the operation.")
