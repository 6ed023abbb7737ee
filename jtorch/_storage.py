"""Storage handles: `untyped_storage()`, `Tensor.storage()` and the legacy typed storage classes
(`torch.FloatStorage`, ...). jtorch keeps storage as its owner tensor (a root tensor and its
views share it), so a storage object is a handle on that owner: reads and writes go through it."""
from __future__ import annotations

import warnings
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from ._meta import MetaArray

# buffer address -> the storage owner that reported it (so two owners never share an address)
_ADDRESSES: "weakref.WeakValueDictionary[int, object]" = weakref.WeakValueDictionary()


def _pointer(a):
    try:
        return a.unsafe_buffer_pointer() if a.size else None
    except Exception:  # a tracer, a meta array, a deleted (donated) buffer: no address
        return None


def address(owner) -> int:
    """The host (or device) address of a storage owner's buffer: valid while the owner lives
    and its storage is not written (an in-place op may move it to a new buffer). 0 for meta
    and empty storages, as torch."""
    a = owner._sa
    if type(a) is MetaArray or a.size == 0:
        return 0
    if isinstance(a, jax.core.Tracer):
        from .compile_errors import raise_untraceable
        raise_untraceable("Tensor.data_ptr()")
    a.block_until_ready()  # the address is read by other code: the values must be there
    p = a.unsafe_buffer_pointer()
    other = _ADDRESSES.get(p)
    if other is not None and other is not owner and _pointer(other._sa) == p:
        # Two storages hold one jax buffer (jax hands an unchanged input back as the output):
        # torch code reads equal addresses as shared memory, so this one gets its own copy.
        a = owner._sa = jnp.array(a, copy=True)
        a.block_until_ready()
        p = a.unsafe_buffer_pointer()
    _ADDRESSES[p] = owner
    return p


class StorageBase:
    """Matches `torch.StorageBase` as a type (the base of `UntypedStorage`)."""


class UntypedStorage(StorageBase):
    """A handle on a tensor's storage (jtorch keeps storage as its owner tensor).
    `UntypedStorage(n)` makes a new zeroed storage of n bytes."""

    _range = None  # (start, stop) bytes of the owner's storage for a slice; None: all of it

    def __init__(self, owner=0, *, device=None):
        if isinstance(owner, int):
            from ._tensor import Tensor
            owner = Tensor._from_array(jnp.zeros((owner,), jnp.uint8))
        self._owner = owner

    @classmethod
    def from_file(cls, filename, shared=False, nbytes=0) -> "UntypedStorage":
        """Matches `torch.UntypedStorage.from_file`, except that the bytes are read into memory,
        not mapped: with `shared=True` later writes do not reach the file."""
        from ._from_bytes import from_file
        from . import uint8
        return cls(from_file(filename, shared, nbytes, dtype=uint8))

    def _span(self):
        a = self._owner._sa
        n = int(a.size) * a.dtype.itemsize
        return self._range or (0, n)

    def data_ptr(self) -> int:
        p = address(self._owner)
        return p + self._span()[0] if p else 0

    def size(self) -> int:
        return self.nbytes()

    __len__ = size

    def nbytes(self) -> int:
        start, stop = self._span()
        return stop - start

    def element_size(self) -> int:
        return 1

    def untyped(self) -> "UntypedStorage":
        return self

    def _bytes(self) -> np.ndarray:
        """The storage's bytes as a numpy uint8 array (a copy)."""
        a = self._owner._concrete("UntypedStorage")
        start, stop = self._span()
        return np.asarray(a).reshape(-1).view(np.uint8)[start:stop]

    def __getitem__(self, i):
        n = self.nbytes()
        if isinstance(i, slice):
            start, stop, step = i.indices(n)
            if step != 1:
                raise RuntimeError(f"Trying to slice with a step of {step}, but only a step of 1 "
                                   "is supported")
            s = UntypedStorage(self._owner)
            base = self._span()[0]
            s._range = (base + start, base + max(start, stop))
            return s
        if not -n <= i < n:
            raise IndexError(f"index {i} out of range for storage of size {n}")
        return int(self._bytes()[i % n])

    def tolist(self) -> list:
        return self._bytes().tolist()

    def _as_tensor(self, dtype):
        """`torch.asarray(storage, dtype=)`: the bytes read as `dtype` (a copy, not an alias)."""
        from . import _dtype as D
        from ._tensor import Tensor
        dtype = dtype or D.int64
        raw = self._bytes()
        if raw.size % dtype.itemsize:
            raise ValueError(f"buffer length ({raw.size} bytes) must be a multiple of element size "
                             f"({dtype.itemsize})")
        return Tensor._from_array(jnp.asarray(raw.view(dtype.np)))

    def __repr__(self):
        dev = self.device
        if dev.type == "meta":
            return f"...\n[torch.storage.UntypedStorage(device=meta) of size {self.nbytes()}]"
        body = "".join(f" {v}\n" for v in self.tolist())
        return f"{body}[torch.storage.UntypedStorage(device={dev}) of size {self.nbytes()}]"

    @property
    def device(self):
        return self._owner.device

    def is_shared(self) -> bool:
        return False

    def __eq__(self, other):
        return isinstance(other, UntypedStorage) and other._owner is self._owner and \
            other._range == self._range

    def __hash__(self):
        return id(self._owner)


def warn_typed():
    warnings.warn("TypedStorage is deprecated. It will be removed in the future and UntypedStorage "
                  "will be the only storage class. To access UntypedStorage directly, use "
                  "tensor.untyped_storage() instead of tensor.storage()", UserWarning, stacklevel=3)


class TypedStorage:
    """Matches `torch.TypedStorage` (deprecated in torch): a storage seen as elements of one dtype.
    `TypedStorage(n, dtype=)` or `TypedStorage(sequence, dtype=)` makes a new one."""

    _fixed = None  # the dtype of a legacy class (FloatStorage, ...)

    def __init__(self, *args, dtype=None, device=None, wrap_storage=None):
        from . import _dtype as D
        from ._tensor import Tensor
        self.dtype = self._fixed or dtype or D.get_default_dtype()
        if wrap_storage is not None:
            self._owner = wrap_storage._owner
            return
        data = args[0] if args else 0
        if isinstance(data, int):
            a = jnp.zeros((data,), self.dtype.np)
        else:
            a = jnp.asarray(np.asarray(list(data), dtype=self.dtype.np))
        self._owner = Tensor._from_array(a)

    @classmethod
    def _of(cls, owner, dtype):
        s = object.__new__(storage_class(dtype) if dtype.name in _CLASS_NAMES else cls)
        s.dtype, s._owner = dtype, owner
        return s

    def _flat(self):
        return self._owner._sa.reshape(-1)

    def size(self) -> int:
        return int(self._owner._sa.size)

    __len__ = size

    def element_size(self) -> int:
        return self.dtype.itemsize

    def nbytes(self) -> int:
        return self.size() * self.dtype.itemsize

    def tolist(self) -> list:
        return np.asarray(self._flat()).tolist()

    def __iter__(self):
        return iter(self.tolist())

    def __getitem__(self, i):
        return np.asarray(self._flat()[i]).tolist()

    def __setitem__(self, i, value):
        o = self._owner
        a = self._flat().at[i].set(value).reshape(o._sa.shape)
        if o._st is o:  # a root that became a view of its own storage (t_()): write the storage
            o._sa, o._sv = a, o._sv + 1
        else:
            o._set_array(a)

    def data_ptr(self) -> int:
        return address(self._owner)

    def untyped(self) -> UntypedStorage:
        return UntypedStorage(self._owner)

    @property
    def device(self):
        return self._owner.device

    def is_shared(self) -> bool:
        return False

    def __repr__(self):
        body = "\n".join(f" {v}" for v in self.tolist())
        return (f"{body}\n[torch.storage.TypedStorage(dtype=torch.{self.dtype.name}, "
                f"device=cpu) of size {self.size()}]").lstrip("\n")


_CLASS_NAMES = {"bool": "BoolStorage", "uint8": "ByteStorage", "int8": "CharStorage",
                "int16": "ShortStorage", "int32": "IntStorage", "int64": "LongStorage",
                "float16": "HalfStorage", "bfloat16": "BFloat16Storage", "float32": "FloatStorage",
                "float64": "DoubleStorage", "complex64": "ComplexFloatStorage",
                "complex128": "ComplexDoubleStorage"}
LEGACY = {}


def _legacy_classes():
    from . import _dtype as D
    for dname, cname in _CLASS_NAMES.items():
        cls = type(cname, (TypedStorage,), {
            "_fixed": D._NAMES[dname],
            "__doc__": f"Matches `torch.{cname}` (a TypedStorage of {dname})."})
        cls.__module__ = "jtorch"
        LEGACY[cname] = cls


_legacy_classes()


def storage_class(dtype):
    """The legacy storage class of a dtype (`Tensor.storage_type`)."""
    if dtype.name not in _CLASS_NAMES:
        raise RuntimeError(f"no legacy storage class for {dtype}")
    return LEGACY[_CLASS_NAMES[dtype.name]]


def is_storage(obj) -> bool:
    """Matches `torch.is_storage`."""
    return isinstance(obj, (TypedStorage, UntypedStorage))
