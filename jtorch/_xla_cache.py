"""The on-disk cache of compiled XLA programs (JAX's persistent compilation cache), on by default.

Every op compiles once per input shape; a program whose shapes vary (text generation with a
growing context) compiles hundreds of small programs. JAX can keep them on disk, so a second run
of the same script compiles nothing. PyTorch's inductor also caches on disk by default.

`JTORCH_CACHE_DIR=path` moves the cache (default `$XDG_CACHE_HOME/jtorch/xla` or
`~/.cache/jtorch/xla`); `JTORCH_CACHE_DIR=0` (or empty) turns it off; a cache directory the user
already gave JAX (`jax_compilation_cache_dir`, `JAX_COMPILATION_CACHE_DIR`) is left alone.
"""
from __future__ import annotations

import os

import jax


def default_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "jtorch", "xla")


def enable() -> str | None:
    """Turn the cache on unless configured otherwise; the directory used, or None."""
    if jax.config.jax_compilation_cache_dir:
        return jax.config.jax_compilation_cache_dir
    path = os.environ.get("JTORCH_CACHE_DIR", default_dir())
    if path in ("", "0"):
        return None
    try:
        os.makedirs(path, exist_ok=True)
        if not os.access(path, os.W_OK):
            return None
    except OSError:  # read-only home, etc.: run without the cache
        return None
    jax.config.update("jax_compilation_cache_dir", path)
    # jtorch's programs are small (one op each): cache them all, not only those >= 1 s.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return path
