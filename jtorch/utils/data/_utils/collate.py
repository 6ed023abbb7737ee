"""default_collate / default_convert: samples to batched tensors, as torch builds them.

Batching happens in numpy: samples are stacked with `np.stack` and the batch becomes one
JAX array (one transfer per field, not one per sample). Worker processes run the same code
with `make=Pending`, so they never touch JAX; the main process turns each `Pending` into a
tensor (`materialize`).
"""
from __future__ import annotations

import collections.abc
import re

import numpy as np

_BAD_NUMPY = re.compile(r"[SaUO]")
_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


class Pending:
    """A batched numpy array that becomes a tensor in the main process."""
    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array


def _tensor(array):
    import jax.numpy as jnp
    from .... import _dtype as D
    from ...._tensor import Tensor
    return Tensor._from_array(jnp.asarray(array, dtype=D.from_np(array.dtype).np))


def materialize(data):
    """Replace every `Pending` in a collated structure by a tensor."""
    if type(data) is Pending:
        return _tensor(data.array)
    if isinstance(data, dict):
        out = {k: materialize(v) for k, v in data.items()}
        return out if type(data) is dict else type(data)(out)
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(materialize(v) for v in data))
    if isinstance(data, (list, tuple)):
        return type(data)(materialize(v) for v in data)
    return data


def _is_tensor(x):
    from ...._tensor import Tensor
    return isinstance(x, Tensor)


def _stack_tensors(batch, make):
    shapes = [tuple(t.shape) for t in batch]
    for i, s in enumerate(shapes):
        if s != shapes[0]:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shapes[0])} "
                               f"at entry 0 and {list(s)} at entry {i}")
    if make is Pending:
        return Pending(np.stack([t.numpy(force=True) for t in batch]))
    import jtorch
    return jtorch.stack(list(batch), 0)


def _stack_numpy(arrays, make):
    shapes = [a.shape for a in arrays]
    for i, s in enumerate(shapes):
        if s != shapes[0]:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shapes[0])} "
                               f"at entry 0 and {list(s)} at entry {i}")
    return make(np.stack(arrays))


def collate(batch, make=_tensor):
    """default_collate with a choice of what a batched array becomes (tensor or Pending)."""
    elem = batch[0]
    if _is_tensor(elem):
        return _stack_tensors(batch, make)
    if isinstance(elem, np.ndarray) or isinstance(elem, np.generic):
        if _BAD_NUMPY.search(elem.dtype.str):
            raise TypeError(_ERR.format(elem.dtype))
        return _stack_numpy([np.asarray(b) for b in batch], make)
    if isinstance(elem, bool):
        return make(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return make(np.array(batch, dtype=np.int64))
    if isinstance(elem, float):
        return make(np.array(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        out = {key: collate([d[key] for d in batch], make) for key in elem}
        if type(elem) is dict:
            return out
        try:
            return type(elem)(out)
        except TypeError:
            return out
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(collate(list(s), make) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        n = len(elem)
        if any(len(b) != n for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        cols = [collate(list(s), make) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return cols
        try:
            return type(elem)(cols)
        except TypeError:
            return cols
    raise TypeError(_ERR.format(type(elem)))


def default_collate(batch):
    """Matches `torch.utils.data.default_collate`."""
    return collate(batch)


def convert(data, make=_tensor):
    """default_convert with a choice of what an array becomes (tensor or Pending)."""
    if isinstance(data, np.ndarray) or (isinstance(data, np.generic) and not isinstance(data, (np.str_, np.bytes_))):
        if _BAD_NUMPY.search(data.dtype.str):
            return data
        return make(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        out = {k: convert(v, make) for k, v in data.items()}
        if type(data) is dict:
            return out
        try:
            return type(data)(out)
        except TypeError:
            return out
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(convert(d, make) for d in data))
    if isinstance(data, tuple):
        return [convert(d, make) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([convert(d, make) for d in data])
        except TypeError:
            return [convert(d, make) for d in data]
    return data


def default_convert(data):
    """Matches `torch.utils.data.default_convert`."""
    return convert(data)
