"""Hook handles, global module hooks and the autograd plumbing of full backward hooks."""
from __future__ import annotations

import weakref
from collections import OrderedDict

from ..._tensor import Tensor
from ...autograd.function import Function


class RemovableHandle:
    """Matches `torch.utils.hooks.RemovableHandle`."""

    next_id = 0

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        extras = extra_dict if isinstance(extra_dict, (list, tuple)) else (
            [] if extra_dict is None else [extra_dict])
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extras)

    def remove(self) -> None:
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __getstate__(self):
        return (self.hooks_dict_ref(), self.id,
                tuple(r() for r in self.extra_dict_ref))

    def __setstate__(self, state):
        d, self.id, extras = state
        self.hooks_dict_ref = weakref.ref(OrderedDict() if d is None else d)
        self.extra_dict_ref = tuple(weakref.ref(e) for e in extras if e is not None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def typename(obj) -> str:
    """Matches `torch.typename`."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if qualname is None:
        module = type(obj).__module__ or ""
        qualname = type(obj).__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


# Global hooks run for every module (torch.nn.modules.module.register_module_*).
_global_forward_pre_hooks: OrderedDict = OrderedDict()
_global_forward_hooks: OrderedDict = OrderedDict()
_global_forward_hooks_always_called: OrderedDict = OrderedDict()
_global_backward_hooks: OrderedDict = OrderedDict()


def register_module_forward_pre_hook(hook) -> RemovableHandle:
    """Matches `torch.nn.modules.module.register_module_forward_pre_hook`."""
    handle = RemovableHandle(_global_forward_pre_hooks)
    _global_forward_pre_hooks[handle.id] = hook
    return handle


def register_module_forward_hook(hook, *, always_call: bool = False) -> RemovableHandle:
    """Matches `torch.nn.modules.module.register_module_forward_hook`."""
    handle = RemovableHandle(_global_forward_hooks, extra_dict=_global_forward_hooks_always_called)
    _global_forward_hooks[handle.id] = hook
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    return handle


def register_module_full_backward_hook(hook) -> RemovableHandle:
    """Matches `torch.nn.modules.module.register_module_full_backward_hook`."""
    handle = RemovableHandle(_global_backward_hooks)
    _global_backward_hooks[handle.id] = hook
    return handle


class _Identity(Function):
    """Identity whose backward hands the incoming gradients to `fn` (which may replace them)."""

    @staticmethod
    def forward(ctx, fn, materialize, *tensors):
        ctx.fn = fn
        ctx.set_materialize_grads(materialize)
        return tuple(t.detach() for t in tensors)

    @staticmethod
    def backward(ctx, *grads):
        new = ctx.fn(grads)
        return (None, None, *(grads if new is None else new))


class BackwardHook:
    """Full backward (pre-)hooks of one module call: identity nodes around inputs and outputs.

    The output identity sees grad_output first (pre-hooks may replace it); the input identity
    then sees grad_input and runs the full hooks. When no input requires grad the full hooks
    run at the output identity with grad_input all None, as torch does.
    """

    def __init__(self, module, hooks, pre_hooks):
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.grad_outputs = None
        self.n_inputs = 0
        self.input_pos = []

    def _run_hooks(self, grad_inputs):
        for hook in self.hooks:
            res = hook(self.module, grad_inputs, self.grad_outputs)
            if res is None:
                continue
            res = res if isinstance(res, tuple) else (res,)
            if len(res) != len(grad_inputs):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got "
                                   f"{len(res)}, but expected {len(grad_inputs)}")
            grad_inputs = res
        return grad_inputs

    def setup_input_hook(self, args):
        self.n_inputs = len(args)
        pos = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        self.input_pos = pos
        if not pos or not self.hooks:
            return args

        def on_input_grads(grads):
            # torch reports zeros for tensor inputs that do not require grad, None for others.
            full = [a.new_zeros(a.shape) if isinstance(a, Tensor) else None for a in args]
            for i, g in zip(pos, grads):
                full[i] = g
            new = self._run_hooks(tuple(full))
            return tuple(new[i] for i in pos)

        outs = _Identity.apply(on_input_grads, True, *[args[i] for i in pos])
        args = list(args)
        for i, o in zip(pos, outs):
            args[i] = o
        return tuple(args)

    def setup_output_hook(self, result):
        single = isinstance(result, Tensor)
        outs = (result,) if single else result
        if not isinstance(outs, tuple):
            return result
        pos = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
        if not pos:
            return result

        def on_output_grads(grads):
            full = [None] * len(outs)
            for i, g in zip(pos, grads):
                full[i] = g
            full = tuple(full)
            for hook in self.pre_hooks:
                res = hook(self.module, full)
                if res is not None:
                    full = res if isinstance(res, tuple) else (res,)
            self.grad_outputs = full
            if not self.input_pos and self.hooks:
                import warnings
                warnings.warn("Full backward hook is firing when gradients are computed with "
                              "respect to module outputs since no inputs require gradients. See "
                              "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                              "#torch.nn.Module.register_full_backward_hook for more details.",
                              stacklevel=2)
                self._run_hooks((None,) * self.n_inputs)
            # the engine expects a gradient on every edge it reaches: zeros for unused outputs
            return tuple(outs[i].new_zeros(outs[i].shape) if full[i] is None else full[i]
                         for i in pos)

        # Outputs that get no gradient show as None in grad_output, as in torch.
        new = _Identity.apply(on_output_grads, False, *[outs[i] for i in pos])
        outs = list(outs)
        for i, o in zip(pos, new):
            outs[i] = o
        return outs[0] if single else tuple(outs)
