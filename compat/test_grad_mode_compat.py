"""PyTorch's grad-mode APIs: the same programs on torch and jtorch report the same modes."""
import threading

import pytest


@pytest.fixture(autouse=True)
def grad_on():
    yield
    import jtorch
    jtorch.set_grad_enabled(True)
    from compat._harness import torch
    if torch is not None:
        torch.set_grad_enabled(True)


def modes_in_contexts(lib):
    out = []
    with lib.no_grad():
        out.append(lib.is_grad_enabled())
        with lib.enable_grad():
            out.append(lib.is_grad_enabled())
        with lib.set_grad_enabled(True):
            out.append(lib.is_grad_enabled())
        lib.set_grad_enabled(True)  # a plain call takes effect at once
        out.append(lib.is_grad_enabled())
    out.append(lib.is_grad_enabled())
    lib.set_grad_enabled(False)
    with lib.enable_grad():
        lib.set_grad_enabled(False)
        out.append(lib.is_grad_enabled())
    out.append(lib.is_grad_enabled())  # the mode saved at entry
    lib.set_grad_enabled(True)
    return out


def decorators(lib):
    out = []

    @lib.no_grad
    def a():
        return lib.is_grad_enabled()

    @lib.no_grad()
    def b():
        return lib.is_grad_enabled()

    @lib.set_grad_enabled(False)
    def c():
        return lib.is_grad_enabled()
    out.append(lib.is_grad_enabled())  # decorating did not change the mode

    @lib.enable_grad
    def d():
        return lib.is_grad_enabled()

    @lib.inference_mode
    def e():
        return lib.is_inference_mode_enabled()

    @lib.inference_mode(False)
    def f():
        return lib.is_inference_mode_enabled()
    out += [a(), b(), c()]
    with lib.no_grad():
        out += [d(), lib.is_grad_enabled()]
    out += [e(), f(), lib.is_grad_enabled()]
    return out


def generators(lib):
    out = []

    @lib.no_grad()
    def gen():
        x = yield lib.is_grad_enabled()
        yield x, lib.is_grad_enabled()

    @lib.enable_grad
    def gen2():
        yield lib.is_grad_enabled()
    it = gen()
    out.append(next(it))
    out.append(lib.is_grad_enabled())
    out.append(list(it.send("sent")))
    with lib.no_grad():
        out.append(list(gen2()))
        out.append(lib.is_grad_enabled())
    return out


def inference(lib):
    x = lib.ones(2, requires_grad=True)
    out = []
    with lib.inference_mode():
        y = x * 2
        t = lib.ones(2)
        out += [lib.is_grad_enabled(), lib.is_inference_mode_enabled(), y.is_inference(),
                t.is_inference(), y.requires_grad]
        with lib.inference_mode(False):
            out += [lib.is_grad_enabled(), lib.is_inference_mode_enabled()]
        with lib.enable_grad():
            out += [lib.is_grad_enabled(), lib.is_inference_mode_enabled()]
    with lib.no_grad():
        with lib.inference_mode(False):
            out.append(lib.is_grad_enabled())
    out += [lib.is_inference_mode_enabled(), x.is_inference(), (t * 2).is_inference()]
    return out


def factories_under_no_grad(lib):
    with lib.no_grad():
        ts = [lib.zeros(2, requires_grad=True), lib.randn(2, requires_grad=True),
              lib.tensor([1.0], requires_grad=True), lib.full((2,), 1.0, requires_grad=True)]
        y = ts[0] * 2
    return [[t.requires_grad, t.is_leaf, t.grad_fn is None] for t in ts] + [y.requires_grad]


def threads(lib):
    out = []
    with lib.no_grad():
        th = threading.Thread(target=lambda: out.append(lib.is_grad_enabled()))
        th.start()
        th.join()
    return out


def nested_reference_example(lib):
    x = lib.randn(3, requires_grad=True)
    with lib.no_grad():
        y = x.square()
        with lib.enable_grad():
            z = y.sum()
            return [z.requires_grad, z.backward()]  # backward raises RuntimeError


def exception_restores(lib):
    out = []
    for exc in (ValueError, KeyboardInterrupt):
        for cm in (lib.no_grad, lib.inference_mode, lambda: lib.set_grad_enabled(False)):
            try:
                with cm():
                    raise exc()
            except exc:
                out.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled()))
    return out


def type_errors(lib):
    return lib.set_grad_enabled(1)


def inference_tensor_outside(lib):
    with lib.inference_mode():
        t = lib.ones(2)
    out = []
    for f in (lambda: t.requires_grad_(), lambda: t.add_(1)):
        try:
            f()
            out.append("ok")
        except RuntimeError:
            out.append("RuntimeError")
    return out


CASES = [modes_in_contexts, decorators, generators, inference, factories_under_no_grad, threads,
         nested_reference_example, exception_restores, type_errors, inference_tensor_outside]


@pytest.mark.parametrize("case", CASES, ids=lambda f: f.__name__)
def test_grad_mode_behaviour(compat, case):
    compat.value(case)
