"""torch.autograd.functional: jacobian, hessian, vjp, jvp, hvp, vhp on top of jtorch.func.

Results are detached from the inputs' graph unless `create_graph=True`. `strict` and
`vectorize` are accepted; JAX's transforms are always vectorized.
"""
from __future__ import annotations

from .. import func as _func
from .._tensor import Tensor


def _as_tuple(x):
    if isinstance(x, Tensor):
        return (x,), False
    return tuple(x), True


def _finish(res, create_graph):
    if create_graph:
        return res
    if isinstance(res, Tensor):
        return res.detach()
    return type(res)(_finish(r, create_graph) for r in res)


def _call(func, ins, is_tuple):
    return func(*ins) if is_tuple else func(ins[0])


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """Matches `torch.autograd.functional.jacobian`."""
    ins, is_tuple = _as_tuple(inputs)
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". '
                         f'Got {strategy}.')
    jac = _func._jacrev_complex_in if strategy == "reverse-mode" else _func.jacfwd
    f = lambda *a: _call(func, a, is_tuple)  # noqa: E731
    res = jac(f, argnums=tuple(range(len(ins))))(*ins)
    if not is_tuple:
        res = res[0] if isinstance(res, tuple) and isinstance(res[0], Tensor) else \
            tuple(r[0] for r in res) if isinstance(res, tuple) else res
    return _finish(res, create_graph)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """Matches `torch.autograd.functional.hessian`."""
    ins, is_tuple = _as_tuple(inputs)
    f = lambda *a: _call(func, a, is_tuple)  # noqa: E731
    res = _func.hessian(f, argnums=tuple(range(len(ins))))(*ins)
    return _finish(res if is_tuple else res[0][0], create_graph)


def _v_out(v, out):
    """v for a vector-Jacobian product: may be omitted for a single-element output."""
    if v is None:
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function "
                               "returns a single Tensor with a single element.")
        from .._creation import ones_like
        return ones_like(out)
    return v


def _v_in(v, ins):
    """v for a Jacobian(-Hessian)-vector product, cast as torch's backward passes cast it."""
    if v is None:
        if len(ins) != 1 or ins[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided "
                               "function is a single Tensor with a single element.")
        from .._creation import ones_like
        return (ones_like(ins[0]),)
    vs = _as_tuple(v)[0]
    return tuple(x.to(i.dtype) if x.dtype != i.dtype else x for x, i in zip(vs, ins))


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """Matches `torch.autograd.functional.vjp`: returns `(func_output, vjp)`."""
    ins, is_tuple = _as_tuple(inputs)
    out, pull = _func.vjp(lambda *a: _call(func, a, is_tuple), *ins)
    grads = pull(_v_out(v, out))
    return _finish(out, create_graph), _finish(grads if is_tuple else grads[0], create_graph)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """Matches `torch.autograd.functional.jvp`: returns `(func_output, jvp)`."""
    ins, is_tuple = _as_tuple(inputs)
    vs = _v_in(v, ins)
    out, t = _func.jvp(lambda *a: _call(func, a, is_tuple), ins, vs)
    return _finish(out, create_graph), _finish(t, create_graph)


def _grad_fn(func, ins, is_tuple):
    return _func.grad(lambda *a: _call(func, a, is_tuple), argnums=tuple(range(len(ins))))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """Matches `torch.autograd.functional.hvp`: returns `(func_output, H @ v)`."""
    ins, is_tuple = _as_tuple(inputs)
    out = _call(func, ins, is_tuple)
    _, h = _func.jvp(_grad_fn(func, ins, is_tuple), ins, _v_in(v, ins))
    return _finish(out, create_graph), _finish(h if is_tuple else h[0], create_graph)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """Matches `torch.autograd.functional.vhp`: returns `(func_output, v @ H)`."""
    ins, is_tuple = _as_tuple(inputs)
    out = _call(func, ins, is_tuple)
    _, pull = _func.vjp(_grad_fn(func, ins, is_tuple), *ins)
    h = pull(_v_in(v, ins))
    return _finish(out, create_graph), _finish(h if is_tuple else h[0], create_graph)
