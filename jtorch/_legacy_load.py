"""Reading torch's legacy (pre-1.6, non-zip) checkpoint format.

Layout: pickles of a magic number, the protocol version and system info; the main pickle
(storages as persistent ids); a pickle of the storage keys; then per key an int64 element
count and the raw bytes. The main pickle comes before the bytes, so it is scanned once with
inert stand-ins to learn each storage's dtype and size, then unpickled for real.
"""
from __future__ import annotations

import io
import pickle
import struct

_MAGIC = 0x1950A86A20F9469CFC6C
_PROTOCOL = 1001


class _Inert:
    """Stands in for every global during the scan; accepts any pickle operation, runs nothing."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return _Inert()

    def __setstate__(self, state):
        pass

    def __setitem__(self, key, value):
        pass

    def append(self, value):
        pass

    def extend(self, values):
        pass

    def add(self, value):
        pass


class _NoGlobals(pickle.Unpickler):
    """The header pickles hold only numbers, strings and dicts."""

    def find_class(self, module, name):
        from ._weights_only import refuse
        refuse(module, name)


def _plain(data, kwargs):
    return _NoGlobals(data, **kwargs).load()


class _Scan(pickle.Unpickler):
    def __init__(self, file, storage_type, **kwargs):
        super().__init__(file, **kwargs)
        self.storage_type, self.found = storage_type, {}

    def find_class(self, module, name):
        if module == "torch" and name.endswith("Storage"):
            return self.storage_type(name)
        return _Inert  # a type, so NEWOBJ and REDUCE both make inert objects

    def persistent_load(self, pid):
        if pid[0] == "storage":
            self.found[str(pid[2])] = (pid[1].dtype, int(pid[4]))
            return _Inert()
        return _Inert  # ("module", class, file, source): a class


def load_legacy(fh, loader_cls, unpickler_cls, map_location, weights_only, pickle_load_args):
    from .serialization import _STORAGE_DTYPES, _StorageType
    data = io.BytesIO(fh.read())
    try:
        magic = _plain(data, pickle_load_args)
    except pickle.UnpicklingError:
        raise
    except Exception:
        magic = None
    if magic != _MAGIC:
        raise RuntimeError("Invalid magic number; corrupt file? (not a torch zip or legacy checkpoint)")
    if _plain(data, pickle_load_args) != _PROTOCOL:
        raise RuntimeError("jtorch.load: unsupported legacy checkpoint protocol version")
    _plain(data, pickle_load_args)  # sys info: sizes and byte order
    start = data.tell()
    scan = _Scan(data, lambda name: _StorageType(_STORAGE_DTYPES.get(name)), **pickle_load_args)
    scan.load()
    keys = _plain(data, pickle_load_args)
    raw = {}
    for key in keys:
        dtype, _ = scan.found[str(key)]
        (numel,) = struct.unpack("<q", data.read(8))
        raw[str(key)] = data.read(numel * dtype.itemsize)
    data.seek(start)
    loader = loader_cls(raw.__getitem__, map_location)
    return unpickler_cls(data, loader, weights_only, **pickle_load_args).load()
