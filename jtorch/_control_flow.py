"""`torch.cond` and `torch.while_loop`: plain Python on concrete values; one `jax.lax.cond` /
`jax.lax.while_loop` when the predicate is traced (inside `jtorch.compile`), so a compiled step
keeps both branches in one program instead of retracing per branch."""
from __future__ import annotations

import jax

from . import _dispatch
from ._tensor import Tensor


def _traced(x) -> bool:
    return isinstance(x, Tensor) and isinstance(x._data, jax.core.Tracer)


def _arrays_fn(fn, operands):
    """`fn` over the operands, as a function of the tensor operands' arrays returning arrays."""
    slots = [i for i, o in enumerate(operands) if isinstance(o, Tensor)]

    def run(*arrs):
        args = list(operands)
        for i, a in zip(slots, arrs):
            args[i] = Tensor._from_array(a)
        out = fn(*args)
        return jax.tree_util.tree_map(lambda t: t._data if isinstance(t, Tensor) else t, out,
                                      is_leaf=lambda t: isinstance(t, Tensor))
    return run, [operands[i] for i in slots]


def cond(pred, true_fn, false_fn, operands=()):
    """Matches `torch.cond(pred, true_fn, false_fn, operands)`: the branch `pred` picks, called
    with `*operands`. Both branches must return the same structure of tensors (shapes, dtypes)
    when traced."""
    operands = tuple(operands) if isinstance(operands, (tuple, list)) else (operands,)
    if not isinstance(pred, Tensor):  # a Python predicate: torch just calls the branch
        return (true_fn if pred else false_fn)(*operands)
    t_run, tensors = _arrays_fn(true_fn, operands)
    f_run, _ = _arrays_fn(false_fn, operands)
    if not _traced(pred):
        # Eager: run the chosen branch as one function of the operands, so its outputs carry
        # one node named as torch's (CondAutogradOpBackward).
        run = t_run if bool(pred) else f_run
        return _dispatch.call_fn(run, tensors, name="CondAutogradOpBackward")
    p = pred._data.reshape(()).astype(bool)
    return _dispatch.call_fn(lambda *a: jax.lax.cond(p, t_run, f_run, *a), tensors,
                             name="CondAutogradOpBackward")


def while_loop(cond_fn, body_fn, carried_inputs):
    """Matches `torch.while_loop(cond_fn, body_fn, carried_inputs)`: runs `body_fn` on the carried
    values while `cond_fn` is true; returns the final carried values as a tuple. Traced, it is
    one `jax.lax.while_loop` (carried shapes and dtypes must stay fixed; no gradient)."""
    vals = tuple(carried_inputs)
    first = cond_fn(*vals)
    if not (_traced(first) or any(_traced(v) for v in vals)):
        while bool(cond_fn(*vals)):
            vals = tuple(body_fn(*vals))
        return vals
    if not all(isinstance(v, Tensor) for v in vals):
        raise RuntimeError("torch.while_loop under jtorch.compile: carried_inputs must all be "
                           "tensors (wrap Python numbers with torch.tensor)")

    def c(arrs):
        r = cond_fn(*(Tensor._from_array(a) for a in arrs))
        return (r._data if isinstance(r, Tensor) else r).reshape(()).astype(bool)

    def b(arrs):
        out = body_fn(*(Tensor._from_array(a) for a in arrs))
        return tuple(o._data.astype(a.dtype) for o, a in zip(out, arrs))

    out = jax.lax.while_loop(c, b, tuple(v._data for v in vals))
    return tuple(Tensor._from_array(a) for a in out)
