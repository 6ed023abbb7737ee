"""torch.library / torch.ops vs torch: custom ops (schemas, autograd, mutation), Library
define/impl, overload packets, aten resolution and the errors. Each case uses its own namespace
(torch's registrations are process-global)."""
from __future__ import annotations

import itertools

import pytest

import jtorch.library  # noqa: F401 - torch.library is imported with torch; make sure jtorch has it too

_ids = {"torch": itertools.count(), "jtorch": itertools.count()}


def _ns(lib):
    return f"jtc_{next(_ids[lib.__name__])}"


def _custom_op_grad(lib):
    ns = _ns(lib)
    Tensor = lib.Tensor

    def mysin(x: Tensor, scale: float = 1.0) -> Tensor:
        return x.sin() * scale
    mysin.__annotations__ = {"x": Tensor, "scale": float, "return": Tensor}
    op = lib.library.custom_op(f"{ns}::mysin", mutates_args=())(mysin)

    def bw(ctx, g):
        return g * ctx.x.cos() * ctx.scale, None

    def sc(ctx, inputs, output):
        ctx.x, ctx.scale = inputs
    op.register_autograd(bw, setup_context=sc)
    x = lib.tensor([0.5, 1.0, 2.0], requires_grad=True)
    y = getattr(lib.ops, ns).mysin(x, 3.0)
    (g,) = lib.autograd.grad(y.sum(), x)
    return [y, g, str(getattr(lib.ops, ns).mysin.default._schema).split("::")[1],
            type(y.grad_fn).__name__.replace(ns, "NS")]


def _custom_op_tensor_list(lib):
    ns = _ns(lib)
    Tensor = lib.Tensor

    def wsum(xs, w):
        return sum(x * w for x in xs)
    wsum.__annotations__ = {"xs": list[Tensor], "w": float, "return": Tensor}
    op = lib.library.custom_op(f"{ns}::wsum", mutates_args=())(wsum)

    def bw(ctx, g):
        return [g * ctx.w * (i + 2) for i in range(ctx.n)], None

    def sc(ctx, inputs, output):
        ctx.n, ctx.w = len(inputs[0]), inputs[1]
    op.register_autograd(bw, setup_context=sc)
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = lib.tensor([3.0, 4.0], requires_grad=True)
    y = op([a, b], 3.0)
    return [y, list(lib.autograd.grad((y * y).sum(), [a, b]))]


def _custom_op_no_formula(lib):
    ns = _ns(lib)
    Tensor = lib.Tensor

    def f(x, n):
        return x * n
    f.__annotations__ = {"x": Tensor, "n": int, "return": Tensor}
    op = lib.library.custom_op(f"{ns}::f", mutates_args=())(f)
    x = lib.ones(2, requires_grad=True)
    y = op(x, 2)
    try:
        y.sum().backward()
        err = "no error"
    except RuntimeError as e:
        err = "no autograd formula" in str(e)
    with lib.no_grad():
        z = op(x, 3)
    return [y.detach(), y.requires_grad, err, z.requires_grad]


def _custom_op_mutates(lib):
    ns = _ns(lib)
    Tensor = lib.Tensor

    def addn(x, y):
        x.add_(y)
    addn.__annotations__ = {"x": Tensor, "y": Tensor, "return": None}
    op = lib.library.custom_op(f"{ns}::addn", mutates_args=("x",))(addn)
    a = lib.zeros(3)
    out = op(a, lib.arange(3.0))
    return [a, out, str(op._opoverload._schema).split("::")[1]]


def _library_define_impl(lib):
    ns = _ns(lib)
    L = lib.library.Library(ns, "DEF")
    name = L.define("scale(Tensor x, int n=2, *, float alpha=1.0) -> Tensor")
    L.define("scale.pair(Tensor x, Tensor y) -> (Tensor, Tensor)")
    L.impl("scale", lambda x, n=2, alpha=1.0: x * n * alpha, "CompositeExplicitAutograd")
    L.impl("scale.pair", lambda x, y: (x + y, x - y), "CPU")
    ops = getattr(lib.ops, ns)
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = ops.scale(x, 3, alpha=0.5)
    g = lib.autograd.grad(y.sum(), x)[0]  # gradient through the kernel's own ops
    p = ops.scale.pair(x.detach(), lib.ones(2))
    res = [name, y.detach(), g, list(p), ops.scale.default(lib.ones(1)), sorted(ops.scale.overloads()),
           ops.scale.default.name(), ops.scale.pair.name(), ops.scale.pair.__name__, repr(ops.scale),
           ops.scale.default.overloadpacket is ops.scale, ops.scale is ops.scale]
    L._destroy()
    return res


def _errors(lib):
    ns = _ns(lib)
    L = lib.library.Library(ns, "FRAGMENT")
    L.define("g(Tensor x, int n) -> Tensor")
    L.impl("g", lambda x, n: x + n, "CompositeExplicitAutograd")
    ops = getattr(lib.ops, ns)
    out = []
    for f in (lambda: ops.g(lib.ones(1), 1, 2), lambda: ops.g(lib.ones(1), n=1.5),
              lambda: ops.g(2.0, 1), lambda: ops.g(lib.ones(1)), lambda: ops.nope,
              lambda: ops.g.nope, lambda: L.define("g(Tensor x, int n) -> Tensor"),
              lambda: lib.library.Library(ns, "IMPL").define("h(Tensor x) -> Tensor"),
              lambda: lib.library.Library(ns, "BAD"),
              lambda: lib.ops.load_library("/nonexistent/libfoo.so"),
              lambda: lib.library.custom_op(f"{ns}::k", mutates_args="x")(lambda x: x),
              lambda: lib.library.infer_schema(lambda x: x, mutates_args=())):
        try:
            f()
            out.append("no error")
        except Exception as e:  # noqa: BLE001 - the type is what is compared
            out.append(type(e).__name__)
    L._destroy()
    return out


def _infer_schema(lib):
    from typing import Optional, Sequence
    T = lib.Tensor

    def f(x, y, zs, n, fl=0.5, b=True, s="a", ns=None, *, k=3):
        pass
    f.__annotations__ = {"x": T, "y": Optional[T], "zs": list[T], "n": int, "fl": float, "b": bool,
                         "s": str, "ns": Sequence[int], "k": int, "return": tuple[T, T]}

    def g(x):
        pass
    g.__annotations__ = {"x": T, "return": list[T]}
    return [lib.library.infer_schema(f, mutates_args=("x", "zs")),
            lib.library.infer_schema(g, mutates_args=())]


def _aten(lib):
    a, b = lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])
    return [lib.ops.aten.add.Tensor(a, b), lib.ops.aten.add(a, b, alpha=2), lib.ops.aten.mm.default(
        a[None], b[:, None]), lib.ops.aten.relu.default(a - 1.5), repr(lib.ops.aten.add.Tensor), str(lib.ops.aten.add.Tensor), repr(lib.ops.aten.add),
        lib.ops.aten.add.Tensor.name()]


def _gc_removes(lib):
    import gc
    ns = _ns(lib)

    def make():
        L = lib.library.Library(ns, "FRAGMENT")
        L.define("q(Tensor x) -> Tensor")
    make()
    gc.collect()
    return hasattr(getattr(lib.ops, ns), "q")


CASES = {"custom_op_grad": _custom_op_grad, "custom_op_tensor_list": _custom_op_tensor_list, "custom_op_no_formula": _custom_op_no_formula,
         "custom_op_mutates": _custom_op_mutates, "define_impl": _library_define_impl,
         "errors": _errors, "infer_schema": _infer_schema, "aten": _aten, "gc_removes": _gc_removes}


@pytest.mark.parametrize("name", sorted(CASES))
def test_library(compat, name):
    compat.value(CASES[name])
