"""jtorch.masked on dense tensors: values checked against torch 2.13 (recorded here)."""
import math

import numpy as np
import pytest

import jtorch
from jtorch import masked as M

X = jtorch.tensor([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]])
MASK = jtorch.tensor([[True, False, True], [False, False, False]])  # row 1 fully masked out


def close(t, expected):
    np.testing.assert_allclose(np.asarray(t.tolist(), dtype=float), expected, rtol=1e-6)


def test_reductions_use_identities_and_nan_where_undefined():
    # expected values computed with torch.masked
    close(M.sum(X, 1, mask=MASK), [4.0, 0.0])
    close(M.amax(X, 1, mask=MASK), [3.0, -math.inf])
    close(M.mean(X, 1, mask=MASK), [2.0, math.nan])
    close(M.argmin(X, 1, mask=MASK), [0.0, 0.0])
    close(M.var(X, 1, mask=MASK), [2.0, math.nan])
    close(M.median(X, 1, mask=MASK), [1.0, math.nan])
    close(M.norm(X, 2.0, 1, mask=MASK), [math.sqrt(10), 0.0])
    assert M.prod(X, mask=MASK).item() == 3.0


def test_scans_and_normalizations():
    close(M.cumsum(X, 1, mask=MASK), [[1.0, 1.0, 4.0], [0.0, 0.0, 0.0]])
    close(M.softmax(X, 1, mask=MASK), [[0.11920291185379028, 0.0, 0.8807970285415649],
                                       [math.nan] * 3])


def test_mask_broadcasts_and_int_sums_widen():
    xi = jtorch.tensor([[1, 2], [3, 4]])
    s = M.sum(xi, mask=jtorch.tensor([True, False]))
    assert s.dtype is jtorch.int64 and s.item() == 4


def test_gradient_is_zero_at_masked_out_elements():
    x = X.clone().requires_grad_(True)
    M.sum(x, mask=MASK).backward()
    assert x.grad.tolist() == [[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]]


def test_errors():
    with pytest.raises(ValueError):
        M.mean(jtorch.tensor([1, 2]))  # integer mean has no dtype to infer
    with pytest.raises(IndexError):
        M.sum(X, 2)
    with pytest.raises(RuntimeError):
        M.sum(X, (0, 0))
