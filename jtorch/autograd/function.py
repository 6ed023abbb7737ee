"""Custom autograd functions: `class F(Function)` with static forward/backward."""
from __future__ import annotations

import functools


from .engine import node_type
from .grad_mode import ENABLED, _MODE, enable_grad, no_grad


class FunctionCtx:
    """The `ctx` object passed to forward/backward. Matches torch's."""

    def __init__(self):
        self.saved_tensors = ()
        self.needs_input_grad = ()
        self.non_differentiable = set()
        self.materialize_grads = True
        self.dirty = ()

    def save_for_backward(self, *tensors):
        self.saved_tensors = tuple(tensors)
        from .._tensor import Tensor
        self._versions = [(t._owner(), t._owner()._sv) if isinstance(t, Tensor) else None for t in tensors]

    def save_for_forward(self, *tensors):
        self.saved_for_forward = tensors

    def mark_non_differentiable(self, *tensors):
        self.non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        self.dirty = tensors

    def set_materialize_grads(self, value: bool):
        self.materialize_grads = value


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = node_type(name + "Backward")


class Function(metaclass=_FunctionMeta):
    """Matches `torch.autograd.Function` (`apply`, ctx style or `setup_context` style)."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your "
                                  "custom autograd.Function to use it with backward mode AD.")

    setup_context = None
    vjp = backward

    def __init__(self, *args, **kwargs):
        pass

    @classmethod
    def apply(cls, *args, **kwargs):
        from .._tensor import Tensor
        ctx = FunctionCtx()
        recording = _MODE.get() & ENABLED
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg and bool(recording) for a in args)
        with no_grad():
            if cls.setup_context is not None and cls.setup_context is not Function.setup_context:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        diff = [i for i, need in enumerate(ctx.needs_input_grad) if need]
        if not diff:
            return out
        multi = isinstance(out, tuple)
        outs = out if multi else (out,)
        arrays = tuple(o._value_any() if isinstance(o, Tensor) else None for o in outs)
        node = cls._backward_cls(None, tuple(args[i]._edge() for i in diff),
                                 arrays if multi else arrays[0])
        node.eager = True
        node.torch_ct = True  # the user's backward takes and gives torch's cotangents
        if not ctx.materialize_grads and multi and all(isinstance(o, Tensor) for o in outs):
            node.raw_cts = True
        n_in = len(args)
        shapes = {i: tuple(args[i].shape) for i in diff}

        def run_user_backward(grads, create_graph):
            with (enable_grad() if create_graph else no_grad()):
                res = cls.backward(ctx, *grads)
            res = res if isinstance(res, tuple) else (res,)
            if len(res) < n_in:
                raise RuntimeError(f"function {cls.__name__}Backward returned an incorrect number of "
                                   f"gradients (expected {n_in}, got {len(res)})")
            return [_fit_grad(cls, i, res[i], shapes[i]) for i in diff]

        def pb(ct_tree):
            cts = ct_tree if multi else (ct_tree,)
            grads = [Tensor._from_array(c) if c is not None else None for c in cts]
            res = run_user_backward(grads, False)
            return tuple(None if r is None else (r._value_any() if isinstance(r, Tensor) else r)
                         for r in res)

        def differentiable(buf):
            grads = []
            for i in range(len(outs)):
                g = buf.get(i)
                grads.append(g if g is None or isinstance(g, Tensor) else Tensor._from_array(g))
            return run_user_backward(grads, True)

        node.pb = pb
        node.ctx = differentiable
        wrapped = []
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                wrapped.append(o)
                continue
            if id(o) in ctx.non_differentiable or not (o.dtype.is_floating_point or o.dtype.is_complex):
                wrapped.append(o)
                continue
            t = o if (o._node is None and not o._rg and o._st is None and
                      not any(o is a for a in args)) else Tensor._from_array(o._value_any())
            t._node, t._onr, t._rg = node, i, True
            wrapped.append(t)
        return tuple(wrapped) if multi else wrapped[0]


def _fit_grad(cls, i, g, shape):
    """A user backward's gradient for input `i`: summed down to the input's shape when the
    input broadcasts to it, torch's RuntimeError when it cannot be."""
    if g is None or not hasattr(g, "shape") or tuple(g.shape) == shape:
        return g
    gs = tuple(g.shape)
    n = len(gs) - len(shape)
    if n >= 0 and all(s == 1 or s == d for s, d in zip(shape, gs[n:])):
        return g.sum_to_size(shape) if shape else g.sum()
    raise RuntimeError(f"Function {cls.__name__}Backward returned an invalid gradient at index {i} "
                       f"- got {list(gs)} but expected shape compatible with {list(shape)}")


def once_differentiable(fn):
    """Matches `torch.autograd.function.once_differentiable` (backward runs without grad)."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)
    return wrapper


class InplaceFunction(Function):
    pass


class NestedIOFunction(Function):
    pass
