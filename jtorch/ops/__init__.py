"""jtorch's internal op package, and `torch.ops` under the drop-in alias.

The submodules hold jtorch's op bodies. Any other attribute is an operator namespace:
`torch.ops.aten`, `torch.ops.torchvision`, `torch.ops.<your Library's ns>` (see `jtorch._ops`).
Nothing is imported here eagerly: the dispatch point imports `ops._registry` at startup.
"""
import os as _os

_DIR = _os.path.dirname(__file__)
loaded_libraries: set = set()


def load_library(path) -> None:
    """Matches `torch.ops.load_library`: load a native library, OSError when it cannot be loaded.

    torchvision's `_C` extension is not loaded (it is built against libtorch); jtorch's own
    implementations of its ops are registered as `torch.ops.torchvision.*` instead.
    """
    import ctypes
    path = _os.fspath(path)
    parts = _os.path.normpath(path).split(_os.sep)
    if len(parts) >= 2 and parts[-2] == "torchvision" and parts[-1].startswith("_C"):
        from .. import _vision_ops  # noqa: F401 - registers torch.ops.torchvision.*
    else:
        try:
            ctypes.CDLL(path)
        except OSError as e:
            raise OSError(f"Could not load this library: {path}") from e
    loaded_libraries.add(path)


def import_module(module: str) -> None:
    """Matches `torch.ops.import_module` (imports a Python module that registers ops)."""
    import importlib
    importlib.import_module(module)


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(f"module 'jtorch.ops' has no attribute '{name}'")
    if _os.path.exists(_os.path.join(_DIR, name + ".py")):  # a submodule not imported yet
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    if name == "torchvision":
        from .. import _vision_ops  # noqa: F401 - registers the ops on first use
    from .. import _ops
    return _ops.namespace(name)
