"""Bad input raises torch's error instead of returning a value (issue 14 §1; the types and
texts were read from torch 2.13, the differential fuzzer is compat/fuzz_bad_input.py)."""
import math

import pytest

import jtorch as T
import jtorch.nn.functional as F


def _x():
    return T.ones(3, 4)


def _b(*shape):
    return T.ones(shape, dtype=T.bool)


ERRORS = [
    # dtypes an op refuses (jtorch/_dtype_rules.py)
    (lambda: T.abs(_b(2)), NotImplementedError, "not implemented for 'Bool'"),
    (lambda: _b(2).abs(), NotImplementedError, "not implemented for 'Bool'"),
    (lambda: T.floor(_b(2)), NotImplementedError, "'Bool'"),
    (lambda: F.relu(_b(2)), RuntimeError, "Boolean inputs not supported for relu"),
    (lambda: F.gelu(T.ones(2, dtype=T.int64)), NotImplementedError, "'Long'"),
    (lambda: T.where(T.ones(2), T.ones(2), T.zeros(2)), RuntimeError,
     "where expected condition to be a boolean tensor, but got a tensor with dtype Float"),
    (lambda: T.lt(T.ones(2), T.ones(2, dtype=T.complex64)), NotImplementedError, "ComplexFloat"),
    (lambda: T.ones(2, dtype=T.complex64) < 1, NotImplementedError, "ComplexFloat"),
    (lambda: T.var(T.ones(2, 3, dtype=T.int64), 1), RuntimeError, "floating point and complex"),
    (lambda: T.clamp(T.ones(2, dtype=T.complex64), 0), NotImplementedError, "complex"),
    (lambda: T.hypot(T.ones(2, dtype=T.int64), T.ones(2, dtype=T.int64)), NotImplementedError,
     "'Long'"),
    # indices
    (lambda: T.index_select(_x(), 1, T.tensor([0.5])), RuntimeError, "int32 or int64"),
    (lambda: T.index_select(_x(), 1, T.tensor([[0]])), IndexError, "supposed to be a vector"),
    (lambda: T.gather(_x(), 1, T.zeros(3, 2)), RuntimeError, "int32/int64"),
    (lambda: _x()[T.tensor([True, False])], IndexError,
     r"mask \[2\] at index 0 does not match the shape of the indexed tensor \[3, 4\] at index 0"),
    (lambda: _x()[:, T.tensor([True, False])], IndexError, "at index 1"),
    # dims, weights
    (lambda: T.linalg.vector_norm(T.ones(2, 3), dim=4), IndexError, "Dimension out of range"),
    (lambda: T.linalg.vector_norm(T.ones(2, 3), dim=(0, 0)), RuntimeError, "multiple times"),
    (lambda: F.cross_entropy(T.ones(2, 3), T.tensor([0, 1]), weight=T.ones(4)), RuntimeError,
     r"for all 3 classes or no classes but got weight tensor of shape: \[4\]"),
    (lambda: F.nll_loss(T.ones(2, 3), T.tensor([0, 1]), weight=T.ones(2)), RuntimeError,
     "for all 3 classes"),
    # Python types where an int goes (jtorch/_arg_types.py)
    (lambda: T.cummax(_x(), dim=True), TypeError, "argument 'dim' must be int, not bool"),
    (lambda: T.diff(_x(), dim=1.0), TypeError, "must be int, not float"),
    (lambda: T.histc(T.ones(4), bins="4"), TypeError, "must be int, not str"),
    # sizes: torch's RuntimeError before anything is allocated (XLA aborted the process)
    (lambda: T.rand(10 ** 10), RuntimeError, "can't allocate memory: you tried to allocate "
                                             "40000000000 bytes"),
    (lambda: T.randn(10 ** 6, 10 ** 6), RuntimeError, "can't allocate memory"),
    (lambda: T.randint(0, 5, (10 ** 10,)), RuntimeError, "80000000000 bytes"),
    (lambda: T.randperm(10 ** 11), RuntimeError, "can't allocate memory"),
    (lambda: T.randperm(-1), RuntimeError, "negative dimension -1"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_bad_input_raises_torchs_error(i):
    call, exc, pattern = ERRORS[i]
    with pytest.raises(exc, match=pattern):
        call()


def test_dtype_rules_hold_inside_compile():
    f = T.compile(lambda x: T.abs(x) + 0)
    for _ in range(3):  # traced and replayed on float input
        assert f(T.tensor([-1.0, 2.0])).tolist() == [1.0, 2.0]
    with pytest.raises(NotImplementedError, match="'Bool'"):
        for _ in range(3):
            f(_b(2))


def test_int_argument_check_is_per_trace_not_cached_away():
    x = _x()
    assert T.cummax(x, dim=1)[0].shape == (3, 4)  # dim=1 compiled first: True must not hit it
    with pytest.raises(TypeError, match="not bool"):
        T.cummax(x, dim=True)


def test_false_index_adds_an_empty_dim():
    assert _x()[False].shape == (0, 3, 4)
    assert _x()[:, False].shape == (3, 0, 4)
    assert _x()[0, False].shape == (0, 4)
    assert _x()[True].shape == (1, 3, 4)


def test_median_of_empty_and_nan_clamp_bound():
    assert math.isnan(T.median(T.zeros(0)).item())
    assert math.isnan(T.nanmedian(T.zeros(0)).item())
    assert T.median(T.zeros(0, dtype=T.int64)).item() == -2 ** 63
    r = T.clamp(T.tensor([1.0, 2.0]), min=float("nan"))
    assert all(math.isnan(v) for v in r.tolist())
    r = T.clamp(T.tensor([1.0, 2.0]), max=float("nan"))
    assert all(math.isnan(v) for v in r.tolist())


def test_valid_calls_still_work():
    assert T.abs(T.tensor([-1.0])).tolist() == [1.0]
    assert T.where(T.tensor([True, False]), 1.0, 0.0).tolist() == [1.0, 0.0]
    assert T.index_select(_x(), 1, T.tensor([0], dtype=T.int32)).shape == (3, 1)
    assert (T.ones(2, dtype=T.complex64) == 1).tolist() == [True, True]
    assert _x()[T.tensor([True, False, True])].shape == (2, 4)
    assert T.rand(3, 2).shape == (3, 2)
    assert T.clamp(T.tensor([1.0, 5.0]), 2.0, 4.0).tolist() == [2.0, 4.0]


def test_huge_results_raise_before_allocating():
    # XLA aborted the process (or Python looped for hours) on each of these
    for call in (lambda: T.nn.functional.one_hot(T.tensor([0, 1]), num_classes=10 ** 12),
                 lambda: T.ones(4).repeat_interleave(10 ** 12),
                 lambda: T.tile(T.ones(3, 4), (10 ** 6, 10 ** 6, 10 ** 6)),
                 lambda: T.diag(T.ones(4), diagonal=10 ** 12),
                 lambda: T.eye(10 ** 12),
                 lambda: F.adaptive_avg_pool2d(T.ones(1, 2, 5, 5), 10 ** 12),
                 lambda: F.local_response_norm(T.ones(1, 3, 4), 10 ** 12)):
        with pytest.raises(RuntimeError, match="can't allocate memory"):
            call()
    with pytest.raises(RuntimeError, match="tensordot expects dims < ndim_a or ndim_b"):
        T.tensordot(T.ones(3, 4), T.ones(4, 2), dims=10 ** 12)


def test_loss_target_dtypes_and_gcd_of_floats():
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got Int"):
        F.cross_entropy(T.ones(2, 3), T.tensor([0, 1], dtype=T.int32))
    with pytest.raises(RuntimeError, match="Found dtype Long but expected Float"):
        F.binary_cross_entropy(T.ones(2, 3), T.zeros(2, 3, dtype=T.int64))
    with pytest.raises(NotImplementedError, match="'Float'"):
        T.gcd(T.ones(2), T.ones(2))
    assert T.tensordot(T.ones(3, 4), T.ones(4, 2), dims=True).shape == (3, 2)
