"""Trace-time type promotion: torch.result_type computed from the avals the op body receives.

A Tensor reaches an op body as a strongly typed array; a Python number as a weakly typed
scalar (that is how jax.jit passes Python scalars), which is exactly torch's "wrapped number".
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from . import _dtype as D


def _kind_dtype(x):
    """(torch dtype, kind) of one value; kind 2 = dimensioned tensor, 1 = 0-dim, 0 = Python number."""
    if isinstance(x, (bool, int, float, complex)):
        return D.scalar_dtype(x), 0
    aval = jax.typeof(x) if hasattr(jax, "typeof") else jax.core.get_aval(x)
    if getattr(aval, "weak_type", False):
        d = D.from_np(aval.dtype)
        cat = d.category
        if cat == D.FLOAT:
            d = D.get_default_dtype()
        elif cat == D.COMPLEX:
            d = D.default_complex()
        elif cat == D.INT:
            d = D.int64
        return d, 0
    return D.from_np(aval.dtype), 2 if aval.ndim else 1


def is_wrapped_number(x) -> bool:
    """Whether `x` came from a Python number (torch's "wrapped number"), not a Tensor."""
    return _kind_dtype(x)[1] == 0


def result_dtype(values) -> D.dtype:
    return D.result_type_of([_kind_dtype(v) for v in values])


def cast(x, d: D.dtype):
    if isinstance(x, (bool, int, float, complex)):
        return jnp.asarray(x, d.np)
    if x.dtype != d.np or getattr(getattr(x, "aval", None), "weak_type", False):
        return jnp.asarray(x, d.np) if x.dtype == d.np else x.astype(d.np)
    return x


def promote(kind: str, bound, value_names):
    """Cast the value arguments of `bound` in place according to the promotion kind."""
    flat = []
    for n in value_names:
        v = bound.arguments.get(n)
        if v is None:
            continue
        if isinstance(v, (list, tuple)):
            flat.extend(e for e in v if e is not None)
        else:
            flat.append(v)
    if not flat:
        return
    d = result_dtype(flat)
    if kind == "float" and d.category < D.FLOAT:
        d = D.get_default_dtype()
    for n in value_names:
        v = bound.arguments.get(n)
        if v is None:
            continue
        if isinstance(v, (list, tuple)):
            bound.arguments[n] = type(v)(None if e is None else cast(e, d) for e in v)
        else:
            bound.arguments[n] = cast(v, d)



def promote_args(kind: str, *values):
    """Cast values to their torch result dtype (inside an op body, at trace time)."""
    d = result_dtype(values)
    if kind == "float" and d.category < D.FLOAT:
        d = D.get_default_dtype()
    return [cast(v, d) for v in values]
