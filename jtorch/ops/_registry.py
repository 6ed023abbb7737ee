"""The op registry: `@op` declares a jax function once; jtorch derives the rest.

Args of `op(...)`:
    name: public name (default: the function's name without a trailing underscore).
    method: also attach as a `Tensor` method.
    inplace: also attach the `Tensor.<name>_` in-place variant.
    promote: how array inputs are cast before the body runs (torch's rules, see _promote):
        "default" (common dtype), "float" (common dtype, integers become the default float),
        "compare" (common dtype; the body returns bool), None (the body sees inputs as given).
    diff: False for ops with no gradient (their outputs never require grad).
    grad_name: the `grad_fn` class name PyTorch shows (default `<Name>Backward0`), or a
        function `(args, kwargs) -> name` of the call for ops whose name depends on the
        overload PyTorch picks (`sum(x)` is SumBackward0, `sum(x, dim)` SumBackward1).
    saves: which tensors backward needs unchanged: "inputs", "output" or "none"; an
        in-place change to them before backward raises PyTorch's error.
    public: also export as `jtorch.<name>` (default True).

Parameters annotated with `Array` are values (traced; Tensors or Python numbers); every
other parameter is static (hashed into the compiled-op cache), so it must be hashable.
"""
from __future__ import annotations

import inspect

REGISTRY: dict[str, "Op"] = {}


class Op:
    """One declared op; `_dispatch.apply` runs it."""

    __slots__ = ("name", "fn", "promote", "diff", "grad_name", "saves", "method", "inplace",
                 "public", "sig", "value_names", "static_names", "jit_plain", "jit_nograd",
                 "jit_vjp", "jit_donate", "node_cls", "grad_names", "check", "__weakref__")

    def __init__(self, fn, name, method, inplace, promote, diff, grad_name, saves, public):
        self.fn = fn
        self.name = name
        self.method = method
        self.inplace = inplace
        self.promote = promote
        self.diff = diff
        self.saves = saves
        self.public = public
        self.grad_names = grad_name if callable(grad_name) else None
        if callable(grad_name):
            grad_name = None
        self.grad_name = grad_name or "".join(p.capitalize() for p in name.split("_")) + "Backward0"
        self.sig = inspect.signature(fn)
        vals, stat = [], []
        for p in self.sig.parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(f"op {name}: declare fixed parameters, not *args/**kwargs")
            (vals if "Array" in str(p.annotation) else stat).append(p.name)
        self.value_names = tuple(vals)
        self.static_names = tuple(stat)
        self.jit_plain = self.jit_nograd = self.jit_vjp = self.jit_donate = None
        self.node_cls = None
        self.check = None  # value checks run eagerly before the body (_value_checks.py)

    def __repr__(self):
        return f"<jtorch op {self.name}>"


def by_dim(base: str):
    """A grad_name function: `<base>Backward1` when the call names a dim (even None), as
    PyTorch's dim overloads of sum/mean do; `<base>Backward0` otherwise."""
    def name(args, kwargs):
        return base + ("Backward1" if len(args) > 1 or "dim" in kwargs else "Backward0")
    return name


def op(name=None, *, method=True, inplace=False, promote="default", diff=True, grad_name=None,
       saves="inputs", public=True):
    """Register `fn` as a jtorch op and return it unchanged."""
    def register(fn):
        n = name or fn.__name__.rstrip("_")
        if n in REGISTRY:
            raise ValueError(f"op {n!r} declared twice")
        REGISTRY[n] = Op(fn, n, method, inplace, promote, diff, grad_name, saves, public)
        return fn
    return register
