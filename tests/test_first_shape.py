"""Data-movement ops at a first-seen shape run on the host (jtorch/_first_shape.py): results are
bit-identical to the jitted op's, repeated signatures take the jit, autograd and compile unchanged."""
import itertools

import numpy as np
import pytest

import jtorch
from jtorch import _first_shape
from jtorch._dispatch import array_of

_N = itertools.count(3)


def fresh(*dims, dtype=jtorch.float32):
    """A tensor at a shape no other test in this process used (the leading size is new)."""
    shape = (next(_N) + 40,) + dims
    x = jtorch.arange(int(np.prod(shape)), dtype=jtorch.float64).reshape(shape).sin() * 100
    return x.to(dtype)


def arr(t):
    return np.asarray(array_of(t))


def host_and_jit(fn, x):
    """fn(x) with the host path (asserting it was taken) and with the jit alone."""
    c = _first_shape.COUNT[0]
    with jtorch.no_grad():
        a = fn(x)
    took = _first_shape.COUNT[0] - c
    _first_shape.ENABLED[0] = False
    try:
        with jtorch.no_grad():
            b = fn(x)
    finally:
        _first_shape.ENABLED[0] = True
    return a, b, took


VIEWS = [
    ("slice", lambda x: x[1:7:2]),
    ("int index", lambda x: x[3]),
    ("newaxis", lambda x: x[None, :, 1]),
    ("negative", lambda x: x[-1, ..., -2:]),
    ("narrow", lambda x: x.narrow(1, 1, 2)),
    ("split", lambda x: x.split(2, dim=1)[1]),
    ("unbind", lambda x: x.unbind(2)[2]),
    ("transpose", lambda x: x.transpose(0, 2)),
    ("permute", lambda x: x.permute(2, 0, 1)),
    ("view", lambda x: x.view(-1, 4)),
    ("unsqueeze", lambda x: x.unsqueeze(1)),
    ("expand", lambda x: x[:, :1].expand(-1, 5, -1)),
    ("diagonal", lambda x: x.diagonal(0, 1, 2)),
    ("diagonal offset", lambda x: x.diagonal(-1, 0, 2)),
    ("unfold", lambda x: x.unfold(0, 3, 2)),
    ("as_strided", lambda x: x.as_strided((2, 3), (2, 1), 1)),
    ("chain", lambda x: x[2:].transpose(0, 1)[1:].reshape(-1)),
    ("contiguous", lambda x: x.transpose(0, 1).contiguous()),
    ("clone", lambda x: x.clone()),
]


def check(fn, dtype):
    x = fresh(3, 4, dtype=dtype)
    a, b, took = host_and_jit(fn, x)
    assert took >= 1  # the host path ran
    assert a.dtype == b.dtype and a.shape == b.shape and a.stride() == b.stride()
    # placed as the jit places it (a committed array would make later jitted ops compile again)
    assert array_of(a).committed == array_of(b).committed
    ha, hb = arr(a), arr(b)
    assert ha.dtype == hb.dtype and np.array_equal(ha.view(np.uint8), hb.view(np.uint8))


@pytest.mark.parametrize("name,fn", VIEWS, ids=[v[0] for v in VIEWS])
def test_host_equals_jit(name, fn):
    check(fn, jtorch.float32)


@pytest.mark.parametrize("dtype", [jtorch.bfloat16, jtorch.int64, jtorch.bool, jtorch.float16])
@pytest.mark.parametrize("name", ["chain", "unfold"])
def test_host_equals_jit_dtypes(name, dtype):
    check(dict(VIEWS)[name], dtype)


def test_complex_real_imag():
    x = fresh(3, dtype=jtorch.float32)
    z = jtorch.complex(x, -x)
    for fn in (lambda t: t.real, lambda t: t.imag, lambda t: t.transpose(0, 1)):
        a, b, took = host_and_jit(fn, z)
        assert took >= 1 and np.array_equal(arr(a), arr(b)) and arr(a).dtype == arr(b).dtype


def test_repeated_signature_takes_jit_after_calls(monkeypatch):
    monkeypatch.setattr(_first_shape, "CALLS", 3)
    x = fresh(4)
    c = _first_shape.COUNT[0]
    with jtorch.no_grad():
        outs = [(x + i).transpose(0, 1) for i in range(5)]  # one signature, other values
    assert _first_shape.COUNT[0] == c + 3  # the first 3 on the host, then the jit
    for i, o in enumerate(outs):
        np.testing.assert_array_equal(arr(o), arr(x).T + i)


def test_tensor_index_in_a_loop():
    # x[i] with a tensor i: the start is a dynamic argument (one program for every i)
    x = fresh(5)
    with jtorch.no_grad():
        got = [x[jtorch.tensor(i)] for i in range(x.shape[0])]
    for i, g in enumerate(got):
        np.testing.assert_array_equal(arr(g), arr(x)[i])


def test_views_still_share_storage():
    x = fresh(4)
    with jtorch.no_grad():
        v = x[1:3].transpose(0, 1)
        v[0, 0] = 1234.0
        c = x.clone()
        c[0, 0] = -1.0
    assert float(x[1, 0]) == 1234.0
    assert float(x[0, 0]) != -1.0
    assert v._base is x


def test_autograd_recording_uses_jit_and_gradients_flow():
    x = fresh(3).requires_grad_()
    c = _first_shape.COUNT[0]
    y = x[1:].transpose(0, 1).contiguous()
    assert _first_shape.COUNT[0] == c  # recording: the differentiable jit runs
    (y * y).sum().backward()
    g = np.zeros_like(arr(x))
    g[1:] = 2 * arr(x)[1:]
    np.testing.assert_allclose(arr(x.grad), g)


def test_compiled_function_with_views_equals_eager():
    def f(x):
        return x[1:].transpose(0, 1).reshape(-1) * 2

    cf = jtorch.compile(f)
    x = fresh(6)
    for _ in range(2):  # call 1 runs eagerly, call 2 traces (tracers: the host path steps aside)
        np.testing.assert_array_equal(arr(cf(x)), arr(f(x)))


def test_bitcast_and_weak_inputs_take_jit():
    x = fresh(4)
    c = _first_shape.COUNT[0]
    with jtorch.no_grad():
        y = x.view(jtorch.int32)
    assert _first_shape.COUNT[0] == c
    np.testing.assert_array_equal(arr(y), arr(x).view(np.int32))


CATS = [
    ("dim0", lambda x: jtorch.cat([x, x[:2], x[1:2]])),
    ("dim1 kw", lambda x: jtorch.cat((x, x[:, :1]), dim=1)),
    ("negative dim", lambda x: jtorch.cat([x, x], -1)),
]


@pytest.mark.parametrize("name,fn", CATS, ids=[c[0] for c in CATS])
def test_cat_host_equals_jit(name, fn):
    check(fn, jtorch.float32)


def test_cat_promotion_and_empties_take_jit():
    x = fresh(3)
    c = _first_shape.COUNT[0]
    with jtorch.no_grad():
        mixed = jtorch.cat([x, x.to(jtorch.float64)])  # promotes: the jit's rules
        empty = jtorch.cat([jtorch.tensor([]), x[0]])  # torch skips 1-D empties
    assert _first_shape.COUNT[0] == c + 1  # only x[0]'s view step ran on the host
    assert mixed.dtype == jtorch.float64 and mixed.shape == (2 * x.shape[0], 3)
    np.testing.assert_array_equal(arr(empty), arr(x)[0])


def test_embedding_host_equals_jit():
    w = fresh(5)
    idx = jtorch.tensor([[0, 3, 1], [w.shape[0] - 1, 0, 2]])
    for fn in (lambda t: jtorch.nn.functional.embedding(idx, t),
               lambda t: jtorch.nn.functional.embedding(idx[:, :2], t, padding_idx=0)):
        a, b, took = host_and_jit(fn, w)
        assert took >= 1 and array_of(a).committed == array_of(b).committed
        np.testing.assert_array_equal(arr(a), arr(b))


def test_embedding_out_of_range_still_raises():
    w = fresh(2)
    with jtorch.no_grad(), pytest.raises(IndexError):
        jtorch.nn.functional.embedding(jtorch.tensor([w.shape[0]]), w)


def _count_compiles():
    import jax
    n = [0]

    def on(name, secs, **kw):
        if name == "/jax/core/compile/backend_compile_duration":
            n[0] += 1
    jax.monitoring.register_event_duration_secs_listener(on)
    return n


def test_view_starts_as_cached_device_scalars():
    import jax
    a = _first_shape.device_starts((3, 0, -2))
    assert all(isinstance(s, jax.Array) and s.weak_type and s.dtype == np.int64 and s.ndim == 0
               for s in a)
    assert [int(s) for s in a] == [3, 0, -2]
    assert all(p is q for p, q in zip(a, _first_shape.device_starts((3, 0, -2))))  # cached
    for keep in ((3, np.int64(1)), (True, 0), (1 << 70,)):  # other types keep their own avals
        assert _first_shape.device_starts(keep) is keep


def test_indexing_with_int_starts_compiles_once_and_matches_numpy(monkeypatch):
    # the steady state (jit) passes the starts as cached scalars: one program for every i, and
    # the same program a Python int would trace (no compile when the int form is called)
    monkeypatch.setattr(_first_shape, "ENABLED", [False])
    x = fresh(4, 3)
    n = _count_compiles()
    with jtorch.no_grad():
        got = [x[i, 1:] for i in range(-x.shape[0], x.shape[0])]
    assert n[0] <= 1
    for i, g in zip(range(-x.shape[0], x.shape[0]), got):
        np.testing.assert_array_equal(arr(g), arr(x)[i, 1:])
    op = _first_shape._STEP
    step = ("index", (("i",), ("s", 3, 1), ("s", 3, 1)))
    ref = op.jit_nograd(array_of(x), _first_shape.device_starts((2, 1, 0)), step=step)
    before = n[0]
    same = op.jit_nograd(array_of(x), (2, 1, 0), step=step)
    assert n[0] == before
    np.testing.assert_array_equal(np.asarray(same), np.asarray(ref))
