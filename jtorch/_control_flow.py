"""`torch.cond` and `torch.while_loop`: plain Python on concrete values. Inside `jtorch.compile`
(a traced predicate), `cond` runs both branches and selects with `where`, so one compiled program
serves both outcomes and gradients reach tensors the branches close over (parameters);
`while_loop` becomes one `jax.lax.while_loop`."""
from __future__ import annotations

import jax

from ._tensor import Tensor


def _traced(x) -> bool:
    return isinstance(x, Tensor) and isinstance(x._data, jax.core.Tracer)


def cond(pred, true_fn, false_fn, operands=()):
    """Matches `torch.cond(pred, true_fn, false_fn, operands)`: the branch `pred` picks, called
    with `*operands`. Eagerly only that branch runs (its ops are the result's grad_fn; torch's
    is CondAutogradOpBackward). Traced, both branches run and must return the same structure of
    same-shaped tensors, as torch requires."""
    operands = tuple(operands) if isinstance(operands, (tuple, list)) else (operands,)
    if not _traced(pred):
        return (true_fn if bool(pred) else false_fn)(*operands)
    from . import where
    p = pred.reshape(()).bool()
    t_out, f_out = true_fn(*operands), false_fn(*operands)
    is_t = lambda v: isinstance(v, Tensor)  # noqa: E731
    return jax.tree_util.tree_map(lambda a, b: where(p, a, b), t_out, f_out, is_leaf=is_t)


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
    from .autograd.grad_mode import no_grad

    def c(arrs):
        with no_grad():  # nothing inside the loop may record autograd nodes over its tracers
            r = cond_fn(*(Tensor._from_array(a) for a in arrs))
        return (r._data if isinstance(r, Tensor) else r).reshape(()).astype(bool)

    def b(arrs):
        with no_grad():
            out = body_fn(*(Tensor._from_array(a) for a in arrs))
        return tuple(o._data.astype(a.dtype) for o, a in zip(out, arrs))

    out = jax.lax.while_loop(c, b, tuple(v._data for v in vals))
    return tuple(Tensor._from_array(a) for a in out)
