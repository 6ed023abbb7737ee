"""`export()`: a Module's forward traced once into a `jax.export` program of
(parameters, buffers, user inputs[, RNG key]) -> (user outputs, mutated buffers[, RNG key])."""
from __future__ import annotations

import jax

from .. import _compile
from .. import random as _random
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from ..compile_errors import UntraceableError
from . import _spec
from ._errors import GuardOnDataDependentSymNode, UserError, user_line
from .dynamic_shapes import _arg_names, plan

_DATA_DEPENDENT = (UntraceableError, jax.errors.ConcretizationTypeError,
                   jax.errors.TracerBoolConversionError, jax.errors.TracerIntegerConversionError,
                   jax.errors.TracerArrayConversionError)



EXPORTING = [0]  # > 0 while torch.export traces a module (torch.compiler.is_exporting)

def state_of(mod):
    """[(name, tensor, kind, persistent)] of a module's parameters then buffers (torch's order)."""
    out = [(n, p, "parameter", None) for n, p in mod.named_parameters()]
    nonpersistent = set()
    for prefix, m in mod.named_modules():
        nonpersistent |= {(f"{prefix}.{b}" if prefix else b) for b in m._non_persistent_buffers_set}
    out += [(n, b, "buffer", n not in nonpersistent) for n, b in mod.named_buffers()]
    return out


def export_module(mod, args, kwargs, dynamic_shapes, platforms, *, name="forward"):
    """(jax Exported, JSON meta, state [(name, tensor, kind, persistent)]) of `mod(*args, **kwargs)`."""
    state = state_of(mod)
    names = _arg_names(mod.forward)
    in_spec, in_tensors, in_paths = _spec.flatten_call(names, args, kwargs)
    leaves = list(zip(in_paths, [t._data for t in in_tensors]))
    dims = plan(names, args, kwargs, leaves, dynamic_shapes)
    state_specs = [jax.ShapeDtypeStruct(t.shape, t._data.dtype) for _, t, _, _ in state]
    gen = _random.default_generator

    def attempt(static, rng):
        box = {}
        pure = _pure(mod, state, in_spec, len(in_tensors), rng, box)
        specs = state_specs + dims.specs(static)
        if rng:
            specs.append(jax.ShapeDtypeStruct(gen._key.shape, gen._key.dtype))
        exp = jax.export.export(jax.jit(pure), platforms=platforms)(*specs)
        return exp, box

    def attempt_rng(static):
        exp, box = attempt(static, False)
        if box["drew"]:  # the forward draws random numbers: the key becomes an input
            exp, box = attempt(static, True)
        return exp, box

    static = frozenset()
    try:
        exp, box = attempt_rng(static)
    except _DATA_DEPENDENT as e:
        raise _data_dependent(e) from None
    except Exception as e0:  # noqa: BLE001 (which dimension caused it is found below)
        if not dims.roots:
            raise
        exp = box = None
        static = frozenset(dims.auto)  # Dim.AUTO may specialise, as torch's does
        if static:
            try:
                exp, box = attempt_rng(static)
            except _DATA_DEPENDENT as e:
                raise _data_dependent(e) from None
            except Exception as e1:  # noqa: BLE001
                e0 = e1
        if exp is None:
            raise _constraint_error(e0, dims, static, attempt_rng) from None
        for n in sorted(dims.auto):  # keep dynamic every AUTO dim the code allows (greedy)
            try:
                exp, box = attempt_rng(static - {n})
                static = static - {n}
            except Exception:  # noqa: BLE001
                pass
    meta = {
        "state": [[n, kind, persistent] for n, _, kind, persistent in state],
        "in_spec": in_spec, "in_paths": in_paths, "out_spec": box["out_spec"],
        "n_out": box["n_out"], "mutated": [state[i][0] for i in box["mutated"]],
        "rng": box["rng"], "plan": dims.describe(static), "arg_names": names[:len(args)],
        "in_dtypes": [str(t._data.dtype) for t in in_tensors],
        "platforms": list(exp.platforms), "name": name,
    }
    return exp, meta, state


def _pure(mod, state, in_spec, n_in, rng, box):
    from ..func import functional_call
    n_state = len(state)

    def pure(*flat):
        st = flat[:n_state]
        tensors = {n: Tensor._from_array(a) for (n, _, _, _), a in zip(state, st)}
        ins = [Tensor._from_array(a) for a in flat[n_state:n_state + n_in]]
        call = _spec.unflatten(in_spec, iter(ins))
        gen = _random.default_generator
        key0 = gen._key
        if rng:
            gen._key = flat[-1]
        key_in = gen._key
        _compile._TRACING[0] += 1  # factories build traced constants, value checks are skipped
        EXPORTING[0] += 1  # torch.compiler.is_exporting()
        try:
            with enable_grad():
                out = functional_call(mod, tensors, call[0], call[1])
            leaves, paths = [], []
            out_spec = _spec.flatten(out, "output", leaves, paths)
            key_out = gen._key
        finally:
            _compile._TRACING[0] -= 1
            EXPORTING[0] -= 1
            gen._key = key0
        by_name = list(tensors.values())
        mutated = [i for i, (t, a) in enumerate(zip(by_name, st))
                   if state[i][2] == "buffer" and t._data is not a]
        box.update(out_spec=out_spec, n_out=len(leaves), mutated=mutated, rng=rng,
                   drew=key_out is not key_in)
        res = [t._data for t in leaves] + [by_name[i]._data for i in mutated]
        if rng:
            res.append(key_out)
        return tuple(res)
    pure.__name__ = type(mod).__name__ + "_forward"  # the program's name in its StableHLO
    return pure


def _data_dependent(e):
    return GuardOnDataDependentSymNode(
        f"Could not guard on data-dependent expression at {user_line(e)}: Python control flow "
        "or a Python value that depends on a tensor's data (if tensor:, .item(), bool(), "
        "int()) cannot be exported, because the program must work for every input value. "
        f"Use torch.cond(pred, true_fn, false_fn, operands) or torch.where instead. "
        f"({type(e).__name__})")


def _constraint_error(err, dims, static, attempt):
    """torch's 'Constraints violated' UserError naming the dimension(s) and the user's line."""
    where, first = user_line(err), str(err).splitlines()[0] if str(err) else type(err).__name__
    live = [n for n in dims.roots if n not in static]
    culprits = []
    if len(live) > 1:
        for n in live[:6]:  # which root alone, made static, lets the trace through
            try:
                attempt(static | {n})
                culprits.append(n)
            except Exception:  # noqa: BLE001
                pass
    if not culprits:
        try:
            attempt(static | set(live))
        except Exception:  # noqa: BLE001  (fails even with static shapes: a plain model error)
            raise err from None
        culprits = live
    lines = [f"Constraints violated ({', '.join(culprits)})! The code at {where} requires:"
             f" {first}"]
    fixes = []
    for n in culprits:
        lo, hi = dims.roots[n]
        path, i, size = _first_use(dims, n)
        rng = f"{lo} <= {n}" + (f" <= {hi}" if hi != float("inf") else "")
        lines.append(f"  - Not all values of {n} = {path}.size()[{i}] in the specified range "
                     f"{rng} satisfy it; the model exports with {n} = {size} (static).")
        fixes.append(f"  {n} = {size}  (or a Dim range the code accepts, or Dim.AUTO)")
    if isinstance(err, TypeError) and "DimExpr" in str(err):
        lines.append("  (an operation there needs a concrete size: jtorch cannot yet run it with a "
                     "dynamic one)")
    elif isinstance(err, jax.errors.InconclusiveDimensionOperation):
        lines.append("  (the comparison is undecidable over the range: a min/max on the Dim may "
                     "settle it, e.g. min=2 for x[1:])")
    return UserError("\n".join(lines + ["Suggested fixes:"] + fixes))


def _first_use(dims, name):
    for (path, a), ds in zip(dims.leaves, dims.per_dim):
        for i, d in enumerate(ds):
            if d is not None and d[0] == name:
                return path, i, int(a.shape[i])
    return "?", 0, 0
