"""Grad modes: grad_mode(mode, fn) and PyTorch's no_grad / enable_grad / set_grad_enabled /
inference_mode. Expected behaviour of the PyTorch APIs was checked against torch 2.13."""
import threading

import pytest

import jtorch
from jtorch import (enable_grad, grad_mode, inference_mode, is_grad_enabled,
                    is_inference_mode_enabled, no_grad, set_grad_enabled)


@pytest.fixture(autouse=True)
def grad_on():
    assert is_grad_enabled() and not is_inference_mode_enabled()
    yield
    jtorch.set_grad_enabled(True)


# ---- grad_mode(mode, fn) --------------------------------------------------------------------

@pytest.mark.parametrize("mode", [True, False])
@pytest.mark.parametrize("outer", [True, False])
def test_sets_mode_runs_fn_returns_value_restores(mode, outer):
    set_grad_enabled(outer)
    seen = []
    assert grad_mode(mode, lambda: seen.append(is_grad_enabled()) or "value") == "value"
    assert seen == [mode]
    assert is_grad_enabled() is outer


@pytest.mark.parametrize("exc", [ValueError, KeyboardInterrupt, SystemExit, GeneratorExit])
@pytest.mark.parametrize("mode", [True, False])
def test_restores_on_any_exception(exc, mode):
    set_grad_enabled(not mode)

    def boom():
        assert is_grad_enabled() is mode
        raise exc("boom")
    with pytest.raises(exc):
        grad_mode(mode, boom)
    assert is_grad_enabled() is (not mode)


def test_records_graph_only_when_enabled():
    x = jtorch.ones(3, requires_grad=True)
    y = grad_mode(True, lambda: (x * 2).sum())
    z = grad_mode(False, lambda: (x * 2).sum())
    assert y.requires_grad and y.grad_fn is not None
    assert not z.requires_grad and z.grad_fn is None
    y.backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_also_reachable_from_autograd_and_module_path_still_works():
    assert jtorch.autograd.grad_mode(False, is_grad_enabled) is False
    from jtorch.autograd.grad_mode import no_grad as ng, grad_mode as gm
    assert ng is no_grad and gm is grad_mode
    import jtorch.autograd.grad_mode as module
    assert module.grad_mode(False, is_grad_enabled) is False


def test_nesting_innermost_wins_and_overrides_parent():
    trace = []

    def inner():
        trace.append(("inner", is_grad_enabled()))
        with no_grad():
            trace.append(("no_grad", is_grad_enabled()))
            trace.append(("gm in no_grad", grad_mode(True, is_grad_enabled)))
        with enable_grad():
            trace.append(("enable_grad", is_grad_enabled()))
        with set_grad_enabled(False):
            trace.append(("sge ctx", is_grad_enabled()))
        trace.append(("inner after", is_grad_enabled()))

    def outer():
        trace.append(("outer", is_grad_enabled()))
        grad_mode(True, inner)
        trace.append(("outer after", is_grad_enabled()))

    with no_grad():
        grad_mode(False, outer)
        with enable_grad():
            trace.append(("gm False in enable_grad", grad_mode(False, is_grad_enabled)))
    assert trace == [("outer", False), ("inner", True), ("no_grad", False), ("gm in no_grad", True),
                     ("enable_grad", True), ("sge ctx", False), ("inner after", True),
                     ("outer after", False), ("gm False in enable_grad", False)]


def test_plain_set_grad_enabled_inside_fn_is_ignored():
    def fn():
        set_grad_enabled(True)
        during = is_grad_enabled()
        set_grad_enabled(False)
        set_grad_enabled(True)
        return during, is_grad_enabled()
    assert grad_mode(False, fn) == (False, False)
    assert is_grad_enabled()
    set_grad_enabled(False)
    assert grad_mode(True, lambda: (set_grad_enabled(False), is_grad_enabled())[1]) is True
    assert not is_grad_enabled()  # nothing leaked after grad_mode returned


def test_plain_call_inside_fn_does_not_record_graph():
    x = jtorch.ones(2, requires_grad=True)

    def fn():
        set_grad_enabled(True)
        return x * 3
    assert grad_mode(False, fn).grad_fn is None


def test_scoped_forms_inside_fn_still_apply_to_their_scope():
    def fn():
        out = []
        with set_grad_enabled(True):
            out.append(is_grad_enabled())
            set_grad_enabled(False)  # this scope is innermost now, so the plain call applies
            out.append(is_grad_enabled())
        out.append(is_grad_enabled())
        with enable_grad():
            out.append(is_grad_enabled())
        out.append(set_grad_enabled(True)(is_grad_enabled)())
        out.append(enable_grad()(is_grad_enabled)())
        out.append(grad_mode(True, is_grad_enabled))
        out.append(is_grad_enabled())
        return out
    assert grad_mode(False, fn) == [True, False, False, True, True, True, True, False]
    assert is_grad_enabled()


def test_plain_call_inside_scope_nested_in_fn_is_undone_by_scope_exit():
    def fn():
        with no_grad():
            set_grad_enabled(True)
            inside = is_grad_enabled()
        return inside, is_grad_enabled()
    assert grad_mode(True, fn) == (True, True)
    assert grad_mode(False, lambda: (enable_grad()(lambda: set_grad_enabled(True))(),
                                     is_grad_enabled())[1]) is False


@pytest.mark.parametrize("mode", [1, 0, None, "yes", 1.0, jtorch.tensor(True)])
def test_mode_not_bool_is_type_error(mode):
    with pytest.raises(TypeError, match="bool"):
        grad_mode(mode, lambda: None)
    assert is_grad_enabled()


@pytest.mark.parametrize("fn", [None, 3, "f", jtorch.ones(1)])
def test_fn_not_callable_is_type_error(fn):
    with pytest.raises(TypeError, match="callable"):
        grad_mode(True, fn)
    assert is_grad_enabled()


def test_fn_is_called_without_arguments():
    with pytest.raises(TypeError):
        grad_mode(True, lambda x: x)
    assert is_grad_enabled()


# ---- thread locality ---------------------------------------------------------------------------

def _in_thread(fn):
    out = []
    th = threading.Thread(target=lambda: out.append(fn()))
    th.start()
    th.join()
    return out[0]


def test_new_thread_starts_with_grad_enabled():
    with no_grad():
        assert _in_thread(is_grad_enabled) is True
    set_grad_enabled(False)
    assert _in_thread(is_grad_enabled) is True
    assert grad_mode(False, lambda: _in_thread(is_grad_enabled)) is True


def test_other_thread_is_unaffected_while_fn_runs():
    entered, release = threading.Event(), threading.Event()
    seen = {}

    def worker():
        def fn():
            entered.set()
            release.wait(5)
            seen["worker"] = is_grad_enabled()
        grad_mode(False, fn)
    th = threading.Thread(target=worker)
    th.start()
    assert entered.wait(5)
    seen["main during"] = is_grad_enabled()
    set_grad_enabled(True)
    release.set()
    th.join()
    assert seen == {"main during": True, "worker": False}


def test_mode_set_in_thread_does_not_leak_to_main():
    _in_thread(lambda: set_grad_enabled(False))
    assert is_grad_enabled()
    assert _in_thread(lambda: (set_grad_enabled(False), is_grad_enabled())[1]) is False


# ---- PyTorch's APIs (behaviour checked against torch 2.13) ---------------------------------------

def test_no_grad_and_enable_grad_context():
    x = jtorch.ones(2, requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = x * 2
        with enable_grad():
            assert is_grad_enabled()
            z = x * 2
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad
    assert z.requires_grad


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_context_managers_restore_on_exception(exc):
    for cm in (no_grad, lambda: set_grad_enabled(False), inference_mode):
        with pytest.raises(exc):
            with cm():
                raise exc()
        assert is_grad_enabled() and not is_inference_mode_enabled()


@pytest.mark.parametrize("parens", [True, False])
def test_no_grad_enable_grad_decorators_with_and_without_parentheses(parens):
    ng = no_grad() if parens else no_grad
    eg = enable_grad() if parens else enable_grad

    @ng
    def off(a, b=1):
        """doc"""
        return is_grad_enabled(), a + b

    @eg
    def on():
        return is_grad_enabled()
    assert off(1, b=2) == (False, 3)
    assert off.__name__ == "off" and off.__doc__ == "doc"
    with no_grad():
        assert on() is True
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_set_grad_enabled_plain_call_is_global_until_changed():
    r = set_grad_enabled(False)
    assert isinstance(r, set_grad_enabled)
    assert not is_grad_enabled()
    x = jtorch.ones(1, requires_grad=True)
    assert (x * 2).grad_fn is None
    set_grad_enabled(True)
    assert (x * 2).grad_fn is not None


def test_set_grad_enabled_as_context():
    with set_grad_enabled(False):
        assert not is_grad_enabled()
        with set_grad_enabled(True):
            assert is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()
    set_grad_enabled(False)
    with set_grad_enabled(True):
        assert is_grad_enabled()
    assert not is_grad_enabled()


def test_plain_set_grad_enabled_inside_no_grad_applies_at_once_then_exit_restores():
    with no_grad():
        set_grad_enabled(True)
        assert is_grad_enabled()
        x = jtorch.ones(1, requires_grad=True)
        assert (x * 2).grad_fn is not None
    assert is_grad_enabled()
    set_grad_enabled(False)
    with enable_grad():
        set_grad_enabled(False)
        assert not is_grad_enabled()
    assert not is_grad_enabled()
    with set_grad_enabled(True):
        set_grad_enabled(False)
        assert not is_grad_enabled()
    assert not is_grad_enabled()


def test_set_grad_enabled_decorator_does_not_change_mode_at_decoration():
    @set_grad_enabled(False)
    def off():
        return is_grad_enabled()
    assert is_grad_enabled()
    assert off() is False
    assert is_grad_enabled()
    set_grad_enabled(False)

    @set_grad_enabled(True)
    def on():
        return is_grad_enabled()
    assert not is_grad_enabled()
    assert on() is True
    assert not is_grad_enabled()


@pytest.mark.parametrize("mode", [1, 0, None, "x", 1.0])
def test_set_grad_enabled_refuses_non_bool(mode):
    with pytest.raises(TypeError):
        set_grad_enabled(mode)
    assert is_grad_enabled()


def test_plain_set_grad_enabled_inside_decorated_function_is_undone_on_return():
    @no_grad()
    def f():
        set_grad_enabled(True)
        return is_grad_enabled()
    assert f() is True
    assert is_grad_enabled()
    set_grad_enabled(False)

    @enable_grad()
    def g():
        set_grad_enabled(False)
        return is_grad_enabled()
    assert g() is False
    assert not is_grad_enabled()


# Made per test: set_grad_enabled(False) itself turns grad off at once.
DECORATORS = {"no_grad()": lambda: no_grad(), "no_grad": lambda: no_grad,
              "sge(False)": lambda: set_grad_enabled(False), "inference_mode()": lambda: inference_mode(),
              "inference_mode": lambda: inference_mode}


@pytest.mark.parametrize("deco", sorted(DECORATORS))
def test_generator_decorator_mode_applies_only_while_body_runs(deco):
    @DECORATORS[deco]()
    def gen():
        got = yield is_grad_enabled()
        yield got, is_grad_enabled()
        return "done"
    it = gen()
    assert next(it) is False
    assert is_grad_enabled()  # between yields the caller's mode is back
    assert it.send(5) == (5, False)
    assert is_grad_enabled()
    with pytest.raises(StopIteration) as e:
        next(it)
    assert e.value.value == "done"


def test_generator_decorator_throw_and_close_run_in_mode():
    seen = []

    @no_grad()
    def gen():
        try:
            yield 1
        except ValueError:
            seen.append(("throw", is_grad_enabled()))
            yield 2
        finally:
            seen.append(("finally", is_grad_enabled()))
    it = gen()
    next(it)
    assert it.throw(ValueError()) == 2
    assert is_grad_enabled()
    it.close()
    assert seen == [("throw", False), ("finally", False)]
    assert is_grad_enabled()


def test_enable_grad_generator_inside_no_grad():
    @enable_grad
    def gen():
        yield is_grad_enabled()
    with no_grad():
        assert list(gen()) == [True]
        assert not is_grad_enabled()


def test_inference_mode():
    x = jtorch.ones(2, requires_grad=True)
    with inference_mode():
        assert not is_grad_enabled() and is_inference_mode_enabled()
        y = x * 2
        t = jtorch.ones(2)
        assert y.is_inference() and t.is_inference() and not y.requires_grad
        with inference_mode(False):
            assert is_grad_enabled() and not is_inference_mode_enabled()
            assert not jtorch.ones(1).is_inference()
        with enable_grad():
            assert is_grad_enabled() and is_inference_mode_enabled()
    assert is_grad_enabled() and not is_inference_mode_enabled()
    assert not x.is_inference() and not (t * 2).is_inference()
    with no_grad():
        with inference_mode(False):
            assert is_grad_enabled()
        assert not is_grad_enabled()


def test_inference_tensor_outside_inference_mode():
    with inference_mode():
        t = jtorch.ones(2)
        t.requires_grad_()  # allowed inside
        u = jtorch.ones(2)
    with pytest.raises(RuntimeError, match="inference tensor"):
        u.requires_grad_()
    with pytest.raises(RuntimeError, match="inference tensor"):
        u.add_(1)
    assert (u * 2).tolist() == [2.0, 2.0]


def test_inference_mode_decorators():
    @inference_mode
    def a():
        return is_inference_mode_enabled(), is_grad_enabled()

    @inference_mode()
    def b():
        return is_inference_mode_enabled()

    @inference_mode(False)
    def c():
        return is_inference_mode_enabled()
    assert a() == (True, False) and b() is True
    with inference_mode():
        assert c() is False
        assert is_inference_mode_enabled()


@pytest.mark.parametrize("factory", [
    lambda: jtorch.zeros(3, requires_grad=True), lambda: jtorch.ones(2, 2, requires_grad=True),
    lambda: jtorch.randn(3, requires_grad=True), lambda: jtorch.tensor([1.0], requires_grad=True),
    lambda: jtorch.full((2,), 0.5, requires_grad=True), lambda: jtorch.rand(2, requires_grad=True),
    lambda: jtorch.empty(2, requires_grad=True), lambda: jtorch.arange(3.0, requires_grad=True),
    lambda: jtorch.zeros_like(jtorch.ones(2), requires_grad=True),
    lambda: jtorch.linspace(0, 1, 3, requires_grad=True)])
def test_factories_make_leaves_requiring_grad_under_no_grad(factory):
    with no_grad():
        w = factory()
        assert w.requires_grad and w.is_leaf and w.grad_fn is None
        assert (w * 2).grad_fn is None
    (w * 2).sum().backward()
    assert (w.grad == 2).all()
    assert grad_mode(False, factory).requires_grad


def test_reference_nested_example_raises_like_torch():
    """The reference's "nested gradient contexts" example: y was computed with grad off, so
    z = y.sum() does not require grad even with grad re-enabled, and backward() raises."""
    x = jtorch.randn(3, requires_grad=True)

    def outer():
        y = x.square()

        def inner():
            z = y.sum()
            assert not z.requires_grad
            z.backward()
        with pytest.raises(RuntimeError, match="does not require grad"):
            grad_mode(True, inner)
        assert not is_grad_enabled()
        w = x.sin()
        assert w.grad_fn is None
    grad_mode(False, outer)
    assert x.grad is None


def test_reference_nested_example_corrected():
    x = jtorch.randn(3, requires_grad=True)

    def outer():
        y = grad_mode(True, lambda: x.square())
        grad_mode(True, lambda: y.sum().backward())
    grad_mode(False, outer)
    assert jtorch.allclose(x.grad, 2 * x.detach())
