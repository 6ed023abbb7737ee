"""untyped_storage(): enough of torch.UntypedStorage for identity checks real code makes."""
from __future__ import annotations


class UntypedStorage:
    """A handle on a tensor's storage (jtorch keeps storage as its owner tensor)."""

    def __init__(self, owner):
        self._owner = owner

    def data_ptr(self) -> int:
        from ._tensor import _fake_address
        return _fake_address(self._owner)

    def size(self) -> int:
        return self.nbytes()

    def nbytes(self) -> int:
        a = self._owner._sa
        return int(a.size) * a.dtype.itemsize

    def __eq__(self, other):
        return isinstance(other, UntypedStorage) and other._owner is self._owner

    def __hash__(self):
        return id(self._owner)
