"""torch.device over JAX devices: 'cpu' -> JAX CPU, 'cuda[:N]' -> JAX GPU N."""
from __future__ import annotations

import functools

import jax


class device:
    """Matches `torch.device`."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int):
            type, index = "cuda", type
        elif ":" in type:
            type, idx = type.split(":", 1)
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda", "mps", "xla", "tpu", "meta"):
            raise RuntimeError(f"Expected one of cpu, cuda, xla, tpu, mps, meta device type at start "
                               f"of device string: {type}")
        self.type = type
        self.index = index

    def __repr__(self):
        return f"device(type='{self.type}'" + (f", index={self.index})" if self.index is not None else ")")

    def __str__(self):
        return self.type + (f":{self.index}" if self.index is not None else "")

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))

    def __enter__(self):
        """`with torch.device(d):` factories and new modules default to `d` inside the block."""
        from ._config_fns import _state, set_default_device
        _CONTEXT.append(_state["device"])
        set_default_device(self)
        return self

    def __exit__(self, *exc):
        from ._config_fns import set_default_device
        set_default_device(_CONTEXT.pop())
        return False


_CONTEXT = []  # default devices to restore when `with device(...)` blocks exit


@functools.lru_cache(None)
def _jax_devices(kind):
    # this process's devices: with one process per rank (jax.distributed), jax.devices() also
    # lists the other ranks' devices, and "cpu"/"cuda:0" mean this rank's own, as in torch
    try:
        return jax.local_devices(backend=kind)
    except RuntimeError:
        return []


def _gpus():
    return _jax_devices("gpu")


_CPU = device("cpu")
_META = device("meta")


def device_of(a) -> device:
    try:
        devs = a.devices()
    except Exception:  # tracers have no device; meta arrays are shapes only
        from ._meta import MetaArray
        return _META if type(a) is MetaArray else _CPU
    d = next(iter(devs))
    if d.platform == "cpu":
        return _CPU
    return device("cuda", d.id) if d.platform == "gpu" else device("xla", d.id)


def jax_device(dev):
    dev = device(dev) if not isinstance(dev, device) else dev
    if dev.type == "cpu":
        return _jax_devices("cpu")[0]
    if dev.type == "cuda":
        g = _gpus()
        if not g:
            raise AssertionError("Torch not compiled with CUDA enabled (jtorch: JAX sees no GPU here; "
                                 "use device='cpu' or check torch.cuda.is_available() first)")
        return g[dev.index or 0]
    if dev.type in ("xla", "tpu"):
        tp = _jax_devices("tpu") or jax.local_devices()
        return tp[dev.index or 0]
    raise RuntimeError(f"jtorch has no backend for device type {dev.type!r}")


def put(a, dev):
    return jax.device_put(a, jax_device(dev))


def move(t, dev):
    """Tensor.to(device): a copy on another device, or `t` itself if it is already there."""
    from ._meta import MetaArray
    a = t._data
    meta = device(dev).type == "meta"
    if meta or type(a) is MetaArray:
        if not meta:
            raise NotImplementedError("Cannot copy out of meta tensor; no data!")
        if type(a) is MetaArray:
            return t
        return type(t)._from_array(MetaArray(a.shape, a.dtype))  # no grad_fn
    target = jax_device(dev)
    if isinstance(a, jax.core.Tracer) or target in a.devices():
        return t
    from . import _dispatch
    return _dispatch.call_fn(lambda x: jax.device_put(x, target), [t], "ToCopyBackward0")
