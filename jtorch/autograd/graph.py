"""Matches `torch.autograd.graph`: saved-tensor hooks, the `Node` type, multi-tensor grad hooks.

Saved-tensor hooks: while a `saved_tensors_hooks` context is active, each op recorded for
autograd calls `pack_hook` on the tensors its backward keeps (its inputs that require grad, or
its output, as jtorch's op declares) and backward calls `unpack_hook` on what pack returned,
before the node runs. jtorch's pullbacks keep their residuals inside the compiled function, so
the tensor `unpack_hook` returns is not what backward computes with: hooks can observe, count
or offload copies, not substitute values. `save_on_cpu` is a no-op on CPU, as in torch.
"""
from __future__ import annotations

import abc

from . import engine
from .. import _dispatch

# The stack of (pack, unpack) is `_dispatch.SAVED_TENSOR_HOOKS` (`apply` checks it is empty);
# read at call time: this module is imported while `_dispatch` itself is still loading.
_DISABLED: list = []  # error messages of active disable_saved_tensors_hooks


class Node(abc.ABC):
    """Matches `torch.autograd.graph.Node`: `isinstance(t.grad_fn, Node)` holds for every
    jtorch grad_fn and AccumulateGrad."""

    @abc.abstractmethod
    def name(self) -> str:
        ...

    @classmethod
    def __subclasshook__(cls, C):
        if cls is Node and issubclass(C, (engine.Node, engine.AccumulateGrad)):
            return True
        return NotImplemented


class saved_tensors_hooks:
    """Matches `torch.autograd.graph.saved_tensors_hooks` (see the module docstring)."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        if _DISABLED:
            raise RuntimeError(_DISABLED[-1])
        _dispatch.SAVED_TENSOR_HOOKS.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc):
        _dispatch.SAVED_TENSOR_HOOKS.pop()
        return False


class save_on_cpu(saved_tensors_hooks):
    """Matches `torch.autograd.graph.save_on_cpu`: saved tensors are kept on the CPU (a no-op
    for CPU tensors)."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda"):
        def pack(t):
            return (t.device, t.cpu())

        def unpack(packed):
            device, t = packed
            return t.to(device)
        super().__init__(pack, unpack)


class disable_saved_tensors_hooks:
    """Matches `torch.autograd.graph.disable_saved_tensors_hooks`: entering a
    `saved_tensors_hooks` inside raises RuntimeError with `error_message`."""

    def __init__(self, error_message: str):
        self.error_message = error_message

    def __enter__(self):
        _DISABLED.append(self.error_message)
        return self

    def __exit__(self, *exc):
        _DISABLED.pop()
        return False


def _pack(node, saves, inputs, out):
    """Called by `_dispatch.apply` for a recorded op while hooks are active."""
    pack, unpack = _dispatch.SAVED_TENSOR_HOOKS[-1]
    if saves == "inputs":
        packed = [pack(t) for t in inputs]
    elif saves == "output":
        packed = [pack(o) for o in (out if isinstance(out, (tuple, list)) else (out,))]
    else:
        return

    def unpack_all(grad_outputs):
        for p in packed:
            unpack(p)
    node.register_prehook(unpack_all)


class _MultiHandle:
    def __init__(self, handles):
        self.handles = handles

    def remove(self):
        for h in self.handles:
            h.remove()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def register_multi_grad_hook(tensors, fn, *, mode: str = "all"):
    """Matches `torch.autograd.graph.register_multi_grad_hook`: mode "all" calls `fn(grads)`
    once the gradients of all `tensors` that take part in a backward are computed (None for
    the others); mode "any" calls `fn(grad)` with the first one computed."""
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    state = {"grads": {}, "done": False}

    def make(i):
        def hook(g):
            if mode == "any":
                if not state["done"]:
                    state["done"] = True
                    fn(g)
                return None
            state["grads"][i] = g
            if len(state["grads"]) == sum(t.requires_grad for t in tensors):
                grads = [state["grads"].get(j) for j in range(len(tensors))]
                state["grads"] = {}
                fn(grads)
            return None
        return hook
    return _MultiHandle([t.register_hook(make(i)) for i, t in enumerate(tensors) if t.requires_grad])


def increment_version(tensor) -> None:
    """Matches `torch.autograd.graph.increment_version`: bump the tensor's version counter."""
    tensor._owner()._sv += 1


class GradientEdge(tuple):
    """Matches `torch.autograd.graph.GradientEdge`: (node, output_nr)."""

    def __new__(cls, node, output_nr):
        return tuple.__new__(cls, (node, output_nr))

    node = property(lambda self: self[0])
    output_nr = property(lambda self: self[1])


def get_gradient_edge(tensor) -> GradientEdge:
    """Matches `torch.autograd.graph.get_gradient_edge`."""
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does "
                           "not require gradients")
    node, nr = tensor._edge()
    return GradientEdge(node, nr)
