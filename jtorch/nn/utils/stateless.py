"""Calling a module with substitute parameters and buffers. Matches `torch.nn.utils.stateless`."""
from __future__ import annotations

import contextlib
from collections.abc import Sequence


def _untie(module, values: dict) -> dict:
    """Give every name of a tied tensor the value passed for any one of its names."""
    names_of = {}
    for name, t in (*module.named_parameters(remove_duplicate=False),
                    *module.named_buffers(remove_duplicate=False)):
        names_of.setdefault(id(t), set()).add(name)
    tied = {n: group for group in names_of.values() if len(group) > 1 for n in group}
    given = [n for n in values if n in tied]
    for n in given:
        group = tied[n]
        if len(group & set(given)) > 1 and len({id(values[g]) for g in group if g in values}) != 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(group)}, "
                             "which are tied. Consider using tie_weights=False")
    out = dict(values)
    for n in given:
        for other in tied[n]:
            out[other] = values[n]
    return out


def _slot(module, name: str):
    path, _, attr = name.rpartition(".")
    return module.get_submodule(path), attr


@contextlib.contextmanager
def _reparametrize_module(module, values: dict, tie_weights: bool = False, strict: bool = False):
    if tie_weights:
        values = _untie(module, values)
    if strict:
        known = {n for n, _ in (*module.named_parameters(remove_duplicate=False),
                                *module.named_buffers(remove_duplicate=False))}
        unexpected = [k for k in values if k not in known]
        missing = [k for k in sorted(known) if k not in values]
        msgs = []
        if unexpected:
            msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if msgs:
            raise RuntimeError("Error(s) in reparametrizing for {}:\n\t{}".format(
                module._get_name(), "\n\t".join(msgs)))
    saved = []  # (store, key, old value) in the order swapped; store is a dict or a module
    try:
        for name, value in values.items():
            mod, attr = _slot(module, name)
            for store in (mod._parameters, mod._buffers):
                if attr in store:
                    saved.append((store, attr, store[attr]))
                    store[attr] = value  # bypasses the Parameter type check on purpose
                    break
            else:
                had = attr in mod.__dict__
                saved.append((mod, attr, mod.__dict__.get(attr) if had else _MISSING))
                object.__setattr__(mod, attr, value)
        yield
    finally:
        for store, key, old in reversed(saved):
            if isinstance(store, dict):
                store[key] = old
            elif old is _MISSING:
                object.__delattr__(store, key)
            else:
                object.__setattr__(store, key, old)


_MISSING = object()


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """Matches `torch.func.functional_call` / `torch.nn.utils.stateless.functional_call`."""
    if isinstance(parameter_and_buffer_dicts, dict):
        values = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, Sequence):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
        counts = {}
        for d in parameter_and_buffer_dicts:
            for k in d:
                counts[k] = counts.get(k, 0) + 1
        repeated = [k for k, n in counts.items() if n > 1]
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional "
                             "call is ambiguous")
        values = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of "
                         f"dicts, but got {type(parameter_and_buffer_dicts)}")
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, values, tie_weights=tie_weights, strict=strict):
        return module(*args, **kwargs)
