"""Factories and random numbers. Expected values and dtypes were checked against torch 2.13;
random streams are jtorch's own (same seed, same numbers), not torch's."""
import numpy as np
import pytest

import jtorch


def test_tensor_infers_dtype_and_copies():
    assert jtorch.tensor([[1, 2], [3, 4]]).shape == (2, 2)
    assert jtorch.tensor([]).shape == (0,) and jtorch.tensor([]).dtype is jtorch.float32
    assert jtorch.tensor([1.0, 2], dtype=jtorch.float64).dtype is jtorch.float64
    src = jtorch.ones(2)
    t = jtorch.tensor(src)
    assert t is not src
    t.add_(1)
    assert src.tolist() == [1.0, 1.0]
    with pytest.raises(ValueError):
        jtorch.tensor([[1, 2], [3]])
    with pytest.raises(ValueError):  # torch 2.13: "too many dimensions 'str'"
        jtorch.tensor(["a"])


def test_as_tensor_and_from_numpy():
    t = jtorch.ones(2)
    assert jtorch.as_tensor(t) is t
    assert jtorch.as_tensor(t, dtype=jtorch.float64).dtype is jtorch.float64
    assert jtorch.as_tensor([1.0, 2.0]).dtype is jtorch.float32
    a = np.arange(6, dtype=np.float16).reshape(2, 3)
    f = jtorch.from_numpy(a)
    assert f.dtype is jtorch.float16 and f.tolist() == a.tolist()
    assert jtorch.from_numpy(np.array([1], np.int32)).dtype is jtorch.int32
    with pytest.raises(TypeError):
        jtorch.from_numpy([1, 2])


@pytest.mark.parametrize("fn, value", [(jtorch.zeros, 0.0), (jtorch.ones, 1.0), (jtorch.empty, None)])
def test_zeros_ones_empty_sizes(fn, value):
    for args in [(2, 3), ((2, 3),), ([2, 3],)]:
        t = fn(*args)
        assert t.shape == (2, 3) and t.dtype is jtorch.float32
        if value is not None:
            assert (t == value).all()
    assert fn(2, dtype=jtorch.int32).dtype is jtorch.int32
    assert fn(2, 0).shape == (2, 0)
    with pytest.raises(RuntimeError, match="negative dimension"):
        fn(-1)


def test_full_and_like_factories():
    assert jtorch.full((2,), 7).dtype is jtorch.int64
    assert jtorch.full((2,), 7.0).dtype is jtorch.float32
    assert jtorch.full((2,), True).dtype is jtorch.bool
    assert jtorch.full((2, 2), 1.5).tolist() == [[1.5, 1.5], [1.5, 1.5]]
    base = jtorch.ones(2, 3, dtype=jtorch.int32)
    assert jtorch.zeros_like(base).dtype is jtorch.int32 and (jtorch.zeros_like(base) == 0).all()
    assert jtorch.ones_like(base, dtype=jtorch.float64).dtype is jtorch.float64
    assert jtorch.empty_like(base).shape == (2, 3)
    assert jtorch.full_like(base, 4).tolist() == [[4, 4, 4], [4, 4, 4]]


def test_arange_linspace_eye():
    assert jtorch.arange(5).tolist() == [0, 1, 2, 3, 4] and jtorch.arange(5).dtype is jtorch.int64
    assert jtorch.arange(0.0, 3).dtype is jtorch.float32
    assert jtorch.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert jtorch.arange(10, 0, -3).tolist() == [10, 7, 4, 1]
    assert jtorch.arange(1, 4, dtype=jtorch.float64).tolist() == [1.0, 2.0, 3.0]
    assert jtorch.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert jtorch.linspace(0, 1, 1).tolist() == [0.0]
    assert jtorch.eye(2, 3).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert jtorch.eye(2, dtype=jtorch.int64).dtype is jtorch.int64


def test_legacy_tensor_constructor():
    assert jtorch.Tensor([1, 2]).dtype is jtorch.float32
    assert jtorch.Tensor(2, 3).shape == (2, 3)


# ---- random ------------------------------------------------------------------------------------

SAMPLERS = {
    "rand": lambda g=None: jtorch.rand(3, 4, generator=g),
    "randn": lambda g=None: jtorch.randn(3, 4, generator=g),
    "randint": lambda g=None: jtorch.randint(0, 100, (3, 4), generator=g),
    "randperm": lambda g=None: jtorch.randperm(10, generator=g),
    "normal": lambda g=None: jtorch.normal(2.0, 3.0, size=(3, 4), generator=g),
    "bernoulli": lambda g=None: jtorch.bernoulli(jtorch.full((20,), 0.5), generator=g),
    "multinomial": lambda g=None: jtorch.multinomial(jtorch.ones(8), 8, generator=g),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_same_seed_same_numbers_and_draws_differ(name):
    f = SAMPLERS[name]
    jtorch.manual_seed(1234)
    a, b = f().tolist(), f().tolist()
    jtorch.manual_seed(1234)
    assert f().tolist() == a and f().tolist() == b
    assert a != b  # successive draws differ
    jtorch.manual_seed(99)
    assert f().tolist() != a


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_explicit_generator_is_independent_of_default(name):
    f = SAMPLERS[name]
    g = jtorch.Generator().manual_seed(7)
    a = f(g).tolist()
    jtorch.manual_seed(0)
    jtorch.rand(5)  # advancing the default generator does not touch g
    g2 = jtorch.Generator()
    assert g2.manual_seed(7) is g2
    assert f(g2).tolist() == a


def test_sampler_ranges_and_dtypes():
    jtorch.manual_seed(0)
    r = jtorch.rand(1000)
    assert r.dtype is jtorch.float32 and 0 <= r.min().item() and r.max().item() < 1
    assert jtorch.rand(2, dtype=jtorch.float64).dtype is jtorch.float64
    n = jtorch.randn(4000, dtype=jtorch.float64)
    assert abs(n.mean().item()) < 0.1 and abs(n.std().item() - 1) < 0.1
    i = jtorch.randint(3, 10, (1000,))
    assert i.dtype is jtorch.int64 and i.min().item() >= 3 and i.max().item() <= 9
    assert jtorch.randint(10, (2, 2)).shape == (2, 2)
    p = jtorch.randperm(50)
    assert p.dtype is jtorch.int64 and sorted(p.tolist()) == list(range(50))
    m = jtorch.normal(jtorch.zeros(3), 1.0)
    assert m.shape == (3,)
    nm = jtorch.normal(5.0, 0.01, size=(100,))
    assert abs(nm.mean().item() - 5.0) < 0.01
    b = jtorch.bernoulli(jtorch.full((200,), 0.5))
    assert b.dtype is jtorch.float32 and set(b.tolist()) <= {0.0, 1.0}
    assert jtorch.bernoulli(jtorch.zeros(5)).tolist() == [0.0] * 5
    mn = jtorch.multinomial(jtorch.ones(4), 4)
    assert sorted(mn.tolist()) == [0, 1, 2, 3] and mn.dtype is jtorch.int64
    assert set(jtorch.multinomial(jtorch.tensor([0.0, 1.0]), 5, replacement=True).tolist()) == {1}
    with pytest.raises(RuntimeError):
        jtorch.multinomial(jtorch.ones(3), 4)
    with pytest.raises(NotImplementedError):
        jtorch.randn(2, dtype=jtorch.int64)


def test_like_samplers():
    x = jtorch.ones(2, 3, dtype=jtorch.float64)
    assert jtorch.rand_like(x).dtype is jtorch.float64 and jtorch.rand_like(x).shape == (2, 3)
    assert jtorch.randn_like(x).dtype is jtorch.float64
    ri = jtorch.randint_like(jtorch.ones(3), 5)
    assert ri.dtype is jtorch.float32 and ri.max().item() < 5


def test_factory_requires_grad():
    r = jtorch.randn(3, requires_grad=True)
    assert r.requires_grad and r.is_leaf


def test_in_place_samplers_use_seed():
    jtorch.manual_seed(5)
    a = jtorch.empty(4).uniform_(-1, 1).tolist()
    b = jtorch.empty(4).normal_().tolist()
    jtorch.manual_seed(5)
    assert jtorch.empty(4).uniform_(-1, 1).tolist() == a
    assert jtorch.empty(4).normal_().tolist() == b
    assert all(-1 <= v < 1 for v in a)


def test_generator_state_round_trip():
    g = jtorch.Generator().manual_seed(3)
    assert g.initial_seed() == 3
    jtorch.rand(2, generator=g)
    state = g.get_state()
    assert isinstance(state, jtorch.Tensor) and state.dtype is jtorch.uint8
    a = jtorch.rand(5, generator=g).tolist()
    b = jtorch.rand(5, generator=g).tolist()
    g.set_state(state)
    assert jtorch.rand(5, generator=g).tolist() == a
    other = jtorch.Generator()
    other.set_state(state)
    assert jtorch.rand(5, generator=other).tolist() == a
    assert jtorch.rand(5, generator=other).tolist() == b


def test_default_generator_functions():
    jtorch.manual_seed(11)
    assert jtorch.initial_seed() == 11
    state = jtorch.get_rng_state()
    a = jtorch.randn(3).tolist()
    jtorch.set_rng_state(state)
    assert jtorch.randn(3).tolist() == a
    s = jtorch.seed()
    assert isinstance(s, int) and jtorch.initial_seed() == s
    assert jtorch.manual_seed(1) is jtorch.default_generator


def test_fork_rng_restores_default_state():
    jtorch.manual_seed(21)
    with jtorch.random.fork_rng():
        inside = jtorch.rand(3).tolist()
        jtorch.manual_seed(999)
        jtorch.rand(3)
    after = jtorch.rand(3).tolist()
    assert after == inside  # the stream continues as if the block never drew
    assert jtorch.initial_seed() == 21
    with pytest.raises(ValueError):
        with jtorch.random.fork_rng():
            jtorch.rand(3)
            raise ValueError
    assert jtorch.rand(3).tolist() != after
    jtorch.manual_seed(21)
    jtorch.rand(3)
    expected = jtorch.rand(3).tolist()
    jtorch.manual_seed(21)
    jtorch.rand(3)
    with jtorch.random.fork_rng(enabled=True):
        jtorch.rand(10)
    assert jtorch.rand(3).tolist() == expected


def test_numpy_scalars_keep_their_dtype_and_size_keyword():
    assert jtorch.tensor(np.float64(1.5)).dtype is jtorch.float64
    assert jtorch.tensor(np.int8(3)).dtype is jtorch.int8
    assert jtorch.tensor([np.int32(1), np.int32(2)]).dtype is jtorch.int32
    assert jtorch.tensor([np.int32(1), 2]).dtype is jtorch.int64
    assert jtorch.tensor([np.float16(1), np.int64(2)]).dtype is jtorch.float16
    assert jtorch.tensor([True, 2.5]).dtype is jtorch.float32
    assert jtorch.tensor([1 + 1j, 2]).dtype is jtorch.complex64
    for f in (jtorch.zeros, jtorch.ones, jtorch.empty, jtorch.rand, jtorch.randn):
        assert f(size=(2, 3)).shape == (2, 3)


def test_tensor_of_an_ndarray_copies_without_compiling_per_shape():
    import jax
    compiles, on = [], [True]

    def listener(name, duration, **kwargs):  # JAX has no public unregister: it goes quiet after
        if on[0] and name == "/jax/core/compile/backend_compile_duration":
            compiles.append(name)
    jax.monitoring.register_event_duration_secs_listener(listener)
    src = np.arange(12.0).reshape(3, 4)[:, ::2]  # a strided view: copied, not aliased
    for n in (7, 9, 11):
        a = np.linspace(0, 1, n, dtype=np.float32)
        t = jtorch.tensor(a)
        assert t.dtype == jtorch.float32
        np.testing.assert_array_equal(t.numpy(), a)
    on[0] = False
    assert compiles == []  # a same-dtype ndarray goes to the device as a host copy
    t = jtorch.tensor(src)
    src[0, 0] = 99.0
    assert t.dtype == jtorch.float64 and float(t[0, 0]) == 0.0 and t.tolist() == [[0, 2], [4, 6], [8, 10]]
