"""No exception type or message from jax/jaxlib reaches the user (issue 17 §5): the dispatch
point's error path turns an error raised inside JAX by an op body into torch's exception with a
torch-style message, and hides the JAX exception it came from.

The sweep calls every registry op through the dispatch point with generated bad arguments
(mismatched shapes, complex/bool/0-dim inputs, a string, None) on meta tensors, which run the
op bodies' trace without compiling them; a stride of it runs here (1/24; `JTORCH_FULL_SWEEP=1`
runs all ~2,650 calls), and the same argument kinds on real tensors for a fixed list of ops."""
import os

import pytest

import jtorch as torch
import jtorch.nn.functional as F
from jtorch import _dispatch
from jtorch._jax_errors import INTERNAL
from jtorch.ops._registry import REGISTRY


def _leaks(e):
    """The exceptions in `e`'s visible chain that come from JAX or show its internals."""
    out, c = [], e
    while c is not None:
        if type(c).__module__.partition(".")[0] in ("jax", "jaxlib") or INTERNAL.search(str(c)):
            out.append(f"{type(c).__module__}.{type(c).__name__}: {str(c)[:200]}")
        c = c.__cause__ or (None if c.__suppress_context__ else c.__context__)
    return out


def test_embedding_float_indices_is_torchs_runtime_error():
    # torch: RuntimeError "Expected tensor for argument #1 'indices' to have one of the
    # following scalar types: Long, Int; ..." (jnp.take raised ValueError before).
    with pytest.raises(RuntimeError, match="embedding") as info:
        F.embedding(torch.tensor([0.5, 1.0]), torch.rand(5, 3))
    assert not _leaks(info.value)


def test_embedding_float_indices_compiled():
    f = torch.compile(lambda i, w: F.embedding(i, w))
    w = torch.rand(5, 3)
    f(torch.tensor([0, 1]), w)
    with pytest.raises(RuntimeError, match="embedding") as info:
        f(torch.tensor([0.5, 1.0]), w)
    assert not _leaks(info.value)


def test_jtorch_errors_pass_unchanged():
    # jtorch's own checks keep their torch type and text.
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match") as info:
        torch.add(torch.rand(3), torch.rand(4))
    assert not _leaks(info.value)
    with pytest.raises(NotImplementedError, match="\"gcd\" not implemented for 'Float'"):
        torch.gcd(torch.rand(3), torch.rand(3))
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(torch.tensor([7]), torch.rand(5, 3))


def _variants(op, make):
    params = [p for p in op.sig.parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    values = [p.name for p in params if p.name in op.value_names]

    def build(value):
        args = []
        for p in params:
            if p.name in op.value_names:
                args.append(value(values.index(p.name)))
            elif p.default is not p.empty:
                break
            else:
                args.append(1)
        return args
    yield build(lambda i: make((3, 4)) if i == 0 else make((5,)))
    yield build(lambda i: make((3, 4), torch.complex64) if i == 0 else make((3, 4)))
    yield build(lambda i: make((3, 4), torch.bool) if i == 0 else make((3, 4)))
    yield build(lambda i: make(()) if i == 0 else make((2, 3, 4)))
    yield build(lambda i: "abc" if i == 0 else make((3, 4)))
    yield build(lambda i: None if i == 1 else make((3, 4)))


def _sweep(ops, make, stride=1):
    leaks, calls = [], 0
    for k, (name, op) in enumerate(ops):
        for v, args in enumerate(_variants(op, make)):
            if (k * 6 + v) % stride:
                continue
            calls += 1
            try:
                _dispatch.apply(op, args)
            except Exception as e:  # noqa: BLE001
                leaks += [f"{name}{tuple(type(a).__name__ for a in args)}: {x}" for x in _leaks(e)]
    return calls, leaks


def _meta(shape, dtype=torch.float32):
    return torch.empty(shape, dtype=dtype, device="meta")


def test_registry_error_inputs_raise_torch_errors():
    stride = 1 if os.environ.get("JTORCH_FULL_SWEEP") else 24
    calls, leaks = _sweep(sorted(REGISTRY.items()), _meta, stride)
    assert calls >= 2600 // stride
    assert not leaks, "\n".join(leaks)


def test_error_inputs_on_real_tensors():
    names = ["matmul", "embedding", "gather", "index_select", "where", "linear", "take", "topk"]
    ops = [(n, REGISTRY[n]) for n in names]
    calls, leaks = _sweep(ops, lambda s, d=torch.float32: torch.ones(s, dtype=d))
    assert calls == 6 * len(ops)
    assert not leaks, "\n".join(leaks)
