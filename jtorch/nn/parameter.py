"""Parameter, Buffer and the uninitialized (lazy) variants."""
from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor, _NO_VIEW
from ..overrides import _disabled_torch_function_impl


def _share(cls, data: Tensor) -> Tensor:
    """A new `cls` instance aliasing `data`'s memory (like torch's `_make_subclass`)."""
    t = object.__new__(cls)
    t._st = data._owner()
    t._vw = data._vw if data._vw is not None else _NO_VIEW
    if data._inf:
        t._inf = True
    return t


class Parameter(Tensor):
    """Matches `torch.nn.Parameter`: a leaf tensor sharing `data`'s memory."""

    __torch_function__ = _disabled_torch_function_impl  # ops return plain Tensors, as in torch

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            from .. import empty
            data = empty(0)
        if requires_grad and data.dtype.category < D.FLOAT:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        p = _share(cls, data)
        p._rg = bool(requires_grad)
        return p

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self, *, tensor_contents=None):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        new = type(self)(self.detach().clone(), self.requires_grad)
        new.__dict__.update({k: v for k, v in self.__dict__.items() if not k.startswith("_")})
        memo[id(self)] = new
        return new

    def __reduce_ex__(self, protocol):
        extra = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        return (_rebuild_parameter, (type(self), self.detach(), self.requires_grad, extra))


def _rebuild_parameter(cls, data, requires_grad, extra):
    p = cls(data, requires_grad)
    p.__dict__.update(extra)
    return p


class _BufferMeta(type):
    # `Buffer(t)` returns a plain Tensor flagged as a buffer; isinstance checks that flag.
    def __instancecheck__(cls, instance):
        if cls is Buffer:
            return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """Matches `torch.nn.Buffer`: assigning one to a module attribute registers a buffer."""

    __torch_function__ = _disabled_torch_function_impl

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True):
        if data is None:
            from .. import empty
            data = empty(0)
        t = data.detach()
        t.persistent = persistent
        t._is_buffer = True
        return t


class UninitializedTensorMixin:
    """Shared behaviour of uninitialized parameters and buffers (lazy modules)."""

    cls_to_become = None
    __torch_function__ = _disabled_torch_function_impl

    def materialize(self, shape, device=None, dtype=None):
        """Matches `UninitializedParameter.materialize`: allocate and become `cls_to_become`."""
        from .. import empty
        if isinstance(shape, int):
            shape = (shape,)
        data = empty(tuple(shape), dtype=dtype if dtype is not None else self.dtype,
                     device=device if device is not None else self.device)
        self.__class__ = self.cls_to_become
        self.data = data

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually "
            "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
            "initialized one. Call `forward` to initialize the parameters before accessing their "
            "attributes.")

    def __repr__(self, *, tensor_contents=None):
        return f"<{self.__class__.__name__}>"

    def __reduce_ex__(self, protocol):
        return (self.__class__, (self.requires_grad,))


def is_lazy(param) -> bool:
    """Matches `torch.nn.parameter.is_lazy`."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """Matches `torch.nn.UninitializedParameter`."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        from .. import empty
        return Parameter.__new__(cls, empty(0, device=device, dtype=dtype), requires_grad)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """Matches `torch.nn.UninitializedBuffer`."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        from .. import empty
        t = _share(cls, empty(0, device=device, dtype=dtype))
        t._rg = bool(requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        pass
