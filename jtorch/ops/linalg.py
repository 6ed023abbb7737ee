"""Matrix products."""
from __future__ import annotations

import jax.numpy as jnp
from jax import Array, lax

from .._checks import broadcast_shapes, expand_to, type_name
from ._opmath import fused as _fused
from ._registry import op


def _check_same(name, a, b):
    if a.dtype != b.dtype:
        from .. import _dtype as D
        raise RuntimeError(f"{name}: expected both operands to have the same dtype, but got "
                           f"{D.from_np(a.dtype)} and {D.from_np(b.dtype)}; convert one with .to()")


@op(promote=None, grad_name="MmBackward0")
def matmul(input: Array, other: Array):
    """Matches `torch.matmul`."""
    _check_same("matmul", input, other)
    if input.ndim == 0 or other.ndim == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{input.ndim}D and {other.ndim}D")
    k1 = input.shape[-1]
    k2 = other.shape[-2] if other.ndim > 1 else other.shape[0]
    if k1 != k2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(input)} and "
                           f"{_shape_str(other)})")
    broadcast_shapes(input.shape[:-2], other.shape[:-2])
    return jnp.matmul(input, other)


def _shape_str(x):
    return "x".join(str(n) for n in (x.shape if x.ndim > 1 else (1,) + x.shape))


def _check_mm(a, b):
    for name, m in (("mat1", a), ("mat2", b)):
        if m.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {m.ndim}-D tensor")
    if a.shape[-1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(a)} and "
                           f"{_shape_str(b)})")


def _check_bmm(a, b):
    for name, m in (("batch1", a), ("batch2", b)):
        if m.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    if b.shape[:2] != (a.shape[0], a.shape[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")


def _check_mv(mat, vec):
    if mat.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {mat.ndim}, {vec.ndim}")
    if mat.shape[1] != vec.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({mat.shape[0]}), mat "
                           f"({mat.shape[0]}x{mat.shape[1]}), vec ({vec.shape[0]})")


@op(promote=None)
def mm(input: Array, mat2: Array):
    """Matches `torch.mm`."""
    _check_same("mm", input, mat2)
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"self must be a matrix (mm expects 2D tensors, got {input.ndim}D and {mat2.ndim}D)")
    _check_mm(input, mat2)
    return input @ mat2


@op(promote=None)
def bmm(input: Array, mat2: Array):
    """Matches `torch.bmm`."""
    _check_same("bmm", input, mat2)
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor (bmm got {input.ndim}D and {mat2.ndim}D)")
    _check_bmm(input, mat2)
    return jnp.matmul(input, mat2)


@op(promote=None)
def mv(input: Array, vec: Array):
    """Matches `torch.mv`."""
    _check_same("mv", input, vec)
    _check_mv(input, vec)
    return input @ vec


@op(promote=None)
def dot(input: Array, other: Array):
    """Matches `torch.dot`."""
    _check_same("dot", input, other)
    _check_vectors(input, other)
    return jnp.dot(input, other)


def _check_vectors(x, y):
    if x.ndim != 1 or y.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {x.ndim}D and {y.ndim}D tensors")
    if x.shape != y.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{x.shape[0]}] and src "
                           f"[{y.shape[0]}] to have the same number of elements, but got "
                           f"{x.shape[0]} and {y.shape[0]} elements respectively")


@op(promote=None)
def vdot(input: Array, other: Array):
    """Matches `torch.vdot`."""
    if input.dtype != other.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{type_name(input.dtype)} and {type_name(other.dtype)}")
    _check_vectors(input, other)
    return jnp.vdot(input, other)


@op(promote="default")
def outer(input: Array, vec2: Array):
    """Matches `torch.outer`."""
    for name, v in (("self", input), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D")
    return jnp.outer(input, vec2)


ger = outer


@op(promote=None, method=False)
def einsum(equation: str, operands: list[Array]):
    """Matches `torch.einsum` (operands as a list; the public wrapper accepts both forms)."""
    _check_einsum(equation, operands)
    return jnp.einsum(equation, *operands)


def _check_einsum(equation, operands):
    """torch's RuntimeError when a subscript has two different (non-1) sizes."""
    terms = equation.replace(" ", "").split("->")[0].split(",")
    if len(terms) != len(operands):
        raise RuntimeError(f"einsum(): {len(operands)} operands were provided but the equation "
                           f"specifies {len(terms)}")
    seen = {}
    for k, (term, x) in enumerate(zip(terms, operands)):
        head, _, tail = term.partition("...")
        labels = list(zip(head, x.shape[:len(head)])) + (
            list(zip(tail, x.shape[x.ndim - len(tail):])) if tail else [])
        for label, n in labels:
            if seen.get(label, n) != n and 1 not in (n, seen[label]):
                raise RuntimeError(f"einsum(): subscript {label} has size {n} for operand {k} which "
                                   f"does not broadcast with previously seen size {seen[label]}")
            if n != 1 or label not in seen:
                seen[label] = n


def _linear_name(args, kwargs):
    # PyTorch's linear is addmm/mm for a matrix input, a matmul plus reshapes otherwise.
    x = args[0] if args else kwargs["input"]
    bias = args[2] if len(args) > 2 else kwargs.get("bias")
    if x.ndim == 2:
        return "MmBackward0" if bias is None else "AddmmBackward0"
    if bias is not None:
        return "ViewBackward0"
    return "SqueezeBackward4" if x.ndim == 1 else "UnsafeViewBackward0"


@op(promote=None, method=False, grad_name=_linear_name)
def linear(input: Array, weight: Array, bias: Array = None):
    """Matches `torch.nn.functional.linear`.

    Contracts the weight's second dimension directly (dot_general), so XLA does not
    materialise `weight.T` on every call.
    """
    _check_same("linear", input, weight)
    if input.shape[-1] != weight.shape[-1]:
        rows = 1
        for n in input.shape[:-1]:
            rows *= n
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and "
                           f"{weight.shape[-1]}x{weight.shape[0]})")
    if bias is not None:
        broadcast_shapes(input.shape[:-1] + weight.shape[:1], bias.shape)
    y = lax.dot_general(input, weight, (((input.ndim - 1,), (1,)), ((), ())))
    return y if bias is None else y + bias


def coef(c, like):
    """alpha/beta of the addmm family: a Scalar in the result's dtype, never promoting it
    (torch truncates 0.5 to 0 for integer tensors)."""
    if like.dtype == jnp.bool_:
        return jnp.asarray(bool(c))
    return jnp.asarray(int(c) if jnp.issubdtype(like.dtype, jnp.integer) else c, like.dtype)


def _axpby(beta, input, alpha, p):
    # bfloat16/float16: the product and the sum in float32, rounded once (torch's opmath)
    return coef(beta, p) * input + coef(alpha, p) * p


@op(promote="default", inplace=True)
def addmm(input: Array, mat1: Array, mat2: Array, *, beta=1, alpha=1):
    """Matches `torch.addmm`."""
    _check_mm(mat1, mat2)
    expand_to(input, (mat1.shape[0], mat2.shape[1]))
    return _fused(lambda i, a, b: _axpby(beta, i, alpha, a @ b), input, mat1, mat2)


@op(promote="default", inplace=True)
def baddbmm(input: Array, batch1: Array, batch2: Array, *, beta=1, alpha=1):
    """Matches `torch.baddbmm`."""
    _check_bmm(batch1, batch2)
    expand_to(input, (batch1.shape[0], batch1.shape[1], batch2.shape[2]))
    return _fused(lambda i, a, b: _axpby(beta, i, alpha, jnp.matmul(a, b)), input, batch1, batch2)


@op(promote="default", inplace=True)
def addmv(input: Array, mat: Array, vec: Array, *, beta=1, alpha=1):
    """Matches `torch.addmv`."""
    _check_mv(mat, vec)
    if getattr(input, "ndim", 0) > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, "
                           f"{vec.ndim}")
    expand_to(input, (mat.shape[0],))
    p = mat @ vec
    return coef(beta, p) * input + coef(alpha, p) * p
