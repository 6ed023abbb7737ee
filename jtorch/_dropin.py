"""The drop-in alias: `torch` and every `torch.X` module resolve to `jtorch.X`.

`install()` puts a finder first on `sys.meta_path`, so `import torch.nn.functional as F`
returns the module object `jtorch.nn.functional` and never reaches a real torch install.
`run(script, args)` runs a script under the alias (`python -m jtorch SCRIPT.py`) and turns a
missing torch API into one message naming it and the script line that used it.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import re
import runpy
import sys
import traceback

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))
# A directory holding a `torch` package that installs the alias: put first on sys.path so
# child interpreters (multiprocessing "spawn"/"forkserver") resolve `torch` to jtorch too.
SHIM_DIR = os.path.join(_PKG_DIR, "_dropin_shim")


def _target(fullname: str) -> str | None:
    if fullname == "torch":
        return "jtorch"
    if fullname.startswith("torch."):
        return "jtorch." + fullname[len("torch."):]
    return None


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        try:
            return importlib.import_module(self.target)
        except ModuleNotFoundError as e:
            if e.name and (e.name == self.target or self.target.startswith(e.name + ".")):
                torch_name = "torch" + e.name[len("jtorch"):]
                raise ModuleNotFoundError(
                    f"jtorch does not provide the module '{torch_name}' (no '{e.name}')",
                    name=spec.name) from None
            raise

    def exec_module(self, module):
        # The module is already executed (it is the jtorch module itself).
        pass


class AliasFinder(importlib.abc.MetaPathFinder):
    """Finds `torch[.X]` as the already-importable `jtorch[.X]`."""

    def find_spec(self, fullname, path=None, target=None):
        t = _target(fullname)
        if t is None:
            return None
        spec = importlib.util.spec_from_loader(fullname, _AliasLoader(t))
        # `import torch.nn` must see `torch` as a package so submodule imports search it.
        spec.submodule_search_locations = []
        return spec


def _installed() -> bool:
    return any(isinstance(f, AliasFinder) for f in sys.meta_path)


def install() -> None:
    """Resolve `torch` and its submodules to jtorch in this process (idempotent)."""
    if not _installed():
        for name in [n for n in sys.modules if n == "torch" or n.startswith("torch.")]:
            mod = sys.modules[name]
            shim = (getattr(mod, "__file__", None) or "").startswith(SHIM_DIR)
            if not shim and not getattr(mod, "__name__", "").startswith("jtorch"):
                raise RuntimeError("real torch is already imported in this process; the jtorch "
                                   "alias must be installed before anything imports torch")
        sys.meta_path.insert(0, AliasFinder())
    import jtorch
    sys.modules["torch"] = jtorch


# ---- running a script --------------------------------------------------------------------

_MOD_ATTR = re.compile(r"module '(jtorch(?:\.[\w.]+)?)' has no attribute '(\w+)'")
_OBJ_ATTR = re.compile(r"'(\w+)' object has no attribute '(\w+)'")
_IMPORT_NAME = re.compile(r"cannot import name '(\w+)' from '(jtorch(?:\.[\w.]+)?)'")
_INTERNAL = ("importlib", "runpy", os.path.join("jtorch", ""))


def _torch_name(jname: str) -> str:
    return "torch" + jname[len("jtorch"):]


def _missing_api(exc: BaseException) -> str | None:
    """The torch API a failure says jtorch lacks, or None when it is some other error."""
    msg = str(exc)
    if isinstance(exc, ModuleNotFoundError) and "jtorch does not provide" in msg:
        return re.search(r"'(torch[\w.]*)'", msg).group(1)
    if isinstance(exc, ImportError):
        m = _IMPORT_NAME.search(msg)
        return m and f"{_torch_name(m.group(2))}.{m.group(1)}"
    if isinstance(exc, AttributeError):
        m = _MOD_ATTR.search(msg)
        if m:
            return f"{_torch_name(m.group(1))}.{m.group(2)}"
        m = _OBJ_ATTR.search(msg)
        if m and m.group(1) in ("Tensor", "Parameter", "Size", "device", "dtype", "Generator"):
            return f"torch.{m.group(1)}.{m.group(2)}"
    if isinstance(exc, NotImplementedError) and "torch." in msg:
        m = re.search(r"(torch\.[\w.]+)", msg)
        return m.group(1)
    return None


def _user_frame(tb, script: str):
    """The innermost traceback frame in user code (outside jtorch and the import machinery)."""
    frames = traceback.extract_tb(tb)
    best = None
    for fr in frames:
        fn = os.path.abspath(fr.filename)
        if fn.startswith(_PKG_DIR) or fr.filename.startswith("<frozen"):
            continue
        if any(os.sep + p in fn for p in ("importlib" + os.sep, "runpy.py")):
            continue
        best = fr
    return best


def explain(exc: BaseException, script: str) -> str | None:
    """One line naming the unsupported torch API and the user's line, or None."""
    api = _missing_api(exc)
    if api is None:
        return None
    fr = _user_frame(exc.__traceback__, script)
    where = f"{fr.filename}:{fr.lineno}: {fr.line.strip() if fr.line else ''}" if fr else script
    return (f"jtorch: `{api}` is not supported by jtorch (used at {where}). "
            f"Replace that call, or run the script under real torch.")


def run(script: str, args: list[str]) -> int:
    """Run `script` as `__main__` with `sys.argv = [script, *args]` under the torch alias."""
    install()
    script_dir = os.path.dirname(os.path.abspath(script))
    sys.argv = [script] + list(args)
    # As `python SCRIPT.py` does, the script's directory is sys.path[0]. The shim follows it;
    # child interpreters get the shim and jtorch's own location through PYTHONPATH.
    sys.path[0:1] = [script_dir, SHIM_DIR]
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [SHIM_DIR, os.path.dirname(_PKG_DIR)]
        + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as e:
        code = e.code
        if code is None or isinstance(code, int):
            return code or 0
        print(code, file=sys.stderr)
        return 1
    except BaseException as e:  # noqa: BLE001 - report, then exit non-zero like python does
        # Hide the runner's and the import machinery's frames: the user's code is what matters.
        te = traceback.TracebackException(type(e), e, e.__traceback__)
        te.stack = traceback.StackSummary.from_list(
            [f for f in te.stack if f.filename != __file__ and not f.filename.startswith("<frozen")
             and not f.filename.endswith("runpy.py")])
        print("".join(te.format()), end="", file=sys.stderr)
        note = explain(e, script)
        if note:
            print(note, file=sys.stderr)
        return 1
    return 0
