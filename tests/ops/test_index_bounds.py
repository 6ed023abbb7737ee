"""Value checks (jtorch/_value_checks.py): out-of-range indices, integer division by zero and
integer ** negative int raise eagerly; under jit the checks are skipped."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jtorch as torch
import jtorch.nn.functional as F
from jtorch._checks import any_zero, extrema, out_of_range, probability_stats


def _i(*v):
    return torch.tensor(v, dtype=torch.int64)


X = torch.arange(5.0)

RAISES = [
    (IndexError, "index 7 is out of bounds for dimension 0 with size 5", lambda: X[_i(7)]),
    (IndexError, "index -6 is out of bounds", lambda: X.clone().__setitem__(_i(-6), 1.0)),
    (RuntimeError, "index 7 is out of bounds", lambda: X.gather(0, _i(7))),
    (RuntimeError, "index -1 is out of bounds", lambda: X.gather(0, _i(-1))),
    (RuntimeError, "index 9 is out of bounds", lambda: X.scatter(0, _i(9), 1.0)),
    (RuntimeError, "index 9 is out of bounds", lambda: X.clone().scatter_(0, _i(9), 1.0)),
    (RuntimeError, "index 9 is out of bounds", lambda: X.scatter_add(0, _i(9), torch.ones(1))),
    (IndexError, "index out of range in self", lambda: X.index_select(0, _i(7))),
    (IndexError, "index out of range in self", lambda: X.index_add(0, _i(9), torch.ones(1))),
    (IndexError, "index_copy_(): index 9", lambda: X.index_copy(0, _i(9), torch.ones(1))),
    (IndexError, "out of range: tried to access index 9 on a tensor of 5 elements.",
     lambda: X.take(_i(9))),
    (IndexError, "index out of range in self", lambda: F.embedding(_i(9), torch.ones(5, 2))),
    # torch reads out of bounds here (no error, arbitrary values); jtorch refuses
    (RuntimeError, "index 9 is out of bounds", lambda: X.take_along_dim(_i(9), 0)),
    (IndexError, "Target 5 is out of bounds.", lambda: F.cross_entropy(torch.ones(2, 3), _i(0, 5))),
    (IndexError, "Target -1 is out of bounds.", lambda: F.nll_loss(torch.ones(2, 3), _i(0, -1))),
    (IndexError, "index out of range in self",  # torch's error here depends on the values
     lambda: F.embedding_bag(_i(1, 2), torch.ones(5, 2), _i(0, 2, 1))),
    (RuntimeError, "Class values must be smaller than num_classes.", lambda: F.one_hot(_i(5), 3)),
    (RuntimeError, "ZeroDivisionError", lambda: _i(1) // 0),
    (RuntimeError, "ZeroDivisionError", lambda: _i(1, 2) % _i(3, 0)),
    (RuntimeError, "ZeroDivisionError", lambda: torch.div(_i(1), 0, rounding_mode="trunc")),
    (RuntimeError, "Integers to negative integer powers are not allowed.", lambda: _i(2) ** -1),
    (RuntimeError, "Integers to negative", lambda: _i(2) ** np.int64(-1)),
    (RuntimeError, "Found an invalid max index: 9",
     lambda: F.max_unpool1d(torch.ones(1, 1, 2), torch.tensor([[[0, 9]]]), 2)),
    (RuntimeError, "repeats can not be negative", lambda: torch.repeat_interleave(_i(1, -1))),
    (RuntimeError, "sorter index out of range",
     lambda: torch.searchsorted(torch.tensor([1.0, 2.0]), torch.tensor([2.0]), sorter=_i(0, 2))),
    (IndexError, "select(): index 5", lambda: torch.zeros(2).select_scatter(torch.tensor(1.0), 0, 5)),
    (RuntimeError, "random_ expects 'from' to be less than 'to'", lambda: torch.randint(3, 3, (2,))),
    (RuntimeError, "bins must be > 0", lambda: torch.histc(torch.tensor([1.0]), bins=0)),
    (RuntimeError, "p_in >= 0", lambda: torch.bernoulli(torch.tensor([-0.5]))),
    (RuntimeError, "element < 0", lambda: torch.multinomial(torch.tensor([-1.0, 2.0]), 1)),
    (RuntimeError, "sum of probabilities <= 0", lambda: torch.multinomial(torch.zeros(1, 2), 1)),
    (RuntimeError, "input_lengths to have value at most 5",
     lambda: F.ctc_loss(torch.zeros(5, 1, 3), _i(1, 2), _i(9), _i(2))),
]


@pytest.mark.parametrize("i", range(len(RAISES)))
def test_raises(i):
    exc, msg, fn = RAISES[i]
    with pytest.raises(exc, match=None) as info:
        fn()
    assert msg in str(info.value)


def test_in_range_values():
    np.testing.assert_array_equal(X[_i(4, -5)].numpy(), [4.0, 0.0])
    np.testing.assert_array_equal(X.take(_i(-1)).numpy(), [4.0])
    assert F.nll_loss(torch.ones(2, 3), _i(0, -100)).item() == -1.0
    p = torch.tensor([-2, -1, 0, 1, 2]) ** _i(-1, -1, -1, -1, -2)
    np.testing.assert_array_equal(p.numpy(), [0, -1, 0, 1, 0])  # torch's values
    assert (torch.ones(1) // 0).item() == float("inf")


def test_error_leaves_inplace_target_unchanged():
    x = torch.arange(5.0)
    with pytest.raises(RuntimeError):
        x.scatter_(0, _i(9), 1.0)
    np.testing.assert_array_equal(x.numpy(), np.arange(5.0))


def test_extrema_one_read_for_all_arrays():
    a, b = jnp.asarray([3, -2, 7]), np.asarray([[1, 5]])
    assert extrema((a, b, jnp.zeros((0,), jnp.int64))) == [(-2, 7), (1, 5), None]
    assert extrema((jnp.asarray([-100, 2]),), (-100,)) == [(2, 2)]
    assert extrema((jnp.asarray([-100]),), (-100,)) == [None]
    assert out_of_range(jnp.asarray([0, 4]), 0, 5) is None
    assert out_of_range(jnp.asarray([0, 5, -1]), 0, 5) == 5
    assert out_of_range(jnp.asarray([0, -1], jnp.int32), 0, 5) == -1
    assert any_zero(jnp.asarray([1, 0])) and not any_zero(jnp.asarray([1, 2])) and any_zero(0)


def test_tracers_skip_the_checks():
    @jax.jit
    def f(idx):
        return (extrema((idx,)), any_zero(idx), jnp.zeros(()))[2]
    f(jnp.asarray([1]))  # no host value under jit: no check, no error


def test_compiled_step_checks_too():
    # Inside jtorch.compile the check runs after the program, on its integer inputs (issue 14 §3).
    f = torch.compile(lambda x, i: x.gather(0, i))
    for _ in range(3):
        f(X, _i(1))
    with pytest.raises(RuntimeError, match="index 7 is out of bounds"):
        f(X, _i(7))


def test_probability_stats():
    assert probability_stats(jnp.asarray([[0.5, 0.25], [1.0, 0.0]])) == (0.0, 1.0, True, 0.75)
    assert probability_stats(jnp.asarray([np.nan, 1.0]))[2] is False
    assert probability_stats(jnp.zeros((0,))) is None


def test_accelerator_path_one_jitted_reduction(monkeypatch):
    # Off the CPU backend device arrays are reduced by one jitted call; force that path here.
    from jtorch import _checks
    monkeypatch.setattr(_checks, "_CPU", False)
    a, b = jnp.asarray([3, -2, 7], jnp.int32), jnp.asarray([[-100, 5]])
    assert extrema((a, b), (None, -100)) == [(-2, 7), (5, 5)]
    assert extrema((jnp.asarray([-100]),), (-100,)) == [None]
    assert any_zero(jnp.asarray([1, 0])) and not any_zero(jnp.asarray([1, 2]))
    assert probability_stats(jnp.asarray([[0.5, 0.25], [1.0, 0.0]])) == (0.0, 1.0, True, 0.75)
    with pytest.raises(RuntimeError, match="index 7 is out of bounds"):
        X.gather(0, _i(7))
