"""repr(Tensor): gathers what _tensor_str needs from a Tensor."""
from __future__ import annotations

import jax
import numpy as np

from . import _dtype as D
from ._meta import MetaArray, repr_meta
from ._tensor_str import tensor_repr as _format


def tensor_repr(t, prefix=None) -> str:
    if prefix is None:  # a subclass prints its own name, as torch's (Parameter prints "tensor(")
        from ._tensor import Tensor
        from .nn.parameter import Parameter
        cls = type(t)
        prefix = "tensor(" if cls is Tensor or cls is Parameter else f"{cls.__name__}("
    a = t._data
    if isinstance(a, jax.core.Tracer):
        from . import _compile
        if _compile._TRACING[0]:  # printing a value is a side effect of every call
            from .compile_errors import raise_untraceable
            raise_untraceable("Printing a tensor")
        return f"tensor(<traced {t.dtype} {list(a.shape)}>)"
    if type(a) is MetaArray:
        return repr_meta(t)
    dev = t.device
    rg = t._rg and t._node is None
    name = type(t.grad_fn).__name__ if t._node is not None else None
    return _format(np.asarray(a), t.dtype.name, default_float=D.get_default_dtype().name,
                   requires_grad=rg, grad_fn_name=name,
                   device=None if dev.type == "cpu" else str(dev), prefix=prefix)
