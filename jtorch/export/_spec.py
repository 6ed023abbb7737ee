"""Input/output structure of an exported program as plain JSON (torch's pytree `TreeSpec`
role): tensors are leaves; tuples, lists and dicts nest; None, bools, numbers and strings are
constants the program was specialised to."""
from __future__ import annotations

_CONST = (type(None), bool, int, float, str)


def flatten(obj, path: str, leaves: list, paths: list):
    """The spec of `obj`; appends its tensors to `leaves` and their names to `paths`."""
    from .._tensor import Tensor
    if isinstance(obj, Tensor):
        leaves.append(obj)
        paths.append(path)
        return {"k": "T"}
    if isinstance(obj, (tuple, list)):
        kind = "list" if isinstance(obj, list) else "tuple"
        return {"k": kind, "c": [flatten(v, f"{path}[{i}]", leaves, paths) for i, v in enumerate(obj)]}
    if isinstance(obj, dict):
        keys = list(obj)
        if not all(isinstance(k, (str, int)) and not isinstance(k, bool) for k in keys):
            raise TypeError(f"export: dict keys must be str or int, got {keys!r} at {path}")
        return {"k": "dict", "keys": keys, "c": [flatten(obj[k], f"{path}[{k!r}]", leaves, paths)
                                                 for k in keys]}
    if isinstance(obj, _CONST):
        return {"k": "C", "v": obj}
    raise TypeError(f"export: {path} is a {type(obj).__name__}; exported programs take and return "
                    "tensors, tuples, lists, dicts and Python constants")


def unflatten(spec, it):
    """Rebuild the structure of `spec`, taking tensors from iterator `it`."""
    k = spec["k"]
    if k == "T":
        return next(it)
    if k == "C":
        return spec["v"]
    if k == "dict":
        return {key: unflatten(c, it) for key, c in zip(spec["keys"], spec["c"])}
    vals = [unflatten(c, it) for c in spec["c"]]
    return vals if k == "list" else tuple(vals)


def flatten_call(names, args, kwargs):
    """(spec, tensors, paths) of a call's inputs, named by forward's parameter names."""
    leaves, paths = [], []
    a = [flatten(v, names[i] if i < len(names) else f"args[{i}]", leaves, paths)
         for i, v in enumerate(args)]
    kw = {k: flatten(v, k, leaves, paths) for k, v in kwargs.items()}
    spec = {"k": "tuple", "c": [{"k": "tuple", "c": a},
                                {"k": "dict", "keys": list(kw), "c": list(kw.values())}]}
    return spec, leaves, paths


def text(spec) -> str:
    """A short readable form, torch's `TreeSpec` style (`*` is a tensor)."""
    k = spec["k"]
    if k == "T":
        return "*"
    if k == "C":
        return repr(spec["v"])
    if k == "dict":
        return "{" + ", ".join(f"{key!r}: {text(c)}" for key, c in zip(spec["keys"], spec["c"])) + "}"
    inner = ", ".join(text(c) for c in spec["c"])
    return f"[{inner}]" if k == "list" else f"({inner}{',' if len(spec['c']) == 1 else ''})"
