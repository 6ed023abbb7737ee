"""Per-call cost of the eager argument checks at the dispatch point (issue 14 §1): the op's
`Op.check` (dtype rules, value checks) called alone on the unwrapped arrays, as `apply` calls
it, next to the whole op call. The int-argument checks (`_arg_types.py`) run once per trace,
not per call; the Python-level argument parsers (`_checks.int_arg`, `int_list`, `float_arg`) per
call. One line per op."""
from __future__ import annotations

from _util import median_us

import jtorch as T
from jtorch import _arg_types, _dispatch
import jtorch.nn.functional as F
from jtorch.ops._registry import REGISTRY


def main():
    x, y = T.randn(64), T.randn(64)
    m = T.randn(8, 8)
    ix = T.randint(0, 8, (8, 8))
    cases = [("abs", lambda: T.abs(x), (x._sa,)), ("lt", lambda: x < y, (x._sa, y._sa)),
             ("relu", lambda: F.relu(x), (x._sa,)), ("softmax", lambda: T.softmax(m, 1), (m._sa, 1)),
             ("where", lambda: T.where(x > 0, x, y), ((x > 0)._sa, x._sa, y._sa)),
             ("gather", lambda: T.gather(m, 1, ix), (m._sa, 1, ix._sa))]
    w = T.randn(8)
    b3 = m[None].clone()  # a root tensor (a view's own array is its owner's)
    cases += [("mse_loss", lambda: F.mse_loss(x, y), (x._sa, y._sa)),  # probed rules (generated)
              ("layer_norm", lambda: F.layer_norm(m, (8,), w, w), (m._sa, (8,), w._sa, w._sa)),
              ("bmm", lambda: T.bmm(b3, b3), (b3._sa, b3._sa)),
              # Tensor-only parameters (a Python value refused, _arg_types) plus dtype rules
              ("mm", lambda: T.mm(m, m), (m._sa, m._sa)),
              ("cross_entropy", lambda: F.cross_entropy(m, ix[0]), (m._sa, ix[0]._sa))]
    for name, fn, arrays in cases:
        check = REGISTRY[name].check
        cost = median_us(lambda: check(arrays, {}), number=2000)
        whole = median_us(fn, number=300)
        print(f"{name:10s} check {cost:6.2f} us per call; whole op call {whole:7.2f} us")
    # The entry checks of public functions, unbound Tensor methods and F.* ops: a non-Tensor
    # input raises torch's TypeError (one isinstance on the common path); errors from inside JAX
    # are translated only on the error path (nothing on success).
    apply, op = _dispatch.apply, REGISTRY["abs"]
    direct = median_us(lambda: apply(op, (x,)), number=2000)
    method = median_us(lambda: x.abs(), number=2000)
    public = median_us(lambda: T.abs(x), number=2000)
    inst = median_us(lambda: isinstance(x, T.Tensor), number=20000)
    print(f"abs via apply {direct:6.2f} us, x.abs() {method:6.2f} us, torch.abs(x) {public:6.2f} us; "
          f"the entry check alone (isinstance) {inst:5.3f} us")
    # torch's argument parser for Python-level int / int-list / float arguments (_checks): a
    # plain int returns at once; next to what it replaced (`int(v)`, a generator of int()).
    from jtorch import _checks
    size = (3, 4)
    parse = [("int_arg(2)", lambda: _checks.int_arg("narrow", "start", 2, 2), lambda: int(2)),
             ("int_list((3, 4))", lambda: _checks.int_list("view", "size", size),
              lambda: tuple(int(s) for s in size)),
             ("float_arg(1.0)", lambda: _checks.float_arg("elu", "alpha", 1.0, 2),
              lambda: float(1.0))]
    for name, new, old in parse:
        print(f"{name:16s} {median_us(new, number=20000):5.3f} us per call (was "
              f"{median_us(old, number=20000):5.3f} us)")
    for name, fn in (("x.view(4, 16)", lambda: x.view(4, 16)),
                     ("x.narrow(0, 2, 8)", lambda: x.narrow(0, 2, 8)),
                     ("m.select(0, 1)", lambda: m.select(0, 1)),
                     ("F.elu(x)", lambda: F.elu(x))):
        print(f"{name:18s} whole call {median_us(fn, number=300):7.2f} us")
    # A static tuple argument holding an int-like float or bool is passed to jax.jit keyed by its
    # element types (`_arg_types.TypedKey`); the test for one is an isdisjoint of element types.
    dims, like = (0, 1), _arg_types.INT_LIKE
    test = median_us(lambda: not like.isdisjoint(map(type, dims)), number=20000)
    print(f"static tuple key test {test:5.3f} us per tuple argument; m.sum(dim=(0, 1)) whole call "
          f"{median_us(lambda: m.sum(dim=dims), number=300):7.2f} us, m.sum(1) "
          f"{median_us(lambda: m.sum(1), number=300):7.2f} us")


if __name__ == "__main__":
    main()
