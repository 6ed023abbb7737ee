"""`python -m jtorch.install_alias [--target DIR] [--uninstall]`: make `import torch` mean jtorch.

jtorch-only (torch has no such module). Writes into site-packages (or DIR):

* `torch/__init__.py`: installs the drop-in alias (`jtorch._dropin`) and becomes jtorch, so
  `import torch` works in any interpreter or notebook kernel using that site-packages,
  without `python -m jtorch`;
* `torch-<version>.dist-info`: a `torch` distribution whose version is jtorch's
  `torch.__version__` (`2.13.0+jtorch`), so `importlib.metadata.version("torch")` answers and
  pip counts torch as installed (a requirement like `torch>=2.1` does not pull real torch).
  Its RECORD lists both, so `pip uninstall torch` removes them as well as `--uninstall` does.

It refuses to write over, or remove, a real torch.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import os
import shutil
import sys
import sysconfig

MARKER = "# jtorch alias: installed by `python -m jtorch.install_alias`"

_INIT = f'''{MARKER}
# `import torch` is jtorch here. Remove with `python -m jtorch.install_alias --uninstall`
# (or `pip uninstall torch`).
import sys

del sys.modules[__name__]  # the alias puts jtorch in its place
from jtorch._dropin import install

install()
'''

_METADATA = """Metadata-Version: 2.1
Name: torch
Version: {version}
Summary: jtorch's alias for torch: `import torch` resolves to jtorch (PyTorch's API over JAX)
Requires-Dist: jtorch
"""


def _version() -> str:
    from .version import __version__
    return str(__version__)


def _dist_info(target: str) -> str:
    return os.path.join(target, f"torch-{_version()}.dist-info")


def _is_ours_pkg(path: str) -> bool:
    init = os.path.join(path, "__init__.py")
    try:
        with open(init, encoding="utf-8") as f:
            return f.readline().rstrip("\n") == MARKER and set(os.listdir(path)) <= {
                "__init__.py", "__pycache__"}
    except OSError:
        return False


def _is_ours_dist(path: str) -> bool:
    try:
        with open(os.path.join(path, "INSTALLER"), encoding="utf-8") as f:
            return f.read().strip() == "jtorch.install_alias"
    except OSError:
        return False


def _torch_entries(target: str):
    """(torch package dir or None, torch dist-info dirs) found in `target`."""
    pkg = os.path.join(target, "torch")
    dists = [os.path.join(target, n) for n in sorted(os.listdir(target))
             if n.lower().startswith("torch-") and n.endswith((".dist-info", ".egg-info"))] \
        if os.path.isdir(target) else []
    return (pkg if os.path.exists(pkg) else None), dists


def _real_torch(target: str, check_path: bool) -> str | None:
    """Where a real (non-alias) torch is, or None."""
    pkg, dists = _torch_entries(target)
    if pkg is not None and not _is_ours_pkg(pkg):
        return pkg
    for d in dists:
        if not _is_ours_dist(d):
            return d
    if check_path:
        try:
            dist = importlib.metadata.distribution("torch")
        except importlib.metadata.PackageNotFoundError:
            return None
        if (dist.read_text("INSTALLER") or "").strip() != "jtorch.install_alias":
            return str(dist.locate_file("torch"))
    return None


def install(target: str | None = None) -> str:
    """Write the alias package and dist-info into `target` (default: this interpreter's
    site-packages). Returns the directory written to.

    Raises:
        RuntimeError: a real torch is installed there (or, with no target, importable).
    """
    check_path = target is None
    target = os.path.abspath(target or sysconfig.get_paths()["purelib"])
    real = _real_torch(target, check_path)
    if real is not None:
        raise RuntimeError(f"a real torch is installed ({real}); jtorch will not install its alias "
                           "over it. Use a separate virtual environment for jtorch, or run scripts "
                           "with `python -m jtorch SCRIPT.py` instead.")
    uninstall(target)  # replace an older alias (another version) cleanly
    os.makedirs(os.path.join(target, "torch"), exist_ok=True)
    files = {os.path.join("torch", "__init__.py"): _INIT}
    dist = os.path.relpath(_dist_info(target), target)
    files[os.path.join(dist, "METADATA")] = _METADATA.format(version=_version())
    files[os.path.join(dist, "INSTALLER")] = "jtorch.install_alias\n"
    files[os.path.join(dist, "top_level.txt")] = "torch\n"
    os.makedirs(os.path.join(target, dist), exist_ok=True)
    for rel, text in files.items():
        with open(os.path.join(target, rel), "w", encoding="utf-8") as f:
            f.write(text)
    record = sorted(files) + [os.path.join(dist, "RECORD")]
    with open(os.path.join(target, dist, "RECORD"), "w", encoding="utf-8") as f:
        f.write("".join(f"{p.replace(os.sep, '/')},,\n" for p in record))
    return target


def uninstall(target: str | None = None) -> bool:
    """Remove the alias from `target` (default: site-packages); True if there was one.

    Raises:
        RuntimeError: the `torch` there is a real torch.
    """
    target = os.path.abspath(target or sysconfig.get_paths()["purelib"])
    pkg, dists = _torch_entries(target)
    if pkg is not None and not _is_ours_pkg(pkg):
        raise RuntimeError(f"{pkg} is not jtorch's alias; not removing it")
    ours = [d for d in dists if _is_ours_dist(d)]
    if pkg is not None:
        shutil.rmtree(pkg)
    for d in ours:
        shutil.rmtree(d)
    return pkg is not None or bool(ours)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m jtorch.install_alias",
                                description="Make `import torch` resolve to jtorch in this "
                                            "environment (and register a `torch` distribution).")
    p.add_argument("--target", help="directory to write into (default: site-packages)")
    p.add_argument("--uninstall", action="store_true", help="remove the alias")
    args = p.parse_args(argv)
    try:
        if args.uninstall:
            found = uninstall(args.target)
            print("jtorch alias removed" if found else "no jtorch alias installed there")
        else:
            where = install(args.target)
            print(f"jtorch alias installed in {where}: `import torch` is jtorch "
                  f"(torch {_version()} for importlib.metadata and pip)")
    except RuntimeError as e:
        print(f"jtorch.install_alias: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
