"""Checks made while an op body is traced, so they cost nothing per call:

* Python argument types of static parameters: torch's TypeError for a bool, float, string or
  None where an `int` goes (`dim=True`, `histc(bins="4")`), which a JAX body would accept
  (True is 1) or fail on deep inside. Static arguments are part of `jax.jit`'s cache key,
  compared by type as well as value (`dim=True` does not hit the entry of `dim=1`).
* None or a string given for a tensor argument: torch's TypeError, not the AttributeError
  the body raises on it.
* result sizes: an output larger than memory (`one_hot(x, 10**12)`, `tile` by 10**6 per dim)
  raises torch's RuntimeError here; XLA would abort the process when allocating it.

`install()` wraps the body of every op.
"""
from __future__ import annotations

import functools

import jax

from ._checks import check_alloc
from .ops._registry import REGISTRY

_MISSING = object()
_REFUSED = (bool, float, complex, str, bytes)


def _int_params(op):
    """(position, name, optional) of the static parameters annotated as ints."""
    out = []
    for i, p in enumerate(op.sig.parameters.values()):
        if p.name in op.static_names and p.annotation in ("int", "int | None"):
            pos = i if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) else None
            out.append((pos, p.name, p.annotation != "int" or p.default is None))
    return tuple(out)


def _guard(op, params):
    fn, name = op.fn, op.name.lstrip("_")
    leaves = jax.tree_util.tree_leaves
    names, values = tuple(op.sig.parameters), frozenset(op.value_names)

    @functools.wraps(fn)
    def checked(*args, **kwargs):
        for pos, pname, optional in params:
            v = args[pos] if pos is not None and pos < len(args) else kwargs.get(pname, _MISSING)
            if v is _MISSING or (v is None and optional):
                continue
            if v is None or isinstance(v, _REFUSED) or not hasattr(v, "__index__"):
                raise TypeError(f"{name}(): argument '{pname}' must be int, not "
                                f"{type(v).__name__}")
        try:
            out = fn(*args, **kwargs)
        except AttributeError:  # None or a string where a tensor goes: torch's TypeError
            for i, pname in enumerate(names):
                v = args[i] if i < len(args) else kwargs.get(pname, _MISSING)
                if pname in values and (v is None or isinstance(v, str)):
                    raise TypeError(f"{name}(): argument '{pname}' (position {i + 1}) must be "
                                    f"Tensor, not {type(v).__name__}") from None
            raise
        for leaf in leaves(out):
            if hasattr(leaf, "shape") and hasattr(leaf, "dtype"):
                check_alloc(leaf.shape, leaf.dtype)
        return out
    return checked


def install():
    """Wrap the op bodies (before any of them is compiled)."""
    for op in REGISTRY.values():
        op.fn = _guard(op, _int_params(op))
        op.jit_plain = op.jit_nograd = op.jit_vjp = op.jit_donate = None
