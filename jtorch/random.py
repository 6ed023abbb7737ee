"""Random numbers: a stateful Generator over a JAX PRNG key, and the default generator.

Streams are reproducible within jtorch for a given seed; they are not PyTorch's streams.
Each draw runs one compiled function that returns (next key, sample).
"""
from __future__ import annotations

import contextlib
import functools
import math
import os
import threading
import time

import jax
import jax.numpy as jnp
import numpy as np

from ._checks import check_alloc


_DEFAULT_SEED = 67280421310721
_BUCKETED = frozenset(("uniform", "normal", "randint", "exponential"))


@functools.partial(jax.jit, static_argnums=(1, 2, 3))
def _draw(key, kind, shape, dtype, *params):
    key, sub = jax.random.split(key)
    if kind == "uniform":
        lo, hi = params
        x = jax.random.uniform(sub, shape, dtype, 0.0, 1.0) * (hi - lo) + lo
    elif kind == "normal":
        mean, std = params
        x = jax.random.normal(sub, shape, dtype) * std + mean
    elif kind == "randint":
        lo, hi = params
        x = jax.random.randint(sub, shape, lo, hi, dtype)
    elif kind == "bernoulli":
        (p,) = params
        x = (jax.random.uniform(sub, shape, jnp.float32 if p.dtype != jnp.float64 else jnp.float64) < p).astype(dtype)
    elif kind == "perm":
        x = jax.random.permutation(sub, shape[0]).astype(dtype)
    elif kind == "exponential":
        (lam,) = params
        x = jax.random.exponential(sub, shape, dtype) / lam
    elif kind == "categorical":
        logp, n = params[0], shape[-1]
        x = jax.random.categorical(sub, logp, axis=-1, shape=(n,) + logp.shape[:-1])
        x = jnp.moveaxis(x, 0, -1).astype(dtype)
    elif kind == "gumbel_topk":
        (logp,) = params
        g = jax.random.gumbel(sub, logp.shape, logp.dtype)
        x = jnp.argsort(-(logp + g), axis=-1)[..., :shape[-1]].astype(dtype)
    else:
        raise AssertionError(kind)
    return key, x


_TRACED = threading.local()  # per thread: {id(generator): traced key} while jtorch.compile traces


@contextlib.contextmanager
def traced_keys(gens):
    """While a thread traces a compiled function, the keys it draws from and advances are its
    own (other threads keep using and advancing the real keys)."""
    prev = _TRACED.__dict__.get("keys")
    _TRACED.keys = {id(g): g._key for g in gens}
    try:
        yield
    finally:
        _TRACED.keys = prev


class Generator:
    """Matches `torch.Generator` (a JAX PRNG key that advances on every draw)."""

    def __init__(self, device="cpu"):
        self.device = device
        self._seed = _DEFAULT_SEED
        self._k = None

    # The key array is made on first use: creating it at import would start JAX's backend, and
    # `jax.distributed.initialize` (torch.distributed.init_process_group) must come before that.
    @property
    def _key(self):
        ov = _TRACED.__dict__.get("keys")
        if ov is not None and id(self) in ov:  # this thread is tracing a compiled function
            return ov[id(self)]
        if self._k is None:
            u = self._seed
            self._k = jax.random.PRNGKey(u - 2**64 if u >= 2**63 else u)
        return self._k

    @_key.setter
    def _key(self, key):
        ov = _TRACED.__dict__.get("keys")
        if ov is not None and id(self) in ov:
            ov[id(self)] = key
            return
        self._k = key

    def manual_seed(self, seed) -> "Generator":
        self._seed = int(seed) % 2**64  # torch takes any 64-bit seed; JAX's key wants an int64
        self._k = None
        return self

    def seed(self) -> int:
        s = int(time.time_ns()) & 0x7FFFFFFFFFFFFFFF
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        from ._tensor import Tensor
        return Tensor._from_array(jnp.asarray(np.asarray(self._key).view(np.uint8)))

    def set_state(self, state) -> "Generator":
        a = np.asarray(state._data if hasattr(state, "_data") else state, dtype=np.uint8)
        self._key = jnp.asarray(a.view(np.uint32))
        return self

    def draw(self, kind, shape, dtype, *params):
        shape = tuple(shape)
        check_alloc(shape, dtype)
        if kind not in _BUCKETED:
            self._key, x = _draw(self._key, kind, shape, dtype, *params)
            return x
        # Draw a power-of-two-sized flat block and take the first numel values: one compiled
        # sampler serves every shape up to that size (XLA compiles a sampler in ~0.1-1 s).
        n = math.prod(shape)
        if not isinstance(n, (int, np.integer)) and jax.config.jax_threefry_partitionable:
            # A symbolic size (jtorch.compile(dynamic=True)): partitionable threefry gives the
            # same leading values for any block size, so an exact-size draw matches the stream.
            self._key, x = _draw(self._key, kind, shape, dtype, *params)
            return x
        bucket = max(16, 1 << (n - 1).bit_length())
        self._key, x = _draw(self._key, kind, (bucket,), dtype, *params)
        if isinstance(x, jax.core.Tracer):
            return x[:n].reshape(shape)
        return jnp.asarray(np.asarray(x)[:n].reshape(shape))


# As in PyTorch, a new Generator starts at the fixed default seed, but the process-wide default
# generator is seeded from the OS at start-up: unseeded programs differ from run to run.
default_generator = Generator().manual_seed(int.from_bytes(os.urandom(8), "little"))


def _gen(generator):
    return generator if generator is not None else default_generator


def manual_seed(seed) -> Generator:
    """Matches `torch.manual_seed`."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Matches `torch.seed`."""
    return default_generator.seed()


def initial_seed() -> int:
    """Matches `torch.initial_seed`."""
    return default_generator.initial_seed()


def get_rng_state():
    """Matches `torch.get_rng_state` (the state is jtorch's key, as uint8)."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    """Matches `torch.set_rng_state`."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type="cuda"):
    """Matches `torch.random.fork_rng`: the default generator's state is restored on exit."""
    if not enabled:
        yield
        return
    key, s = default_generator._key, default_generator._seed
    try:
        yield
    finally:
        default_generator._key, default_generator._seed = key, s
