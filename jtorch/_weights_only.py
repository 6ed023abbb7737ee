"""The allow-list behind `load(weights_only=True)` and `add_safe_globals`.

Python's unpickler only runs code through `find_class` (GLOBAL, STACK_GLOBAL, INST, OBJ, EXT*),
so refusing every name outside the allow-list there refuses `__reduce__` payloads such as
`os.system`, `builtins.eval` or `builtins.exec`, however deeply they are nested.
"""
from __future__ import annotations

import contextlib
import pickle

# Names a checkpoint of tensors, state_dicts and plain containers needs (as PyTorch allows).
ALLOWED_NAMES = frozenset({
    "collections.OrderedDict", "collections.Counter", "builtins.set", "builtins.frozenset",
    "builtins.bytearray", "builtins.complex", "builtins.slice", "_codecs.encode",
    "torch.Size", "torch.device", "torch.Tensor", "torch.nn.parameter.Parameter",
    "torch.serialization._get_layout",
    "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3",
    "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
    "torch._tensor._rebuild_from_type_v2", "torch.storage.UntypedStorage",
})

_safe: dict[str, object] = {}


def _qualname(obj) -> str:
    return f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', getattr(obj, '__name__', ''))}"


def add_safe_globals(safe_globals: list) -> None:
    """Matches `torch.serialization.add_safe_globals` (objects, or `(obj, "module.name")` pairs)."""
    for g in safe_globals:
        if isinstance(g, tuple):
            obj, name = g
            _safe[name] = obj
        else:
            _safe[_qualname(g)] = g


def get_safe_globals() -> list:
    """Matches `torch.serialization.get_safe_globals`."""
    return list(_safe.values())


def clear_safe_globals() -> None:
    """Matches `torch.serialization.clear_safe_globals`."""
    _safe.clear()


@contextlib.contextmanager
def safe_globals(safe_globals: list):
    """Matches `torch.serialization.safe_globals`: allows the globals inside the `with` only."""
    before = dict(_safe)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _safe.clear()
        _safe.update(before)


def user_allowed(module: str, name: str):
    """The object the user allowed for `module.name`, or None."""
    return _safe.get(f"{module}.{name}")


def refuse(module: str, name: str):
    raise pickle.UnpicklingError(
        "Weights only load failed. jtorch.load uses weights_only=True by default (as PyTorch "
        "2.6+ does), which only unpickles tensors, containers and a fixed set of names. "
        f"Unsupported global: GLOBAL {module}.{name} was not an allowed global by default. "
        f"If you trust this checkpoint, allow the name with "
        f"`jtorch.serialization.add_safe_globals([{name}])` or within "
        f"`with jtorch.serialization.safe_globals([{name}]):`, or pass weights_only=False "
        "(that can run arbitrary code: only do it for files from a source you trust).")
