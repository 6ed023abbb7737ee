"""`torch.distributed.checkpoint.save` / `load`: a state dict as a checkpoint directory.

Layout, as torch's: a directory holding `.metadata` and `__<rank>_0.distcp` files. The
formats differ from torch's (documented; neither reads the other's): `.metadata` is JSON naming
every flattened key (nested dicts and lists joined with ".", as torch's `flatten_state_dict`),
its shape and dtype and the file holding it, plus the non-tensor values; each `.distcp` is a
`jtorch.save` zip of that file's tensors. With one process per rank the state is replicated
(DDP), so rank 0 writes every tensor once (torch deduplicates replicated tensors too) and any
world size loads it. Sharded state (DTensors, FSDP2's optimizer state over process-spanning
arrays) is gathered whole before rank 0 writes it, and each rank takes its part on load: a
checkpoint written at one world size loads at any other (torch writes each rank's shards
instead; jtorch's save needs each tensor whole in memory once).
`load` writes into the given state dict in place, as torch does, and refuses missing keys and
shape mismatches (torch's `CheckpointException`).
"""
from __future__ import annotations

import json
import os

_META = ".metadata"


def _path(checkpoint_id, storage, what):
    p = checkpoint_id if checkpoint_id is not None else getattr(storage, "path", None)
    if p is None:
        raise ValueError(f"{what}: pass checkpoint_id (a directory) or a "
                         f"FileSystem{'Writer' if what == 'save' else 'Reader'}")
    return os.fspath(p)


class FileSystemWriter:
    """Matches `torch.distributed.checkpoint.FileSystemWriter` (the directory it writes to)."""

    def __init__(self, path, single_file_per_rank=True, sync_files=True, thread_count=1,
                 per_thread_copy_ahead=10_000_000, cache_staged_state_dict=False, overwrite=True):
        self.path = path


class FileSystemReader:
    """Matches `torch.distributed.checkpoint.FileSystemReader` (the directory it reads)."""

    def __init__(self, path):
        self.path = path


def _flatten(sd, prefix="", out=None):
    out = {} if out is None else out
    items = sd.items() if isinstance(sd, dict) else enumerate(sd)
    for k, v in items:
        key = f"{prefix}{k}"
        if isinstance(v, (dict, list)) and v:
            _flatten(v, key + ".", out)
        else:
            out[key] = v
    return out


def _leaves(sd, prefix=""):
    """(container, key, flattened name) for every leaf of a nested state dict, for writing back."""
    items = list(sd.items()) if isinstance(sd, dict) else list(enumerate(sd))
    for k, v in items:
        key = f"{prefix}{k}"
        if isinstance(v, (dict, list)) and v:
            yield from _leaves(v, key + ".")
        else:
            yield sd, k, key


def _full(v):
    """`v` whole on this process: a DTensor's, or any tensor over a process-spanning array's
    (FSDP's optimizer state), gathered."""
    from ..tensor import DTensor
    from ..tensor._api import _reshard
    if isinstance(v, DTensor):
        return v.full_tensor()
    if not v._data.is_fully_addressable:
        from jax.sharding import NamedSharding, PartitionSpec as P
        whole = _reshard(v._data, NamedSharding(v._data.sharding.mesh, P()))
        return type(v)._from_array(whole.addressable_data(0))
    return v


def _rank():
    from .. import distributed_c10d as c10d
    return c10d.get_rank() if c10d.is_initialized() else 0


def _barrier():
    from .. import distributed_c10d as c10d
    if c10d.is_initialized() and c10d.get_world_size() > 1:
        from .._collectives import barrier
        barrier()


def save(state_dict, *, checkpoint_id=None, storage_writer=None, planner=None,
         process_group=None, no_dist=False):
    """Matches `torch.distributed.checkpoint.save`; returns the metadata (a dict here)."""
    from ... import save as tsave
    from ..._tensor import Tensor
    path = _path(checkpoint_id, storage_writer, "save")
    flat = _flatten(state_dict)
    tensors, meta = {}, {"version": 1, "tensors": {}, "values": {}}
    for k, v in flat.items():
        if isinstance(v, Tensor):
            t = _full(v).detach()
            tensors[k] = t
            meta["tensors"][k] = {"shape": list(t.shape), "dtype": str(t.dtype).split(".")[-1],
                                  "file": "__0_0.distcp"}
        else:
            try:
                json.dumps(v)
            except TypeError:
                raise TypeError(f"dcp.save: {k!r} holds a {type(v).__name__}, which jtorch's "
                                "checkpoint cannot store (tensors, numbers, strings, None, "
                                "lists and dicts of them)") from None
            meta["values"][k] = v
    if _rank() == 0:
        os.makedirs(path, exist_ok=True)
        tsave(tensors, os.path.join(path, "__0_0.distcp"))
        with open(os.path.join(path, _META), "w") as f:
            json.dump(meta, f)
    _barrier()  # every rank returns once the checkpoint is complete
    return meta


def load(state_dict, *, checkpoint_id=None, storage_reader=None, planner=None,
         process_group=None, no_dist=False):
    """Matches `torch.distributed.checkpoint.load`: fills `state_dict` in place (errors: torch's
    `CheckpointException` holding this rank's error)."""
    path = _path(checkpoint_id, storage_reader, "load")
    try:
        _load(state_dict, path)
    except (RuntimeError, ValueError, FileNotFoundError) as e:
        from .api import CheckpointException
        raise CheckpointException("dcp.load failed", {_rank(): e}) from e


def _load(state_dict, path):
    from ... import Size, load as tload, no_grad
    from ..._tensor import Tensor
    try:
        with open(os.path.join(path, _META)) as f:
            meta = json.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(f"dcp.load: no checkpoint metadata at {path!r} (written by "
                                "jtorch's dcp.save; torch's checkpoints are not readable)") from None
    files = {}
    for holder, k, key in list(_leaves(state_dict)):
        v = holder[k]
        if isinstance(v, Tensor):
            info = meta["tensors"].get(key)
            if info is None:
                raise RuntimeError(f"Missing key in checkpoint state_dict: {key}.")
            if list(v.shape) != info["shape"]:
                raise ValueError(f"Size mismatch between saved {Size(info['shape'])!r} and "
                                 f"current: {v.shape!r} for {key}")
            if info["file"] not in files:
                files[info["file"]] = tload(os.path.join(path, info["file"]))
            src = files[info["file"]][key]
            with no_grad():
                _copy_into(v, src)
        elif key in meta["values"]:
            holder[k] = meta["values"][key]
        elif key not in meta["tensors"]:
            raise RuntimeError(f"Missing key in checkpoint state_dict: {key}.")


def _copy_into(dst, src):
    from ..tensor import DTensor, distribute_tensor
    if isinstance(dst, DTensor):
        dst.copy_(distribute_tensor(src.to(dst.dtype), dst.device_mesh, dst.placements))
    elif not dst._data.is_fully_addressable:  # laid out over processes: each keeps its part
        import jax
        import numpy as np
        host = np.asarray(src.to(dst.dtype)._data)
        arr = jax.make_array_from_callback(host.shape, dst._data.sharding, lambda i: host[i])
        dst.copy_(type(dst)._from_array(arr))
    else:
        dst.copy_(src)
