"""Storage handles: `untyped_storage()`, `Tensor.storage()` and the legacy typed storage classes
(`torch.FloatStorage`, ...). jtorch keeps storage as its owner tensor (a root tensor and its
views share it), so a storage object is a handle on that owner: reads and writes go through it."""
from __future__ import annotations

import warnings

import jax.numpy as jnp
import numpy as np


class StorageBase:
    """Matches `torch.StorageBase` as a type (the base of `UntypedStorage`)."""


class UntypedStorage(StorageBase):
    """A handle on a tensor's storage (jtorch keeps storage as its owner tensor).
    `UntypedStorage(n)` makes a new zeroed storage of n bytes."""

    def __init__(self, owner=0, *, device=None):
        if isinstance(owner, int):
            from ._tensor import Tensor
            owner = Tensor._from_array(jnp.zeros((owner,), jnp.uint8))
        self._owner = owner

    def data_ptr(self) -> int:
        from ._tensor import _fake_address
        return _fake_address(self._owner)

    def size(self) -> int:
        return self.nbytes()

    __len__ = size

    def nbytes(self) -> int:
        a = self._owner._sa
        return int(a.size) * a.dtype.itemsize

    def tolist(self) -> list:
        return np.asarray(self._owner._sa).reshape(-1).view(np.uint8).tolist()

    @property
    def device(self):
        return self._owner.device

    def is_shared(self) -> bool:
        return False

    def __eq__(self, other):
        return isinstance(other, UntypedStorage) and other._owner is self._owner

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
        from ._tensor import _fake_address
        return _fake_address(self._owner)

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
