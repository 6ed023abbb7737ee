"""safetensors files, read and written with the standard library (the package is not needed).

Layout: an 8-byte little-endian header length, a JSON header (space-padded to 8 bytes)
mapping each name to {dtype, shape, data_offsets}, plus optional "__metadata__" strings,
then the tensors' bytes back to back. Only tensors are stored, so loading runs no code.
"""
from __future__ import annotations

import json
import struct

import numpy as np

from . import _dtype as D

_CODES = {"bool": "BOOL", "uint8": "U8", "int8": "I8", "int16": "I16", "int32": "I32",
          "int64": "I64", "float16": "F16", "bfloat16": "BF16", "float32": "F32", "float64": "F64",
          "complex64": "C64"}
_DTYPES = {v: D._NAMES[k] for k, v in _CODES.items()}
MAGIC_HINT = b"{"  # the ninth byte of a safetensors file


def dumps(tensors: dict, metadata=None) -> bytes:
    """The bytes of a safetensors file holding a flat dict of tensors (views are copied)."""
    from ._tensor import Tensor
    header, chunks, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        if not isinstance(t, Tensor):
            raise ValueError(f"safetensors stores only tensors; {name!r} is a {type(t).__name__}. "
                             "Save a state_dict, or use a .pt path for arbitrary objects.")
    # larger items first keeps every tensor aligned to its own item size
    items = sorted(tensors.items(), key=lambda kv: (-kv[1].dtype.itemsize, kv[0]))
    for name, t in items:
        if t.dtype.name not in _CODES:
            raise ValueError(f"safetensors has no code for dtype {t.dtype}")
        raw = np.ascontiguousarray(np.asarray(t._concrete("jtorch.save"))).tobytes()
        header[name] = {"dtype": _CODES[t.dtype.name], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def is_safetensors(head: bytes) -> bool:
    return len(head) >= 9 and head[8:9] == MAGIC_HINT and head[:4] != b"PK\x03\x04"


def loads(data: bytes, device=None) -> dict:
    """A dict of tensors from the bytes of a safetensors file."""
    from ._device import put
    from ._tensor import Tensor
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    header.pop("__metadata__", None)
    body = memoryview(data)[8 + n:]
    out = {}
    for name, info in header.items():
        if info["dtype"] not in _DTYPES:
            raise ValueError(f"jtorch cannot load safetensors dtype {info['dtype']} ({name!r})")
        dtype = _DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        a = np.frombuffer(body[begin:end], dtype.np).reshape(info["shape"])
        out[name] = Tensor._from_array(put(a, device or "cpu"))
    return out


def metadata(data: bytes) -> dict:
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + n].decode("utf-8")).get("__metadata__", {})
