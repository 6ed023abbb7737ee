"""`save`/`load` of exported programs in jtorch's own file format (never pickle).

A zip archive, every entry stored uncompressed:

    jtorch_export/header.json        format name and version, jtorch version, the program's
                                     specs, and each entry's size and sha256
    jtorch_export/program.jaxexport  `jax.export.Exported.serialize()` (StableHLO + calling info)
    jtorch_export/weights.safetensors        parameters and buffers, in program input order
    jtorch_export/example_inputs.safetensors the example inputs' tensors, in input order
    extra_files/<name>               the caller's `extra_files`

Loading reads only JSON, raw tensor bytes and the serialized program: nothing is unpickled or
executed. Sizes are checked against the file's real size before anything is allocated, and
every entry's checksum before it is parsed, so damaged files are refused with a clear error.
"""
from __future__ import annotations

import collections
import hashlib
import io
import json
import math
import os
import struct
import zipfile

import jax
import jax.numpy as jnp
import numpy as np

from .. import _safetensors

FORMAT = "jtorch-export"
FORMAT_VERSION = 1
_DIR = "jtorch_export/"
HEADER, PROGRAM = _DIR + "header.json", _DIR + "program.jaxexport"
WEIGHTS, EXAMPLES = _DIR + "weights.safetensors", _DIR + "example_inputs.safetensors"
_EXTRA = "extra_files/"


def save(ep, f, *, extra_files=None, opset_version=None, pickle_protocol=2, _kind="export") -> None:
    """Matches `torch.export.save` in jtorch's format (see the module docstring); `extra_files`
    values may be str or bytes. `opset_version`/`pickle_protocol` are ignored."""
    from .exported_program import ExportedProgram
    if not isinstance(ep, ExportedProgram):
        raise TypeError(f"The 'ep' parameter must be an instance of 'ExportedProgram', got "
                        f"'{type(ep).__name__}' instead.")
    try:
        program = bytes(ep._exp.serialize(vjp_order=1))
    except Exception:  # noqa: BLE001  (a program that has no VJP is saved without one)
        program = bytes(ep._exp.serialize())
    names = list(ep._state_dict)
    weights = _safetensors.dumps({n: t.detach() for n, t in ep._state_dict.items()})
    entries = {PROGRAM: program, WEIGHTS: weights}
    ex = ep.example_inputs
    if ex is not None:
        from . import _spec
        leaves = []
        _spec.flatten(ex, "example", leaves, [])
        entries[EXAMPLES] = _safetensors.dumps({str(i): t.detach() for i, t in enumerate(leaves)})
    for name, content in (extra_files or {}).items():
        if not isinstance(name, str) or not name or name.startswith("/") or ".." in name.split("/"):
            raise ValueError(f"extra_files: {name!r} is not a valid relative file name")
        entries[_EXTRA + name] = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    from ..version import __version__
    header = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "jtorch_version": __version__,
        "kind": _kind, "program": ep._meta, "weights": names, "has_examples": EXAMPLES in entries,
        "entries": {k: {"size": len(v), "sha256": hashlib.sha256(v).hexdigest()}
                    for k, v in entries.items()},
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr(HEADER, json.dumps(header, indent=1))
        for k, v in entries.items():
            z.writestr(k, v)
    data = buf.getvalue()
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            fh.write(data)
    else:
        f.write(data)


def load(f, *, extra_files=None, expected_opset_version=None):
    """Matches `torch.export.load` for files written by jtorch's `save` (no model code needed).
    Files written by torch (.pt2, TorchScript, torch.save), damaged files and files of a newer
    format are refused with a RuntimeError saying which they are."""
    ep, _ = read(f, extra_files, text_extras=True)
    return ep


def read(f, extra_files=None, text_extras=False):
    """(ExportedProgram, header) from a path or binary file object."""
    data = _read_bytes(f)
    z = _open_zip(data)
    header = _header(z)
    blobs = {}
    for name, info in header["entries"].items():
        blobs[name] = _entry(z, name, info)
    for name in list(extra_files or {}):
        raw = blobs.get(_EXTRA + name)
        if raw is not None:
            extra_files[name] = raw.decode("utf-8", "replace") if text_extras else raw
    try:
        exp = jax.export.deserialize(bytearray(blobs[PROGRAM]))
    except Exception as e:  # noqa: BLE001
        raise _damaged(f"its program does not deserialize ({type(e).__name__}: {e})") from None
    ep = _rebuild(exp, header, blobs)
    return ep, header


# ---- reading, with every check before use --------------------------------------------------

def _read_bytes(f) -> bytes:
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return fh.read()
    data = f.read()
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("load expects a path or a binary file object (opened with 'rb')")
    return bytes(data)


def _open_zip(data: bytes):
    if data[:1] == b"\x80":
        raise RuntimeError("This is a pickled file (torch.save's legacy format), not an exported "
                           "program: load it with torch.load; jtorch.export.load reads only "
                           "files written by jtorch.export.save / jtorch.jit.save.")
    if data[:4] != b"PK\x03\x04":
        raise RuntimeError("Not an exported program: the file is not a zip archive (truncated, "
                           "damaged, or another format). jtorch.export.load reads only files "
                           "written by jtorch.export.save / jtorch.jit.save.")
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        infos = z.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError, struct.error) as e:
        raise _damaged(f"its zip structure is broken ({e})") from None
    if HEADER not in z.namelist():
        raise RuntimeError(_foreign(z.namelist()) or "Not an exported program: the zip archive "
                           f"has no {HEADER}, so jtorch did not write it.")
    total = 0
    for i in infos:
        if i.compress_type != zipfile.ZIP_STORED or i.file_size != i.compress_size:
            raise _damaged(f"entry {i.filename!r} is compressed; jtorch writes entries stored, "
                           "so its sizes cannot be trusted")
        total += i.file_size
    if total > len(data):  # declared sizes must fit in the file's real size
        raise _damaged(f"its entries declare {total} bytes but the file has {len(data)}")
    return z


def _foreign(names) -> str | None:
    if any(n.endswith("archive_format") or "/models/" in n for n in names):
        return ("This is a PyTorch .pt2 archive written by torch.export.save; jtorch cannot run "
                "torch's exported graphs. Export the model with jtorch (load its weights into a "
                "jtorch model, then jtorch.export.export and jtorch.export.save).")
    if any(n.endswith("constants.pkl") or "/code/" in n for n in names):
        return ("This is a TorchScript archive written by torch.jit.save; jtorch has no "
                "TorchScript. Re-create the model in Python, load its state_dict, and use "
                "jtorch.jit.trace or jtorch.export.export to make a jtorch program.")
    if any(n.endswith("data.pkl") for n in names):
        return ("This is a torch.save checkpoint, not an exported program: load it with "
                "torch.load (weights_only=True).")
    return None


def _header(z):
    info = z.getinfo(HEADER)
    if info.file_size > 64 << 20:
        raise _damaged("its header is implausibly large")
    try:
        header = json.loads(z.read(HEADER).decode("utf-8"))
    except Exception as e:  # noqa: BLE001  (bad CRC, bad UTF-8, bad JSON)
        raise _damaged(f"its header is unreadable ({type(e).__name__}: {e})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise RuntimeError("Not an exported program: its header does not name the "
                           f"{FORMAT!r} format.")
    v = header.get("format_version")
    if not isinstance(v, int) or isinstance(v, bool):
        raise _damaged("its header has no format version")
    if v > FORMAT_VERSION:
        raise RuntimeError(f"This program was written by a newer jtorch "
                           f"({header.get('jtorch_version', '?')}, format version {v}); this "
                           f"jtorch reads format versions up to {FORMAT_VERSION}. Upgrade jtorch "
                           "to load it.")
    ents = header.get("entries")
    if not isinstance(ents, dict) or PROGRAM not in ents or WEIGHTS not in ents or \
            not isinstance(header.get("program"), dict) or not isinstance(header.get("weights"), list):
        raise _damaged("its header lacks the program, weights or entry list")
    return header


def _entry(z, name, info) -> bytes:
    if not isinstance(info, dict) or not isinstance(info.get("size"), int):
        raise _damaged(f"its header describes entry {name!r} wrongly")
    try:
        zi = z.getinfo(name)
    except KeyError:
        raise _damaged(f"entry {name!r} is missing") from None
    if zi.file_size != info["size"]:
        raise _damaged(f"entry {name!r} has {zi.file_size} bytes, its header says {info['size']}")
    try:
        raw = z.read(name)
    except Exception as e:  # noqa: BLE001  (CRC mismatch, truncation)
        raise _damaged(f"entry {name!r} is unreadable ({type(e).__name__}: {e})") from None
    if hashlib.sha256(raw).hexdigest() != info.get("sha256"):
        raise _damaged(f"entry {name!r} does not match its checksum")
    return raw


def _tensors(raw: bytes, what: str) -> dict:
    """Arrays from safetensors bytes, each size checked against the bytes really present."""
    if len(raw) < 8:
        raise _damaged(f"its {what} are truncated")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise _damaged(f"its {what} declare a header longer than the entry")
    try:
        head = json.loads(raw[8:8 + n].decode("utf-8"))
    except Exception:  # noqa: BLE001
        raise _damaged(f"its {what} have an unreadable header") from None
    head.pop("__metadata__", None)
    body = memoryview(raw)[8 + n:]
    out = {}
    for name, d in head.items():
        try:
            dt = _safetensors._DTYPES[d["dtype"]]
            shape = [int(s) for s in d["shape"]]
            a, b = (int(x) for x in d["data_offsets"])
        except Exception:  # noqa: BLE001
            raise _damaged(f"its {what} describe {name!r} wrongly") from None
        need = math.prod(shape) * np.dtype(dt.np).itemsize
        if any(s < 0 for s in shape) or not 0 <= a <= b <= len(body) or b - a != need:
            raise _damaged(f"its {what} give {name!r} sizes that do not fit the file")
        out[name] = (dt, np.frombuffer(body[a:b], dtype=dt.np).reshape(shape))
    return out


def _rebuild(exp, header, blobs):
    from .._tensor import Tensor
    from ..nn.parameter import Parameter
    from . import _spec
    from ._module import _Checks
    from .exported_program import ExportedProgram
    meta = header["program"]
    try:
        state, in_dtypes = meta["state"], meta["in_dtypes"]
        n_in = len(in_dtypes) + (1 if meta["rng"] else 0)
        ok = len(state) == len(header["weights"]) and len(exp.in_avals) == len(state) + n_in
        _check_spec(meta["in_spec"])
        _check_spec(meta["out_spec"])
        ok = ok and len(exp.out_avals) == meta["n_out"] + len(meta["mutated"]) + bool(meta["rng"])
        plan = meta["plan"]
        ok = ok and len(plan["dims"]) == len(plan["paths"]) == len(in_dtypes)
        _Checks(meta)
    except Exception:  # noqa: BLE001
        ok = False
    if not ok:
        raise _damaged("its specs do not match its program")
    arrays = _tensors(blobs[WEIGHTS], "weights")
    sd = collections.OrderedDict()
    for (name, kind, _), aval in zip(state, exp.in_avals):
        if name not in arrays:
            raise _damaged(f"weight {name!r} is missing")
        dt, a = arrays[name]
        if tuple(a.shape) != tuple(aval.shape) or np.dtype(dt.np) != aval.dtype:
            raise _damaged(f"weight {name!r} has shape {list(a.shape)} {dt}, the program takes "
                           f"{aval}")
        t = Tensor._from_array(jnp.asarray(a))
        sd[name] = Parameter(t, requires_grad=True) if kind == "parameter" else t
    examples = None
    if EXAMPLES in blobs:
        ex = _tensors(blobs[EXAMPLES], "example inputs")
        try:
            leaves = [Tensor._from_array(jnp.asarray(ex[str(i)][1])) for i in range(len(in_dtypes))]
            examples = _spec.unflatten(meta["in_spec"], iter(leaves))
            examples = (tuple(examples[0]), dict(examples[1]))
        except Exception:  # noqa: BLE001
            raise _damaged("its example inputs do not match its input spec") from None
    return ExportedProgram(exp, meta, sd, examples)


def _check_spec(spec):
    k = spec["k"]
    if k == "T" or k == "C":
        return
    if k not in ("tuple", "list", "dict") or not isinstance(spec["c"], list):
        raise ValueError(k)
    if k == "dict" and len(spec["keys"]) != len(spec["c"]):
        raise ValueError(k)
    for c in spec["c"]:
        _check_spec(c)


def _damaged(why: str) -> RuntimeError:
    return RuntimeError(f"The exported program file is damaged or was not written by "
                        f"jtorch.export.save: {why}. Export and save the model again.")
