"""default_collate / default_convert: samples to batched tensors, as torch builds them.

Batching happens in numpy: samples are stacked with `np.stack` and the batch becomes one
JAX array (one transfer per field, not one per sample). Worker processes run the same code
with `make=Pending`, so they never touch JAX; the main process turns each `Pending` into a
tensor (`materialize`).
"""
from __future__ import annotations

import collections.abc
import re
from multiprocessing import shared_memory

import numpy as np

_BAD_NUMPY = re.compile(r"[SaUO]")
_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


class Pending:
    """A batched numpy array that becomes a tensor in the main process.

    Sent from a worker, a large array travels through shared memory: the worker copies it
    into a new segment once, and the main process copies it out into JAX and unlinks it.
    """
    __slots__ = ("array", "shm")

    def __init__(self, array, shm=None):
        self.array, self.shm = array, shm

    def __reduce__(self):
        a = self.array
        if a is None or a.nbytes < _SHM_MIN_BYTES:
            return (Pending, (a, self.shm))
        seg = shared_memory.SharedMemory(create=True, size=a.nbytes)
        np.ndarray(a.shape, a.dtype, buffer=seg.buf)[...] = a
        seg.close()
        return (Pending, (None, (seg.name, a.shape, a.dtype)))

    def tensor(self):
        if self.shm is None:
            return _tensor(self.array)
        name, shape, dtype = self.shm
        seg = shared_memory.SharedMemory(name=name)
        try:
            view = np.ndarray(shape, dtype, buffer=seg.buf)
            t = _tensor(view, copy=True)  # the segment goes away below: JAX must not alias it
            del view
        finally:
            seg.close()
            seg.unlink()
        return t

    def release(self):
        if self.shm is not None:
            try:
                seg = shared_memory.SharedMemory(name=self.shm[0])
                seg.close()
                seg.unlink()
            except FileNotFoundError:
                pass


_SHM_MIN_BYTES = 1 << 16


def _tensor(array, copy=False):
    import jax
    import jax.numpy as jnp
    from .... import _dtype as D
    from ...._tensor import Tensor
    dtype = D.from_np(array.dtype).np
    if copy:
        return Tensor._from_array(jnp.array(array, dtype=dtype))
    # a fresh batch nobody else holds: device_put is the cheapest way in (it may alias on CPU)
    return Tensor._from_array(jax.device_put(array if array.dtype == dtype else array.astype(dtype)))


def _walk(data, leaf):
    if type(data) is Pending:
        return leaf(data)
    if isinstance(data, dict):
        out = {k: _walk(v, leaf) for k, v in data.items()}
        return out if type(data) is dict else type(data)(out)
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(_walk(v, leaf) for v in data))
    if isinstance(data, (list, tuple)):
        return type(data)(_walk(v, leaf) for v in data)
    return data


def materialize(data):
    """Replace every `Pending` in a collated structure by a tensor."""
    return _walk(data, Pending.tensor)


def release(data):
    """Free the shared memory of a collated structure that will not be used."""
    _walk(data, Pending.release)


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


# Matches torch's extension point: {type: fn(batch, *, collate_fn_map)} consulted first.
default_collate_fn_map: dict = {}


def collate(batch, make=_tensor, *, collate_fn_map=None):
    """default_collate with a choice of what a batched array becomes (tensor or Pending).

    `collate_fn_map` (default: `default_collate_fn_map`) maps a sample type to a function
    that collates a batch of it, as in torch.
    """
    elem = batch[0]
    fns = default_collate_fn_map if collate_fn_map is None else collate_fn_map
    if fns:
        fn = fns.get(type(elem)) or next((f for t, f in fns.items() if isinstance(elem, t)), None)
        if fn is not None:
            return fn(batch, collate_fn_map=fns)
    if _is_tensor(elem):
        return _stack_tensors(batch, make)
    if isinstance(elem, np.ndarray) or isinstance(elem, np.generic):
        if _BAD_NUMPY.search(elem.dtype.str):
            raise TypeError(_ERR.format(elem.dtype))
        if elem.ndim == 0 and all(np.ndim(b) == 0 for b in batch):
            return make(np.array(batch))  # numpy scalars: one call instead of a stack of views
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
        out = {key: collate([d[key] for d in batch], make, collate_fn_map=collate_fn_map) for key in elem}
        if type(elem) is dict:
            return out
        try:
            return type(elem)(out)
        except TypeError:
            return out
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(collate(list(s), make, collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        n = len(elem)
        if any(len(b) != n for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        cols = [collate(list(s), make, collate_fn_map=collate_fn_map) for s in zip(*batch)]
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
