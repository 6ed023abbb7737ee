"""The on-disk cache of compiled XLA programs (JAX's persistent compilation cache), on by default.

Every op compiles once per input shape; a program whose shapes vary (text generation with a
growing context) compiles hundreds of small programs. JAX can keep them on disk, so a second run
of the same script compiles nothing. PyTorch's inductor also caches on disk by default.

`JTORCH_CACHE_DIR=path` moves the cache (default `$XDG_CACHE_HOME/jtorch/xla` or
`~/.cache/jtorch/xla`); `JTORCH_CACHE_DIR=0` (or empty) turns it off; a cache directory the user
already gave JAX (`jax_compilation_cache_dir`, `JAX_COMPILATION_CACHE_DIR`) is left alone.

The entries are native code, so the cache is guarded as ssh guards its keys:
* the directory is created owner-only (0700); one that is group/world-writable or owned by
  another user is refused with a warning (the run compiles afresh, without a disk cache);
* programs live in a subdirectory named by a hash of the jax and jaxlib versions and the XLA
  flags (JAX's entry keys add the backend version and device kind), so an upgrade or a
  different flag never reads old entries;
* each entry's SHA-256 is recorded in `manifest` when the process exits; at start-up an entry
  whose content no longer matches its recorded hash (a swapped or corrupted file) is removed
  with a warning, and one never recorded (from a killed process, or still being written when
  the last process exited) is removed silently: both are misses, compiled again. Entries
  whose inode, size and mtime are as recorded are not re-read (start-up stays ~ms).
"""
from __future__ import annotations

import atexit
import hashlib
import os
import stat
import warnings

import jax

MANIFEST = "manifest"


def default_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "jtorch", "xla")


def program_key() -> str:
    """A hash of what changes a compiled program besides the program: versions, every XLA flag,
    the platforms asked for. (JAX's own entry key adds the backend version and the devices;
    reading them here would start the backend at import.)"""
    import jaxlib
    parts = (jax.__version__, jaxlib.__version__, os.environ.get("XLA_FLAGS", ""),
             os.environ.get("JAX_PLATFORMS", ""), os.environ.get("LIBTPU_INIT_ARGS", ""))
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def unsafe_reason(path: str) -> str | None:
    """Why `path` must not hold native code run by this user, or None when it is safe."""
    st = os.stat(path)
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return f"it is owned by another user (uid {st.st_uid})"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"it is group- or world-writable (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def _owner_only_dir(path: str) -> str | None:
    """Create `path` (0700) if missing; the reason to refuse it, or None."""
    if not os.path.isdir(path):
        os.makedirs(path, mode=0o700, exist_ok=True)
    return unsafe_reason(path)


def _digest(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _stamp(st) -> str:
    return f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def _read_manifest(path: str) -> dict:
    """{entry name: (sha256, stat stamp)} as recorded."""
    try:
        with open(os.path.join(path, MANIFEST)) as f:
            return {p[0]: (p[1], p[2]) for p in (line.split() for line in f) if len(p) == 3}
    except OSError:
        return {}


def _entries(path: str) -> list:
    return [n for n in os.listdir(path) if n.endswith("-cache")]


def verify(path: str) -> dict:
    """Remove the entries of `path` whose content does not match their recorded hash, or that
    were never recorded; return the records of those kept.

    An entry whose stat (inode, size, mtime) is as recorded is not re-read. A mismatch warns
    when the file is older than the manifest (moved or swapped in: JAX never rewrites an
    entry); a newer one is a rewrite racing another process's record, removed silently."""
    recorded, kept, bad = _read_manifest(path), {}, []
    try:
        since = os.stat(os.path.join(path, MANIFEST)).st_mtime_ns
    except OSError:
        since = 0
    for name in _entries(path):
        full = os.path.join(path, name)
        try:
            st = os.stat(full)
            rec = recorded.get(name)
            ok = rec is not None and (rec[1] == _stamp(st) or _digest(full) == rec[0])
            if not ok:
                os.remove(full)
        except OSError:
            continue
        if ok:
            kept[name] = (rec[0], _stamp(st))
        elif rec is not None and st.st_mtime_ns <= since:
            bad.append(name)
    if bad:
        warnings.warn(f"jtorch: {len(bad)} compiled program(s) in the disk cache {path} did not "
                      f"match their recorded hash (modified or swapped) and were discarded; they "
                      f"will be compiled again", RuntimeWarning, stacklevel=3)
    return kept


def record(path: str, known: dict) -> None:
    """Add the entries written since start-up to the manifest (atomically). JAX writes entries
    in place: one that changes while it is read (another process writing it) is left out, and
    one finished after the manifest is newer than it, so `verify` drops it without a warning."""
    try:
        merged = _read_manifest(path)
        merged.update(known)
        for name in _entries(path):
            full = os.path.join(path, name)
            st = os.stat(full)
            if name in merged and merged[name][1] == _stamp(st):
                continue
            digest = _digest(full)
            if _stamp(os.stat(full)) == _stamp(st):  # not being written while it was read
                merged[name] = (digest, _stamp(st))
            else:
                merged.pop(name, None)
        tmp = os.path.join(path, f".{MANIFEST}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.writelines(f"{n} {d} {t}\n" for n, (d, t) in sorted(merged.items()))
        os.replace(tmp, os.path.join(path, MANIFEST))
    except OSError:  # a full or read-only disk: entries stay unrecorded, so they are misses
        pass


def enable() -> str | None:
    """Turn the cache on unless configured otherwise; the directory used, or None."""
    if jax.config.jax_compilation_cache_dir:
        return jax.config.jax_compilation_cache_dir
    root = os.environ.get("JTORCH_CACHE_DIR", default_dir())
    if root in ("", "0"):
        return None
    try:
        reason = _owner_only_dir(root)
        path = os.path.join(root, program_key())
        reason = reason or _owner_only_dir(path)
        if reason is None and not os.access(path, os.W_OK):
            return None
    except OSError:  # read-only home, etc.: run without the cache
        return None
    if reason is not None:
        warnings.warn(f"jtorch: not using the compiled-program cache {root}: {reason}. Programs "
                      f"are compiled afresh. Make it yours and private (chown, chmod 700) or set "
                      f"JTORCH_CACHE_DIR to another directory (0 turns the cache off).",
                      RuntimeWarning, stacklevel=2)
        return None
    known = verify(path)
    atexit.register(record, path, known)
    jax.config.update("jax_compilation_cache_dir", path)
    # jtorch's programs are small (one op each): cache them all, not only those >= 1 s.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return path
