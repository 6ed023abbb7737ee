"""torch.hub: the local model cache, checkpoint downloads and `hubconf.py` entry points.

Downloads use the standard library; without network they raise `urllib.error.URLError` naming
the URL and the cache path to fill by hand. `load`/`list`/`help` work for `source='local'` and
for GitHub repos already in the cache (`<hub dir>/<owner>_<repo>_<ref>`); fetching a repo is
not implemented.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from urllib.parse import urlparse  # noqa: F401  (torch.hub re-exports it)

try:
    from tqdm import tqdm  # noqa: F401  (torch.hub and torch.utils.model_zoo re-export it)
except ImportError:
    class tqdm:  # noqa: N801 - the minimal progress bar torch.hub falls back to
        """A do-nothing stand-in for `tqdm.tqdm` when tqdm is not installed."""

        def __init__(self, total=None, disable=False, unit=None, unit_scale=None, unit_divisor=None, **kw):
            self.total, self.n = total, 0

        def update(self, n):
            self.n += n

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

_hub_dir = None
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")


def _get_torch_home() -> str:
    cache = os.getenv("XDG_CACHE_HOME", os.path.join("~", ".cache"))
    return os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(cache, "torch")))


def get_dir() -> str:
    """Matches `torch.hub.get_dir`: `set_dir`'s path, else `$TORCH_HOME/hub`."""
    return _hub_dir if _hub_dir is not None else os.path.join(_get_torch_home(), "hub")


def set_dir(d) -> None:
    """Matches `torch.hub.set_dir`."""
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


def download_url_to_file(url: str, dst: str, hash_prefix: str | None = None,
                         progress: bool = True) -> None:
    """Matches `torch.hub.download_url_to_file` (no progress bar)."""
    dst = os.path.expanduser(os.fspath(dst))
    folder = os.path.dirname(os.path.abspath(dst))
    try:
        resp = urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": "jtorch"}))
    except urllib.error.URLError as e:
        raise urllib.error.URLError(
            f"{e.reason} (while downloading {url}; without network, put the file at {dst})") from e
    sha = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".partial-")
    try:
        with os.fdopen(fd, "wb") as f, resp:
            while True:
                chunk = resp.read(1 << 16)
                if not chunk:
                    break
                f.write(chunk)
                sha.update(chunk)
        if hash_prefix is not None:
            digest = sha.hexdigest()
            if digest[:len(hash_prefix)] != hash_prefix:
                raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got "{digest}")')
        shutil.move(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _check_hash(path: str, hash_prefix: str) -> None:
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            sha.update(chunk)
    digest = sha.hexdigest()
    if digest[:len(hash_prefix)] != hash_prefix:
        raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got "{digest}")')


def load_state_dict_from_url(url: str, model_dir: str | None = None, map_location=None,
                             progress: bool = True, check_hash: bool = False,
                             file_name: str | None = None, weights_only: bool = False):
    """Matches `torch.hub.load_state_dict_from_url`: a cached file is used without network."""
    from .serialization import load
    model_dir = model_dir if model_dir is not None else os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    name = file_name or os.path.basename(urllib.parse.urlparse(url).path)
    cached = os.path.join(model_dir, name)
    m = HASH_REGEX.search(name)
    prefix = m.group(1) if (check_hash and m) else None
    if not os.path.exists(cached):
        sys.stderr.write(f'Downloading: "{url}" to {cached}\n')
        download_url_to_file(url, cached, prefix, progress=progress)
    return load(cached, map_location=map_location, weights_only=weights_only)


def _repo_dir(repo_or_dir: str, source: str) -> str:
    if source == "local":
        return repo_or_dir
    if source != "github":
        raise ValueError(f'Unknown source: "{source}". Allowed values: "github" | "local".')
    owner_repo, _, ref = repo_or_dir.partition(":")
    owner, _, repo = owner_repo.partition("/")
    for r in ([ref] if ref else ["main", "master"]):
        d = os.path.join(get_dir(), f"{owner}_{repo}_{r}")
        if os.path.isdir(d):
            return d
    where = os.path.join(get_dir(), f"{owner}_{repo}_{ref or 'main'}")
    raise urllib.error.URLError(
        f"jtorch does not fetch GitHub repos; clone {owner_repo} into {where} or use source='local'")


def _hubconf(repo_or_dir: str, source: str):
    path = os.path.join(_repo_dir(repo_or_dir, source), "hubconf.py")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} not found")
    spec = importlib.util.spec_from_file_location("hubconf", path)
    mod = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(path))
    try:
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(os.path.dirname(path))
    return mod


def _entry(mod, model: str):
    fn = getattr(mod, model, None)
    if not callable(fn) or model.startswith("_"):
        raise RuntimeError(f"Cannot find callable {model} in hubconf")
    return fn


def list(github: str, force_reload: bool = False, skip_validation: bool = False,  # noqa: A001
         trust_repo=None, verbose: bool = True):
    """Matches `torch.hub.list` for a cached repo (`source` is always github here)."""
    mod = _hubconf(github, "github")
    return [k for k in dir(mod) if callable(getattr(mod, k)) and not k.startswith("_")]


def help(github: str, model: str, force_reload: bool = False, skip_validation: bool = False,  # noqa: A001
         trust_repo=None):
    """Matches `torch.hub.help` for a cached repo."""
    return _entry(_hubconf(github, "github"), model).__doc__


def load(repo_or_dir: str, model: str, *args, source: str = "github", trust_repo=None,
         force_reload: bool = False, verbose: bool = True, skip_validation: bool = False, **kwargs):
    """Matches `torch.hub.load` for `source='local'` and GitHub repos already in the cache."""
    return _entry(_hubconf(repo_or_dir, source), model)(*args, **kwargs)
