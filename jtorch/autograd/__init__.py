"""jtorch.autograd: backward(), grad(), Function and the grad-mode context managers."""
from __future__ import annotations

import jax

from . import grad_mode as _gm_module  # noqa: F401  (keeps `jtorch.autograd.grad_mode` a module path)
from .anomaly_mode import (detect_anomaly, is_multithreading_enabled, is_view_replay_enabled,
                           kineto_available, set_detect_anomaly, set_multithreading_enabled)
from .engine import run_backward
from . import graph, profiler  # noqa: F401,E402  (torch.autograd.graph / .profiler)
from .profiler import ProfilerConfig, ProfilerEvent  # noqa: F401,E402
from .function import NestedIOFunction
from .gradcheck import gradcheck, gradgradcheck
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                        no_grad, set_grad_enabled)

grad_mode = _gm_module  # callable: jtorch.autograd.grad_mode(mode, fn)


def _tuple(x):
    if x is None:
        return ()
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


_SEEDS: dict = {}


def _seed(shape, dtype):
    """The implicit gradient of a one-element output: ones, cached (jax arrays are immutable;
    the cache's reference also keeps an in-place write from donating the buffer)."""
    key = (shape, dtype)
    a = _SEEDS.get(key)
    if a is None:
        from .._creation import _filled
        a = _filled(shape, dtype, 1)
        if isinstance(a, jax.core.Tracer):  # made inside a jax trace: never cache
            return a
        _SEEDS[key] = a
    return a


def _make_grads(outputs, grad_outputs, create_graph):
    from .._tensor import Tensor
    grads = []
    for i, out in enumerate(outputs):
        g = grad_outputs[i] if i < len(grad_outputs) else None
        if g is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs; pass "
                                   "gradient= (a tensor shaped like the output) to backward()")
            if not out.dtype.is_floating_point and not out.dtype.is_complex:
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but "
                                   f"got {out.dtype}")
            a = _seed(tuple(out.shape), out.dtype.np)
            grads.append(Tensor._from_array(a) if create_graph else a)
            continue
        if not isinstance(g, Tensor):
            raise TypeError(f"gradients must be Tensors or None, got {type(g).__name__}")
        if g._value_any().shape != out._value_any().shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                               f"output[{i}] has a shape of {out.shape}.")
        if create_graph:
            grads.append(g if g.dtype is out.dtype else g.to(out.dtype))
        else:
            a = g._value_any()
            grads.append(a if a.dtype == out.dtype.np else a.astype(out.dtype.np))
    return grads


def _roots(outputs):
    roots = []
    for i, t in enumerate(outputs):
        if not t._rg:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a "
                               "grad_fn. Did you create it under no_grad, detach() it, or forget "
                               "requires_grad=True on the inputs?")
        roots.append(t._edge())
    return roots


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None,
             inputs=None):
    """Matches `torch.autograd.backward`."""
    outputs = _tuple(tensors)
    grads = _make_grads(outputs, _tuple(grad_tensors if grad_tensors is not None else grad_variables),
                        create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    roots = _roots(outputs)
    if inputs is not None:
        ins = _tuple(inputs)
        if not ins:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        capture = {t._edge(): i for i, t in enumerate(ins)}
        got = run_backward(roots, grads, retain_graph, create_graph, capture=capture, accumulate=False)
        from .engine import _accumulate
        for i, t in enumerate(ins):
            if i in got:
                _accumulate(t, got[i], create_graph)
        return
    run_backward(roots, grads, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Matches `torch.autograd.grad`."""
    from .._tensor import Tensor
    outs = _tuple(outputs)
    ins = _tuple(inputs)
    for t in ins:
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if allow_unused is None:
        allow_unused = materialize_grads
    grads = _make_grads(outs, _tuple(grad_outputs), create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    capture = {}
    for i, t in enumerate(ins):
        capture.setdefault(t._edge(), i)
    got = run_backward(_roots(outs), grads, retain_graph, create_graph, capture=capture,
                       accumulate=False)
    res = []
    for i, t in enumerate(ins):
        slot = capture[t._edge()]
        g = got.get(slot)
        if g is None:
            if materialize_grads:
                from .. import _creation
                res.append(_creation.zeros_like(t))
                continue
            if not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in "
                                   "the graph. Set allow_unused=True if this is the desired behavior.")
            res.append(None)
        else:
            res.append(g if isinstance(g, Tensor) else Tensor._from_array(g))
    return tuple(res)


from ._variable import Variable  # noqa: E402,F401

from ._compat_names import (DeviceType, ProfilerActivity, ProfilerState,  # noqa: E402,F401
                            enforce_grad_layout_policy, variable)
grad_mode.enforce_grad_layout_policy = enforce_grad_layout_policy
grad_mode.set_multithreading_enabled = set_multithreading_enabled

__all__ = ["backward", "grad", "Function", "FunctionCtx", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled", "is_inference_mode_enabled",
           "grad_mode", "once_differentiable", "detect_anomaly", "set_detect_anomaly", "gradcheck",
           "gradgradcheck", "set_multithreading_enabled", "is_multithreading_enabled",
           "NestedIOFunction", "is_view_replay_enabled", "kineto_available"]
