"""`__torch_function__` (jtorch.overrides): dispatch of functions, methods, operators, modes."""
from __future__ import annotations

import pytest

import jtorch
from jtorch import overrides

F = jtorch.nn.functional


class Log(jtorch.Tensor):
    calls: list = []

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        cls.calls.append(func)
        return super().__torch_function__(func, types, args, kwargs)


def _log(x):
    Log.calls.clear()
    return jtorch.as_tensor(x, dtype=jtorch.float32).as_subclass(Log)


def test_defining_a_subclass_turns_the_check_on():
    assert overrides.ACTIVE[0]  # Log above overrides __torch_function__


def test_funcs_are_the_public_objects():
    x = _log([1.0, 2.0])
    y = x + 1
    y = 1 + y
    y.add_(1)
    y += 1
    z = jtorch.cat([x, y])
    F.relu(z)
    T = jtorch.Tensor
    assert Log.calls == [T.add, T.add, T.add_, T.add_, jtorch.cat, F.relu]
    assert type(y) is Log and type(z) is Log


def test_index_and_views_keep_the_subclass():
    x = _log([[1.0, 2.0], [3.0, 4.0]])
    assert type(x[0]) is Log and type(x.view(4)) is Log and type(x.T) is Log
    x[0] = 7.0
    assert x.as_subclass(jtorch.Tensor).tolist() == [[7.0, 7.0], [3.0, 4.0]]
    names = [getattr(f, "__name__", "") for f in Log.calls]
    assert names[:4] == ["__getitem__", "view", "__get__", "__setitem__"]
    vals, idx = x.max(dim=1)
    assert type(vals) is Log and type(idx) is Log


def test_parameter_opts_out():
    p = jtorch.nn.Parameter(jtorch.ones(2))
    assert type(p * 2) is jtorch.Tensor
    assert not overrides.has_torch_function((p,))


def test_disable_subclass_and_all():
    x = _log([1.0])
    with jtorch.DisableTorchFunctionSubclass():
        assert type(x + 1) is jtorch.Tensor
    with jtorch.DisableTorchFunction():
        assert type(x + 1) is jtorch.Tensor
        assert not overrides.has_torch_function((x,))
    assert Log.calls == []
    assert overrides.has_torch_function((x,))


def test_non_tensor_class():
    class Dummy:
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return (func.__name__, types)
    d = Dummy()
    assert jtorch.add(d, 1) == ("add", (Dummy,))
    assert (jtorch.ones(1) * d) == ("mul", (Dummy,))
    assert F.gelu(d)[0] == "gelu"


def test_not_implemented_raises_type_error():
    class A:
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return NotImplemented
    with pytest.raises(TypeError, match="no implementation found for 'torch.add'"):
        jtorch.add(A(), 1)


def test_mode_sees_calls_once_and_nests():
    seen = []

    class M(overrides.TorchFunctionMode):
        def __init__(self, tag):
            self.tag = tag

        def __torch_function__(self, func, types, args=(), kwargs=None):
            seen.append((self.tag, func.__name__))
            return func(*args, **(kwargs or {}))
    x, w = jtorch.ones(2), jtorch.ones(3, 2)
    with M("outer"), M("inner"):
        assert overrides._get_current_function_mode().tag == "inner"
        y = F.linear(x, w)
        jtorch.zeros(1)  # factories go through modes too, as in torch
    assert seen == [("inner", "linear"), ("outer", "linear"), ("inner", "zeros"), ("outer", "zeros")]
    assert y.tolist() == [2.0, 2.0, 2.0]
    assert overrides._get_current_function_mode() is None


def test_mode_under_compile_runs_at_trace_time():
    seen = []

    class M(overrides.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            seen.append(func.__name__)
            out = func(*args, **(kwargs or {}))
            return out * 2 if func is jtorch.relu else out

    def f(x):
        with M():
            return jtorch.relu(x) + 1
    c = jtorch.compile(f)
    x = jtorch.arange(3.0)
    for _ in range(3):
        assert c(x).tolist() == f(x).tolist() == [1.0, 3.0, 5.0]


def test_make_subclass_is_a_leaf_sharing_memory():
    base = jtorch.zeros(2)
    t = jtorch.Tensor._make_subclass(Log, base, True)
    assert type(t) is Log and t.requires_grad and t.is_leaf
    with jtorch.no_grad():
        base.add_(1)
    assert t.as_subclass(jtorch.Tensor).tolist() == [1.0, 1.0]


def test_helpers():
    assert jtorch.add in overrides.get_overridable_functions()[jtorch]
    assert overrides.resolve_name(jtorch.Tensor.add) == "torch.Tensor.add"
    assert overrides.resolve_name(F.relu) == "torch.nn.functional.relu"
    assert overrides.is_tensor_like(jtorch.ones(1)) and not overrides.is_tensor_like(1.0)
    assert overrides.is_tensor_method_or_property(jtorch.Tensor.add)


def test_layout_subclasses_opt_out():
    """Sparse tensors are jtorch's layout subclass, not a user's: no dispatch, no conversion."""
    s = jtorch.ones(2, 2).to_sparse()
    assert not overrides.has_torch_function((s,))
    assert type(s.to_dense() + _log([1.0, 1.0])) is Log
    assert type(s.to_dense()) is jtorch.Tensor
