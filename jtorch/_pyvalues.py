"""Python values where torch takes them: Python types as dtypes, sequences and ranges as data
and as indices (one place each, hooked into the factories, `tensor` and indexing)."""
from __future__ import annotations

import collections.abc
import functools
import inspect
import warnings

import numpy as np

from . import _dtype as D


def accept_python_dtypes(namespace: dict) -> None:
    """Rebind every public function of `namespace` that has a `dtype` parameter so that
    `dtype=float/int/bool/complex` reaches it as a jtorch dtype (see `_dtype.as_dtype`)."""
    for name, fn in list(namespace.items()):
        if name.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != namespace["__name__"]:
            continue
        params = inspect.signature(fn).parameters
        if "dtype" not in params:
            continue
        pos = list(params).index("dtype")
        if params["dtype"].kind not in (inspect.Parameter.POSITIONAL_OR_KEYWORD,):
            pos = None
        namespace[name] = _with_python_dtypes(fn, pos)


def _with_python_dtypes(fn, pos):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        d = kwargs.get("dtype")
        if type(d) is type:
            kwargs["dtype"] = D.as_dtype(d)
        elif pos is not None and len(args) > pos and type(args[pos]) is type:
            args = args[:pos] + (D.as_dtype(args[pos]),) + args[pos + 1:]
        return fn(*args, **kwargs)
    return wrapper


# ---- data: what torch.tensor reads as a sequence ----------------------------------------------

def is_sequence(x) -> bool:
    """A Python sequence torch reads element by element (not a str/bytes, Tensor or array)."""
    from ._tensor import Tensor
    if isinstance(x, (list, tuple)):
        return True
    if isinstance(x, (str, bytes, Tensor, np.ndarray, np.generic)):
        return False
    return isinstance(x, (collections.abc.Sequence, collections.deque, range)) or (
        hasattr(x, "__len__") and hasattr(x, "__getitem__") and not hasattr(x, "dtype"))


def as_lists(data):
    """Nested sequences (deque, range, tuples, ...) as nested lists; leaves unchanged."""
    if isinstance(data, list) or is_sequence(data):
        return [as_lists(x) for x in data]
    return data


# ---- indices ------------------------------------------------------------------------------------

_INDEX_TUPLE_LIMIT = 32  # torch reads a longer list as one index, whatever it holds


_PLAIN_KEYS: set = set()  # index entry types that need no conversion (filled on first use)


def normalize_key(key):
    """An index as torch reads it: a list holding slices, None, Ellipsis, tensors or sequences is
    a tuple of indices (torch warns; numpy's old rule); a range or a list of ints is one index;
    numpy integer scalars are ints."""
    plain = _PLAIN_KEYS
    if not plain:
        from ._tensor import Tensor
        plain.update((int, bool, slice, type(None), type(Ellipsis), Tensor))
    tk = type(key)
    if tk in plain:  # the common keys: x[0], x[:, 1], x[i, j] cost one set lookup per entry
        return key
    if tk is tuple:
        for k in key:
            if type(k) not in plain:
                return tuple(_index_entry(k) for k in key)
        return key
    if tk is list and key and all(type(k) is int or type(k) is bool for k in key):
        return key  # x[[0, 2]], x[[True, False]]: one index, read by the indexing code itself
    from ._tensor import Tensor
    if isinstance(key, tuple):
        return tuple(_index_entry(k) for k in key)
    if is_sequence(key) and not isinstance(key, tuple):
        items = list(key)
        if len(items) < _INDEX_TUPLE_LIMIT and any(
                k is None or k is Ellipsis or isinstance(k, (slice, Tensor, np.ndarray)) or is_sequence(k)
                for k in items):
            warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated "
                          "and will be changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq].",
                          UserWarning, stacklevel=4)
            return tuple(_index_entry(k) for k in items)
    return _index_entry(key)


def _index_entry(k):
    from ._tensor import Tensor
    if isinstance(k, np.integer):
        return int(k)
    if isinstance(k, (list, range)) or (is_sequence(k) and not isinstance(k, tuple)) or \
            isinstance(k, tuple):
        flat = as_lists(k)
        arr = np.asarray(_ints(flat))
        if arr.size == 0:
            arr = arr.astype(np.int64)
        return arr
    if isinstance(k, Tensor) or k is None or k is Ellipsis or isinstance(k, slice):
        return k
    return k


def _ints(x):
    """Leaves of a nested index list as numbers (0-dim tensors read as their value)."""
    from ._tensor import Tensor
    if isinstance(x, list):
        return [_ints(e) for e in x]
    if isinstance(x, Tensor):
        if x.ndim == 0:
            return x.item()
        return np.asarray(x._data)
    return x
