"""save/load: PyTorch's checkpoint formats, written and read with zipfile + pickle (no torch).

A zip checkpoint holds `<archive>/data.pkl` (protocol-2 pickle whose tensors refer to storages
by persistent id `("storage", torch.<X>Storage, key, location, numel)`), one raw little-endian
record `data/<key>` per storage (64-byte aligned), and `byteorder`, `version`,
`.format_version`, `.storage_alignment`, `.data/serialization_id`, as torch 2.x writes them.
jtorch's views share their owner's storage, so a view is saved as (storage, offset, size,
stride) over its owner and loaded back as a view of one owner tensor: sharing survives.
"""
from __future__ import annotations

import _compat_pickle
import collections
import io
import itertools
import math
import os
import pickle
import secrets
import struct
import sys
import tempfile
import time
import types
import warnings
import zipfile

import numpy as np

from . import _dtype as D, _shape
from ._device import device as _device_cls, device_of, put as _put
from ._tensor import Size, Tensor
from ._weights_only import (ALLOWED_NAMES, add_safe_globals, clear_safe_globals,  # noqa: F401
                            get_safe_globals, refuse, safe_globals, user_allowed)
from .autograd.grad_mode import no_grad

DEFAULT_PROTOCOL = 2
_ALIGN = 64
_STORAGE_NAMES = {"bool": "BoolStorage", "uint8": "ByteStorage", "int8": "CharStorage",
                  "int16": "ShortStorage", "int32": "IntStorage", "int64": "LongStorage",
                  "float16": "HalfStorage", "bfloat16": "BFloat16Storage",
                  "float32": "FloatStorage", "float64": "DoubleStorage",
                  "complex64": "ComplexFloatStorage", "complex128": "ComplexDoubleStorage"}
_STORAGE_DTYPES = {v: D._NAMES[k] for k, v in _STORAGE_NAMES.items()}


# ---- pickling a tensor outside save() (pickle.dumps, copy.copy, multiprocessing) -------------

def _reduce_tensor(t: Tensor):
    """`Tensor.__reduce_ex__`: a root pickles its bytes; a view pickles its owner plus its
    (size, stride, offset), so views pickled together still share storage after unpickling."""
    state = {k: v for k, v in vars(t).items() if not k.startswith("_")}
    owner = t._owner()
    # a root, a root that became a view of its own storage (t_()), or a reinterpreting view (.real)
    if t._st is None or t._st is t or t.dtype is not owner.dtype:
        a = np.asarray(t._concrete("pickle"))
        return (_rebuild_root, (type(t), a.tobytes(), t.dtype.name, a.shape, t.requires_grad, state,
                                str(device_of(t._data))))
    shape, stride, offset = t._meta()
    return (_rebuild_view, (owner, shape, stride, offset, t.requires_grad))


def _rebuild_root(cls, data, dtype, shape, requires_grad, state=None, device="cpu"):
    a = np.frombuffer(data, D._NAMES[dtype].np).reshape(shape)
    try:
        a = _put(a, device)
    except (AssertionError, RuntimeError):
        # That device is not here, e.g. a GPU tensor sent to a CPU-only DataLoader worker.
        a = _put(a, "cpu")
    t = cls._from_array(a)
    if state:
        t.__dict__.update(state)
    return _grad(t, requires_grad)


def _rebuild_view(owner, size, stride, offset, requires_grad):
    return _grad(_strided_alias(owner, size, stride, offset), requires_grad)


def _strided_alias(owner, size, stride, offset):
    """A leaf sharing `owner`'s storage, like a tensor torch rebuilds over a shared storage."""
    size, stride = tuple(size), tuple(stride)
    # Stride-0 dims are read once and broadcast (an expand view): no index array of the full size.
    flat = tuple(1 if s == 0 and n > 1 else n for n, s in zip(size, stride))
    with no_grad():
        v = _shape.as_strided(owner.detach(), flat, stride, int(offset))
        if flat != size:
            v = v.expand(size)
    return v.detach()


def _grad(t, requires_grad):
    if requires_grad:
        t.requires_grad_(True)
    return t


# ---- save ----------------------------------------------------------------------------------

class _Global:
    """A `module.name` that pickles as GLOBAL without importing it (torch need not exist)."""
    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle's save_reduce insists on a callable
        raise TypeError(f"{self.module}.{self.name} is a name in a checkpoint, not a function")


_GLOBALS: dict = {}


def _g(module, name):
    # One object per name so the pickle memo writes each GLOBAL once.
    return _GLOBALS.setdefault((module, name), _Global(module, name))


class _StorageRef:
    __slots__ = ("key", "array", "location")

    def __init__(self, key, array, location):
        self.key, self.array, self.location = key, array, location


def _contiguous_strides(size):
    out, acc = [], 1
    for n in reversed(size):
        out.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(out))


def _public_module(obj, module, name):
    """The public jtorch module exporting `obj` when it is defined in a private one
    (`jtorch.nn._functional_loss.cross_entropy` -> `jtorch.nn.functional`): torch has no
    private file of that name. The public ancestor wins, then its shallowest public submodule."""
    parts = module.split(".")
    if not any(p.startswith("_") for p in parts):
        return module
    parent = ".".join(itertools.takewhile(lambda p: not p.startswith("_"), parts))
    subs = [m for m in list(sys.modules) if m.startswith(parent + ".")
            and not any(p.startswith("_") for p in m.split("."))]
    for m in [parent] + sorted(subs, key=lambda m: (m.count("."), m)):
        if _lookup(m, name) is obj:
            return m
    return module


def _lookup(module, qualname):
    out = sys.modules.get(module)
    for part in qualname.split("."):
        out = getattr(out, part, None)
    return out


class _Pickler(pickle._Pickler):
    """The pure-Python pickler, so `save` can write torch's GLOBALs and persistent ids."""

    def __init__(self, file, protocol):
        super().__init__(file, protocol)
        self.storages: dict[int, _StorageRef] = {}
        self._keep = []  # objects whose id() keys self.storages must stay alive

    def persistent_id(self, obj):
        if type(obj) is _StorageRef:
            dtype = D.from_np(obj.array.dtype)
            if dtype.name not in _STORAGE_NAMES:  # uint16.., float8: torch writes untyped bytes
                return ("storage", _g("torch.storage", "UntypedStorage"), obj.key, obj.location,
                        int(obj.array.nbytes))
            return ("storage", _g("torch", _STORAGE_NAMES[dtype.name]), obj.key, obj.location,
                    int(obj.array.size))
        return None

    def save_global(self, obj, name=None):
        # jtorch mirrors torch's module tree, so a pickled jtorch class or function (a whole
        # model) is named by its torch path: the file loads in torch, and jtorch maps it back.
        module = getattr(obj, "__module__", None) or ""
        if module == "jtorch" or module.startswith("jtorch."):
            qual = name or obj.__qualname__
            public = _public_module(obj, module, qual)
            if _lookup(public, qual) is obj:  # else pickle's own checks and errors
                self.save(_g("torch" + public[6:], qual))
                return
        super().save_global(obj, name)

    dispatch = dict(pickle._Pickler.dispatch)  # functions too reach save_global below
    dispatch[types.FunctionType] = save_global

    def save(self, obj, save_persistent_id=True):
        t = type(obj)
        if t is _Global or t is D.dtype or isinstance(obj, Tensor):
            m = self.memo.get(id(obj))
            if m is not None:
                self.write(self.get(m[0]))
                return
            if t is _Global:
                self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
                self.memoize(obj)
            elif t is D.dtype:
                self.save(_g("torch", obj.name))
            else:
                self._save_tensor(obj)
            return
        if t is Size:
            self.save_reduce(_g("torch", "Size"), (tuple(obj),), obj=obj)
        elif t is _device_cls:
            self.save_reduce(_g("torch", "device"), (str(obj),), obj=obj)
        else:
            super().save(obj, save_persistent_id)

    def _save_tensor(self, t):
        state = {k: v for k, v in vars(t).items() if not k.startswith("_")}  # user attributes
        param = _parameter_class()
        if param is not None and isinstance(t, param):
            args = (t.detach(), t.requires_grad, collections.OrderedDict())
            if state:
                self.save_reduce(_g("torch._utils", "_rebuild_parameter_with_state"), args + (state,), obj=t)
            else:
                self.save_reduce(_g("torch._utils", "_rebuild_parameter"), args, obj=t)
            return
        ref, offset, size, stride = self._storage_of(t)
        args = (ref, offset, size, stride, t.requires_grad, collections.OrderedDict())
        rebuild = _g("torch._utils", "_rebuild_tensor_v2")
        if t.dtype.name not in _STORAGE_NAMES:  # an untyped storage: the dtype goes in the record
            args, rebuild = args + (t.dtype,), _g("torch._utils", "_rebuild_tensor_v3")
        if state:  # as torch writes a tensor carrying Python attributes
            self.save_reduce(_g("torch._tensor", "_rebuild_from_type_v2"),
                             (rebuild, _g("torch", "Tensor"), args, state), obj=t)
        else:
            self.save_reduce(rebuild, args, obj=t)

    def _storage_of(self, t):
        owner = t._owner()
        shape, stride, offset = t._meta()
        if owner is not t and t.dtype is not owner.dtype:
            owner = Tensor._from_array(t._data)  # a reinterpreting view gets its own storage
            shape, stride, offset = tuple(t.shape), _contiguous_strides(t.shape), 0
        ref = self.storages.get(id(owner))
        if ref is None:
            # A root that became a view of itself (t_()) keeps its storage in _sa, not _data.
            a = owner._concrete("jtorch.save") if owner._st is None else owner._sa
            ref = _StorageRef(str(len(self.storages)), np.ascontiguousarray(np.asarray(a)).reshape(-1),
                              str(device_of(a)))
            self.storages[id(owner)] = ref
            self._keep.append(owner)
        return ref, int(offset), tuple(int(s) for s in shape), tuple(int(s) for s in stride)


def _parameter_class():
    import sys
    mod = sys.modules.get("jtorch.nn.parameter")
    return getattr(mod, "Parameter", None)


def _record(zf, name, data):
    """One stored zip record whose data starts on a 64-byte boundary (torch pads with 'FB')."""
    buf = memoryview(data).cast("B") if not isinstance(data, bytes) else data
    zinfo = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    zinfo.compress_type = zipfile.ZIP_STORED
    zinfo.file_size = len(buf)
    zip64 = len(buf) * 1.05 > zipfile.ZIP64_LIMIT
    start = zf.start_dir + 30 + len(name.encode("utf-8")) + 4 + (20 if zip64 else 0)
    pad = -start % _ALIGN
    zinfo.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    with zf.open(zinfo, "w", force_zip64=zip64) as w:
        w.write(buf)


def _write_archive(f, obj, archive, protocol):
    data = io.BytesIO()
    p = _Pickler(data, protocol)
    p.dump(obj)
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as zf:
        _record(zf, f"{archive}/data.pkl", data.getvalue())
        _record(zf, f"{archive}/.format_version", b"1")
        _record(zf, f"{archive}/.storage_alignment", str(_ALIGN).encode())
        _record(zf, f"{archive}/byteorder", b"little")
        for ref in p.storages.values():
            _record(zf, f"{archive}/data/{ref.key}", ref.array.view(np.uint8))
        _record(zf, f"{archive}/version", b"3\n")
        _record(zf, f"{archive}/.data/serialization_id",
                str(secrets.randbelow(10 ** 40)).zfill(40).encode())


def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization=True, _disable_byteorder_record=False) -> None:
    """Matches `torch.save` (zip format; files load in torch.load).

    Saving to a path writes a temporary file in the same directory and renames it over the
    target, so a failure mid-write leaves any previous file at that path intact. A path ending
    in `.safetensors` gets a safetensors file (`obj` must be a flat dict of tensors; views are
    stored as copies) instead of torch's zip format.
    """
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("jtorch.save writes only the zip format; drop "
                                  "_use_new_zipfile_serialization=False")
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        if path.endswith(".safetensors"):
            from . import _safetensors
            data = _safetensors.dumps(obj)
            _atomic_write(path, lambda fh: fh.write(data))
            return
        archive = os.path.splitext(os.path.basename(path))[0] or "archive"
        _atomic_write(path, lambda fh: _write_archive(fh, obj, archive, pickle_protocol))
    else:
        _write_archive(f, obj, "archive", pickle_protocol)


def _atomic_write(path, write):
    folder = os.path.dirname(os.path.abspath(path))
    prefix = "." + os.path.basename(path) + "."
    _remove_stale_temporaries(folder, prefix)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=".tmp")
    lock = _lock(tmp)  # held until the rename: a temporary nobody holds is a killed save's
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _new_file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    finally:
        if lock is not None:
            os.close(lock)


_STALE_S = 10.0  # a temporary untouched this long and unlocked belongs to a killed save


def _lock(tmp):
    """An exclusive flock on `tmp` through its own descriptor (None where flock is missing)."""
    try:
        import fcntl
    except ImportError:  # Windows: temporaries of killed saves are not collected
        return None
    fd = os.open(tmp, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _remove_stale_temporaries(folder, prefix):
    """Delete the temporaries of earlier saves to the same path that were killed mid-write
    (the writer's lock is gone and the file is old); a save in progress keeps its lock."""
    try:
        import fcntl
        names = [n for n in os.listdir(folder) if n.startswith(prefix) and n.endswith(".tmp")]
    except (ImportError, OSError):
        return
    now = time.time()
    for name in names:
        p = os.path.join(folder, name)
        try:
            fd = os.open(p, os.O_RDONLY)
        except OSError:
            continue
        try:
            if now - os.fstat(fd).st_mtime < _STALE_S:
                continue
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.unlink(p)
        except OSError:  # locked by a live save, or already gone
            pass
        finally:
            os.close(fd)


def _new_file_mode(path):
    # mkstemp makes 0600 files; give the result the mode a plain open() would have.
    if os.path.exists(path):
        return os.stat(path).st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


# ---- load ----------------------------------------------------------------------------------

class _StorageType:
    """What `torch.<X>Storage` unpickles to: only its dtype matters."""

    def __init__(self, dtype):
        self.dtype = dtype


class _Storage:
    """One storage record: its length is known before its bytes are read (tensor records are
    checked against it first); the bytes are read when a tensor first needs them."""
    __slots__ = ("key", "nbytes", "location", "owners")

    def __init__(self, key, nbytes, location):
        self.key, self.nbytes, self.location, self.owners = key, nbytes, location, {}


class _LocationProxy:
    """Passed to a callable map_location: `.cpu()`/`.cuda()`/`.to()` pick the device."""

    def cpu(self):
        return "cpu"

    def cuda(self, device=None, non_blocking=False):
        return "cuda" if device is None else str(_device_cls(device) if not isinstance(device, int)
                                                 else _device_cls("cuda", device))

    def to(self, device, *args, **kwargs):
        return str(device)


class _Loader:
    def __init__(self, read, map_location, nbytes=None):
        self.read, self.map_location, self.storages = read, map_location, {}
        self.nbytes = nbytes if nbytes is not None else lambda key: len(read(key))
        self.expanded = 0  # bytes materialised beyond what the storages hold (see _check_expand)

    def storage(self, pid):
        if isinstance(pid, tuple) and len(pid) == 4 and pid[0] == "module":
            return pid[1]  # legacy files name a module's class as ("module", class, file, source)
        if not isinstance(pid, tuple) or not pid or pid[0] != "storage":
            raise pickle.UnpicklingError(f"unsupported persistent id encountered: {pid!r}")
        stype, key, location = pid[1], str(pid[2]), pid[3]
        st = self.storages.get(key)
        if st is None:
            st = self.storages[key] = _Storage(key, self.nbytes(key), self._location(location))
        return st, getattr(stype, "dtype", None)

    def _location(self, location):
        ml = self.map_location
        if ml is None:
            loc = location
        elif isinstance(ml, (str, _device_cls)):
            loc = str(ml)
        elif isinstance(ml, dict):
            loc = ml.get(location, location)
        elif callable(ml):
            loc = ml(_LocationProxy(), location)
            # torch hands map_location a CPU storage: returning it unchanged means CPU
            loc = location if loc is None else "cpu" if isinstance(loc, _LocationProxy) else str(loc)
        else:
            raise TypeError(f"map_location must be a str, device, dict or callable, got {type(ml)}")
        return str(loc)

    def _array(self, st, flat):
        try:
            return _put(flat, st.location)
        except AssertionError:
            raise RuntimeError(
                f"Attempting to deserialize a tensor saved on {st.location!r}, but JAX sees no such "
                "device here. Pass map_location='cpu' (or another device) to jtorch.load.") from None

    def rebuild_tensor(self, ref, offset, size, stride, requires_grad=False, hooks=None,
                       metadata=None, dtype=None):
        if not (isinstance(ref, tuple) and len(ref) == 2 and isinstance(ref[0], _Storage)):
            raise pickle.UnpicklingError("a tensor in this checkpoint has no storage record")
        st, sdtype = ref
        dtype = dtype if dtype is not None else sdtype
        if not isinstance(dtype, D.dtype):
            raise pickle.UnpicklingError(f"invalid tensor record: dtype {dtype}")
        size, stride, offset = tuple(int(n) for n in size), tuple(int(n) for n in stride), int(offset)
        numel = st.nbytes // dtype.itemsize
        _check_record(size, stride, offset, numel)
        if 0 in size:  # no element to read: torch accepts any offset here
            empty = Tensor._from_array(self._array(st, np.zeros(0, dtype.np)))
            return _grad(_strided_alias(empty, size, stride, 0), requires_grad)
        owner = st.owners.get(dtype)
        if owner is None:
            flat = np.frombuffer(self.read(st.key), dtype.np, count=numel)
            if offset == 0 and math.prod(size) == flat.size and stride == _contiguous_strides(size):
                t = st.owners[dtype] = Tensor._from_array(self._array(st, flat.reshape(size)))
                return _grad(t, requires_grad)
            owner = st.owners[dtype] = Tensor._from_array(self._array(st, flat))
        self._check_expand(size, stride, owner.numel(), dtype)
        return _grad(_strided_alias(owner, size, stride, offset), requires_grad)

    def _check_expand(self, size, stride, numel, dtype):
        """A record whose strides overlap (an expanded tensor) can hold far more elements than
        its storage. torch loads it as a view of that storage; a JAX array has no stride-0
        layout, so jtorch would write out every element: a 1 KB file could ask for gigabytes.
        Such growth is allowed up to JTORCH_LOAD_EXPAND_LIMIT bytes per load (default 256 MiB)."""
        extra = max(0, math.prod(size) - numel) * dtype.itemsize
        if not extra:
            return
        limit = int(os.environ.get("JTORCH_LOAD_EXPAND_LIMIT", 256 << 20))
        if self.expanded + extra > limit:
            raise RuntimeError(
                f"jtorch.load: a tensor of size {list(size)} with strides {list(stride)} over a "
                f"storage of {numel} elements would take {math.prod(size) * dtype.itemsize / 2**30:.2f}"
                f" GiB: torch keeps it as a view of its storage, but JAX arrays have no overlapping "
                f"(stride-0) layout, so jtorch must copy every element. Refused beyond "
                f"JTORCH_LOAD_EXPAND_LIMIT={limit} bytes per load; raise that limit if you trust "
                f"the file and have the memory, or save the unexpanded tensor and expand it after "
                f"loading.")
        self.expanded += extra

    def rebuild_tensor_v3(self, ref, offset, size, stride, requires_grad, hooks, dtype, metadata=None):
        return self.rebuild_tensor(ref, offset, size, stride, requires_grad, hooks, metadata, dtype)


def _check_record(size, stride, offset, numel):
    """torch's RuntimeErrors for a tensor record that does not fit its storage, raised before
    anything is read or allocated."""
    if len(size) != len(stride):
        raise RuntimeError(f"unequal size length ({len(size)}) and stride length ({len(stride)})")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    if any(n < 0 for n in size):
        raise RuntimeError(f"numel: integer multiplication overflow (negative size {list(size)})")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    if 0 not in size and offset + sum((n - 1) * s for n, s in zip(size, stride)) >= numel:
        raise RuntimeError(f"Trying to resize storage that is not resizable: the checkpoint's tensor "
                           f"of size {list(size)}, strides {list(stride)} and storage offset {offset} "
                           f"reaches past its storage of {numel} elements")


def _public(state):
    # A checkpoint may restore a tensor's own attributes, never jtorch's internals.
    return {k: v for k, v in dict(state).items() if isinstance(k, str) and not k.startswith("_")}


def _rebuild_parameter(data, requires_grad, hooks=None, state=None):
    from .nn.parameter import Parameter
    p = Parameter(data, requires_grad)
    if state:
        p.__dict__.update(_public(state))
    return p


def _rebuild_from_type_v2(func, new_type, args, state):
    t = func(*args)
    if new_type is not Tensor and isinstance(new_type, type) and not isinstance(t, new_type):
        t = t.as_subclass(new_type) if hasattr(t, "as_subclass") else t
    if state:
        t.__dict__.update(_public(state if isinstance(state, dict) else state[0] or {}))
    return t


def _torch_name(module, name, loader):
    """The jtorch object for a name torch writes into checkpoints, or None."""
    if module == "torch":
        if name in D._NAMES:
            return D._NAMES[name]
        if name.endswith("Storage"):
            return _StorageType(_STORAGE_DTYPES.get(name))
        return {"Size": Size, "device": _device_cls, "Tensor": Tensor}.get(name)
    if module == "torch.storage" and name == "UntypedStorage":
        return _StorageType(None)  # the tensor record (_rebuild_tensor_v3) carries the dtype
    if module == "torch._utils":
        return {"_rebuild_tensor_v2": loader.rebuild_tensor, "_rebuild_tensor_v3": loader.rebuild_tensor_v3,
                "_rebuild_parameter": _rebuild_parameter,
                "_rebuild_parameter_with_state": _rebuild_parameter}.get(name)
    if module == "torch._tensor" and name == "_rebuild_from_type_v2":
        return _rebuild_from_type_v2
    if module == "torch.nn.parameter" and name == "Parameter":
        from .nn.parameter import Parameter
        return Parameter
    if module == "torch.serialization" and name == "_get_layout":
        from . import _layout
        return lambda layout: getattr(_layout, str(layout).removeprefix("torch."), _layout.strided)
    return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, loader, weights_only, **kwargs):
        super().__init__(file, **kwargs)
        self.loader, self.weights_only = loader, weights_only

    def find_class(self, module, name):
        module, name = _py3_name(module, name)
        obj = _torch_name(module, name, self.loader)
        if self.weights_only:
            if obj is not None or f"{module}.{name}" in ALLOWED_NAMES:
                return obj if obj is not None else super().find_class(module, name)
            allowed = user_allowed(module, name)
            if allowed is None and (module == "torch" or module.startswith("torch.")):
                allowed = user_allowed("jtorch" + module[5:], name)  # torch's name for a jtorch class
            if allowed is not None:
                return allowed
            refuse(module, name)
        if obj is not None:
            return obj
        if module == "torch" or module.startswith("torch."):
            # A module/object pickled by real torch: jtorch mirrors torch's module paths.
            try:
                return super().find_class("jtorch" + module[5:], name)
            except (ImportError, AttributeError):
                raise pickle.UnpicklingError(
                    f"the checkpoint refers to {module}.{name}, which jtorch does not provide as "
                    f"jtorch{module[5:]}.{name}") from None
        return super().find_class(module, name)

    def persistent_load(self, pid):
        return self.loader.storage(pid)


def _weights_only_from_env(weights_only):
    """torch's overrides: TORCH_FORCE_WEIGHTS_ONLY_LOAD wins over any argument,
    TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD only over an unset one (with a warning)."""
    yes = ("1", "y", "yes", "true")
    force = os.getenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "0").lower() in yes
    force_no = os.getenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0").lower() in yes
    if force and force_no:
        raise RuntimeError("Only one of TORCH_FORCE_WEIGHTS_ONLY_LOAD and "
                           "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD can be set")
    if force:
        return True
    if force_no and weights_only is None:
        warnings.warn("Environment variable TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD detected, and "
                      "`weights_only` was not passed to `jtorch.load`: using weights_only=False.",
                      stacklevel=3)
        return False
    return weights_only


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Matches `torch.load` (zip and legacy formats; `weights_only=True` by default).

    `mmap=True` is accepted; the data is read into JAX arrays either way. A safetensors file
    (recognised by its content) loads as a dict of tensors. An expanded (stride-0) tensor is
    written out in full (JAX has no stride-0 arrays), so growth past the file's storages is
    capped at JTORCH_LOAD_EXPAND_LIMIT bytes per load (default 256 MiB; RuntimeError beyond).
    """
    weights_only = _weights_only_from_env(weights_only)
    if weights_only is None:
        weights_only = pickle_module is None
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    pickle_load_args.setdefault("encoding", "utf-8")
    own = isinstance(f, (str, os.PathLike))
    fh = open(f, "rb") if own else f
    try:
        start = fh.tell()
        magic = fh.read(9)
        fh.seek(start)
        from . import _safetensors
        if _safetensors.is_safetensors(magic):
            ml = map_location if isinstance(map_location, (str, _device_cls)) else None
            return _safetensors.loads(fh.read(), ml)
        if magic[:4] == b"PK\x03\x04":
            return _load_zip(fh, map_location, weights_only, pickle_load_args)
        from ._legacy_load import load_legacy
        return load_legacy(fh, _Loader, _Unpickler, map_location, weights_only, pickle_load_args)
    finally:
        if own:
            fh.close()


def _load_zip(fh, map_location, weights_only, pickle_load_args):
    """torch's RuntimeError for a truncated or corrupt archive (zipfile raises BadZipFile,
    KeyError for a missing record, zlib/EOF errors for a cut-off one)."""
    import zlib
    try:
        return _read_zip(fh, map_location, weights_only, pickle_load_args)
    except zipfile.BadZipFile as e:
        raise RuntimeError(f"PytorchStreamReader failed reading zip archive: {e} (the file is "
                           f"truncated or not a checkpoint)") from None
    except KeyError as e:
        raise RuntimeError(f"PytorchStreamReader failed locating file: {e.args[0] if e.args else e}"
                           f" (the checkpoint is incomplete)") from None
    except (zlib.error, EOFError) as e:
        raise RuntimeError(f"PytorchStreamReader failed reading file: {e} (the checkpoint is "
                           f"corrupt)") from None


def _read_zip(fh, map_location, weights_only, pickle_load_args):
    with zipfile.ZipFile(fh) as zf:
        names = zf.namelist()
        pkl = next((n for n in names if n.endswith("/data.pkl") or n == "data.pkl"), None)
        if pkl is None:
            raise RuntimeError("not a PyTorch checkpoint: the zip file has no data.pkl record")
        prefix = pkl[:-len("data.pkl")]
        order = prefix + "byteorder"
        if order in names and zf.read(order).decode() != "little":
            raise RuntimeError("jtorch.load reads little-endian checkpoints only")
        loader = _Loader(lambda key: _read_record(zf, f"{prefix}data/{key}"), map_location,
                         lambda key: zf.getinfo(f"{prefix}data/{key}").file_size)
        up = _Unpickler(io.BytesIO(zf.read(pkl)), loader, weights_only, **pickle_load_args)
        return up.load()


def _read_record(zf, name, chunk=8 << 20):
    """A record's bytes in one buffer of its declared size, filled chunk by chunk: zipfile's
    `read` of a deflated record joins its pieces, holding the record twice."""
    info = zf.getinfo(name)
    buf = np.empty(info.file_size, np.uint8)
    with zf.open(info) as f:
        pos = 0
        while pos < info.file_size:
            piece = f.read(min(chunk, info.file_size - pos))
            if not piece:
                raise EOFError(f"record {name} ends after {pos} of {info.file_size} bytes")
            buf[pos:pos + len(piece)] = np.frombuffer(piece, np.uint8)
            pos += len(piece)
    return buf


def get_unsafe_globals_in_checkpoint(f) -> list:
    """Matches `torch.serialization.get_unsafe_globals_in_checkpoint` (zip checkpoints).

    The names `load(weights_only=True)` would refuse; found by unpickling with inert
    stand-ins, so nothing in the file runs.
    """
    from ._legacy_load import _Inert
    found = set()

    class _Names(pickle.Unpickler):
        def find_class(self, module, name):
            found.add(_py3_name(module, name))
            return _Inert  # a type, so NEWOBJ and REDUCE both make inert objects

        def persistent_load(self, pid):
            return _Inert()
    own = isinstance(f, (str, os.PathLike))
    fh = open(f, "rb") if own else f
    try:
        with zipfile.ZipFile(fh) as zf:
            pkl = next((n for n in zf.namelist() if n.endswith("data.pkl")), None)
            if pkl is None:
                raise RuntimeError("not a PyTorch checkpoint: the zip file has no data.pkl record")
            _Names(io.BytesIO(zf.read(pkl))).load()
    finally:
        if own:
            fh.close()
    return sorted(f"{m}.{n}" for m, n in found if not _is_allowed(m, n))


def _py3_name(module, name):
    # protocol-2 pickles name Python 2 modules (__builtin__.set): judge the Python 3 name
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def _is_allowed(module, name):
    if f"{module}.{name}" in ALLOWED_NAMES:
        return True
    if module == "torch" and (name in D._NAMES or name.endswith("Storage")):
        return True
    torch_name = module == "torch" or module.startswith("torch.")
    return (user_allowed(module, name) is not None
            or (torch_name and user_allowed("jtorch" + module[5:], name) is not None))

