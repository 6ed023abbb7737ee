"""`__torch_function__` vs torch: which calls reach a subclass's override (func names, types),
what comes back (type and values), torchvision's tv_tensors pattern, non-Tensor classes, modes."""
from __future__ import annotations

import numpy as np
import pytest

X = np.arange(6.0).reshape(2, 3)


def _classes(lib):
    log = []

    class Log(lib.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            log.append(func.__name__)
            return super().__torch_function__(func, types, args, kwargs)

    class TV(lib.Tensor):
        """torchvision's TVTensor: unwrap, run, return plain Tensors except for a few funcs."""
        force = {lib.Tensor.clone, lib.Tensor.to, lib.Tensor.detach, lib.Tensor.requires_grad_}

        @classmethod
        def __torch_function__(cls, func, types=(), args=(), kwargs=None):
            if not all(issubclass(cls, t) for t in types):
                return NotImplemented
            log.append(func.__name__)
            with lib.DisableTorchFunctionSubclass():
                out = func(*args, **(kwargs or {}))
            if func in cls.force and isinstance(args[0], cls):
                return out.as_subclass(cls) if not isinstance(out, cls) else out
            if isinstance(out, cls):
                return out.as_subclass(lib.Tensor)
            return out
    return Log, TV, log


def _plain(lib, out):
    """(type names, values) of a result, read with overrides off."""
    with lib.DisableTorchFunctionSubclass():
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        return ([type(o).__name__ for o in outs],
                [o.as_subclass(lib.Tensor).detach() if isinstance(o, lib.Tensor) else o for o in outs])


def _setitem(y):
    y = y.clone()
    y[0] = 5.0
    return y


CASES = {
    "add": lambda lib, x, p: x + 1,
    "radd": lambda lib, x, p: 1 + x,
    "rsub": lambda lib, x, p: 2 - x,
    "rtruediv": lambda lib, x, p: 2 / (x + 1),
    "plain_plus_sub": lambda lib, x, p: p + x,
    "torch_add": lambda lib, x, p: lib.add(x, p),
    "method": lambda lib, x, p: x.exp(),
    "inplace": lambda lib, x, p: x.clone().add_(1),
    "iadd": lambda lib, x, p: x.clone().__iadd__(1),
    "getitem": lambda lib, x, p: x[0],
    "setitem": lambda lib, x, p: _setitem(x),
    "relu": lambda lib, x, p: lib.nn.functional.relu(x),
    "linear": lambda lib, x, p: lib.nn.functional.linear(x, lib.ones(4, 3)),
    "mse_loss": lambda lib, x, p: lib.nn.functional.mse_loss(x, p),
    "cat": lambda lib, x, p: lib.cat([p, x]),
    "stack": lambda lib, x, p: lib.stack([x, x]),
    "view": lambda lib, x, p: x.view(3, 2),
    "sum": lambda lib, x, p: x.sum(),
    "max_dim": lambda lib, x, p: x.max(dim=1),
    "split": lambda lib, x, p: x.split(1),
    "unbind": lambda lib, x, p: lib.unbind(x),
    "detach": lambda lib, x, p: x.detach(),
    "clone": lambda lib, x, p: x.clone(),
    "to": lambda lib, x, p: x.to(lib.float64),
    "softmax": lambda lib, x, p: x.softmax(-1),
    "matmul_T": lambda lib, x, p: x @ x.T,
    "item": lambda lib, x, p: x[0, 1].item(),
    "eq": lambda lib, x, p: x == 1,
    "neg": lambda lib, x, p: -x,
    "where": lambda lib, x, p: lib.where(x > 1, x, p),
    "invert": lambda lib, x, p: ~(x > 1),
    "requires_grad_": lambda lib, x, p: x.clone().requires_grad_(),
    "floordiv": lambda lib, x, p: x // 2,
    "mod": lambda lib, x, p: x % 2,
    "pow_rpow": lambda lib, x, p: [x ** 2, 2 ** x],
    "ipow_imul": lambda lib, x, p: x.clone().__ipow__(2).__imul__(3),
    "ne_le": lambda lib, x, p: [x != 1, x <= 2],
    "and_rand": lambda lib, x, p: [(x > 1) & (x < 4), True & (x > 1)],
    "pos": lambda lib, x, p: +x,
    "transpose_props": lambda lib, x, p: [x.mT, x.real, x.data],
}


@pytest.mark.parametrize("kind", ["Log", "TV"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_subclass_dispatch(compat, name, kind):
    def f(lib):
        Log, TV, log = _classes(lib)
        cls = Log if kind == "Log" else TV
        x = lib.tensor(X, dtype=lib.float32).as_subclass(cls)
        p = lib.ones(2, 3)
        log.clear()
        out = CASES[name](lib, x, p)
        return list(log), _plain(lib, out)
    compat.value(f)


def test_subclass_repr(compat):
    def f(lib):
        Log, TV, log = _classes(lib)
        with lib.DisableTorchFunctionSubclass():
            return [repr(lib.ones(2).as_subclass(Log)),
                    repr(lib.zeros(2, 2, dtype=lib.uint8).as_subclass(TV)),
                    repr(lib.nn.Parameter(lib.ones(2)))]
    compat.value(f)


def test_make_subclass_and_autograd(compat):
    def f(lib):
        Log, TV, log = _classes(lib)
        w = lib.Tensor._make_subclass(Log, lib.tensor(X, dtype=lib.float32), True)
        loss = (w * w).sum()
        loss.backward()
        ops = list(log)  # before reading properties (jtorch does not dispatch .requires_grad & co)
        return (type(w).__name__, w.requires_grad, w.is_leaf, type(loss).__name__,
                _plain(lib, w.grad), ops)
    compat.value(f)


def test_disable_subclass_and_parameter(compat):
    def f(lib):
        Log, TV, log = _classes(lib)
        x = lib.ones(2).as_subclass(Log)
        with lib.DisableTorchFunctionSubclass():
            a = x + 1
        with lib.DisableTorchFunction():
            b = x * 2
        p = lib.nn.Parameter(lib.ones(2))
        return (type(a).__name__, type(b).__name__, type(p + 1).__name__, type(p.detach()).__name__,
                log, lib.overrides.has_torch_function((p,)), lib.overrides.has_torch_function((x,)),
                lib.overrides.has_torch_function_unary(x), lib.overrides.has_torch_function_variadic(p, x),
                lib.overrides.is_tensor_like(p), lib.overrides.is_tensor_like(1))
    compat.value(f)


class _Dummy:
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return "dummy:" + func.__name__ + ":" + ",".join(t.__name__ for t in types)


def test_non_tensor_class(compat):
    def f(lib):
        d = _Dummy()
        p = lib.ones(2)
        F = lib.nn.functional
        return [lib.add(d, 1), lib.add(p, d), p + d, d + 0 if hasattr(d, "__add__") else None,
                F.relu(d), lib.cat([p, d]), p.mul(d), lib.overrides.has_torch_function_unary(d),
                lib.overrides.is_tensor_like(d)]
    compat.value(f)


def test_mode(compat):
    def f(lib):
        log = []

        class M(lib.overrides.TorchFunctionMode):
            def __torch_function__(self, func, types, args=(), kwargs=None):
                log.append((func.__name__, [t.__name__ for t in types]))
                return func(*args, **(kwargs or {}))

        class Log(lib.Tensor):
            pass
        p = lib.ones(2, 3)
        with M():
            y = p + 1
            z = lib.relu(y).sum()
            w = lib.nn.functional.gelu(p)
            s = p.as_subclass(Log)
            t = s * 2
            inside = lib.overrides.has_torch_function((p,))
        return (log, z, w, type(t).__name__, inside, lib.overrides.has_torch_function((p,)))
    compat.value(f)


def test_mode_and_handle_torch_function(compat):
    def f(lib):
        calls = []
        ov = lib.overrides

        def mine(x, y=1):
            if ov.has_torch_function_unary(x):
                return ov.handle_torch_function(mine, (x,), x, y=y)
            return x + y

        class M(ov.TorchFunctionMode):
            def __torch_function__(self, func, types, args=(), kwargs=None):
                calls.append(func.__name__)
                if func is mine:
                    return "intercepted"
                return func(*args, **(kwargs or {}))
        with M():
            r = mine(lib.ones(1), y=3)
        return r, calls, mine(lib.ones(1), y=3)
    compat.value(f)


def test_not_implemented_everywhere(compat):
    def f(lib):
        class A:
            @classmethod
            def __torch_function__(cls, func, types, args=(), kwargs=None):
                return NotImplemented
        return lib.add(A(), 1)
    compat.value(f)


def test_under_compile():
    """A subclass flows through a compiled step with the same result type and values as eagerly."""
    import jtorch
    log = []

    class Log(jtorch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            log.append(func.__name__)
            return super().__torch_function__(func, types, args, kwargs)
    w = jtorch.ones(3, 3)

    def step(x):
        y = (x.as_subclass(Log) @ w).relu() * 2
        return type(y).__name__, y.as_subclass(jtorch.Tensor).sum()
    cs = jtorch.compile(step)
    x = jtorch.arange(9.0).reshape(3, 3)
    eager = step(x)
    for _ in range(3):
        got = cs(x)
        assert got[0] == eager[0] == "Log"
        assert got[1].item() == eager[1].item() == 216.0
    assert log[:3] == ["matmul", "relu", "mul"]


MODULES = {
    "linear": (lambda nn: nn.Linear(4, 3), (2, 4)), "conv2d": (lambda nn: nn.Conv2d(2, 3, 3), (1, 2, 5, 5)),
    "layer_norm": (lambda nn: nn.LayerNorm(4), (2, 4)), "dropout": (lambda nn: nn.Dropout(0.0), (2, 4)),
    "relu": (lambda nn: nn.ReLU(), (2, 4)), "gelu": (lambda nn: nn.GELU(), (2, 4)),
    "max_pool2d": (lambda nn: nn.MaxPool2d(2), (1, 2, 4, 4)), "flatten": (lambda nn: nn.Flatten(), (2, 2, 2)),
    "softmax": (lambda nn: nn.Softmax(-1), (2, 4)), "avg_pool2d": (lambda nn: nn.AvgPool2d(2), (1, 2, 4, 4)),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_dispatch_their_functional(compat, name):
    def f(lib):
        Log, TV, log = _classes(lib)
        lib.manual_seed(0)
        make, shape = MODULES[name]
        m = make(lib.nn)
        x = lib.ones(*shape).as_subclass(Log)
        log.clear()
        y = m(x)
        return list(log), type(y).__name__
    compat.value(f)
