"""linalg.ldl_factor(_ex)/ldl_solve against torch (LAPACK ?sytrf/?hetrf + ?sytrs, uplo='L'):
the compact LD, LAPACK's pivots and info bit for bit in choice (values to rounding), real
symmetric, complex symmetric and complex Hermitian, batched and empty, eager and compiled."""
import numpy as np
import pytest

import jtorch

_rng = np.random.default_rng(16)


def _sym(n, dtype="float64", herm=False, batch=(), zero_diag=False, sparse=False):
    a = _rng.standard_normal(batch + (n, n))
    if dtype.startswith("complex"):
        a = a + 1j * _rng.standard_normal(batch + (n, n))
    if sparse:
        a = a * (_rng.random(batch + (n, n)) < 0.4)
    a = a + (np.conj(np.swapaxes(a, -1, -2)) if herm else np.swapaxes(a, -1, -2))
    if zero_diag:  # forces 2x2 pivots
        a = a * (1 - np.eye(n))
    return a.astype(dtype)


CASES = [("float64", False, 6, (2, 3), True), ("float32", False, 7, (), False),
         ("complex128", False, 6, (), True), ("complex128", True, 7, (2,), True),
         ("complex64", True, 5, (), False)]


@pytest.mark.parametrize("dtype,herm,n,batch,zero_diag", CASES)
def test_ldl_factor_ex_and_solve(compat, dtype, herm, n, batch, zero_diag):
    a = _sym(n, dtype, herm, batch, zero_diag)
    b = _sym(n, dtype, batch=batch)[..., :3]
    tol = 1e-4 if dtype in ("float32", "complex64") else 1e-9

    def f(lib):
        r = lib.linalg.ldl_factor_ex(lib.tensor(a), hermitian=herm)
        x = lib.linalg.ldl_solve(r.LD, r.pivots, lib.tensor(b), hermitian=herm)
        return r.LD, r.pivots, r.info, x
    compat.value(f, rtol=tol, atol=tol)


def test_ldl_pivot_conventions_and_singular_info(compat):
    # 2x2 pivot with interchange; a 1x1 pivot after a swap leaving a zero D (info 2); all-zero
    for a in ([[0., 1, 2], [1, 0, 3], [2, 3, 0]], [[1., 2], [2, 4]], np.zeros((3, 3)),
              np.ones((4, 4)), [[np.nan, 1.], [1., 2.]]):
        compat.value(lambda lib: tuple(lib.linalg.ldl_factor_ex(lib.tensor(np.asarray(a, np.float64)))))


def test_ldl_sparse_and_empty(compat):
    for a in (_sym(9, sparse=True), _sym(9, "complex128", herm=True, sparse=True), np.zeros((0, 0)),
              np.zeros((2, 0, 0)), np.zeros((0, 3, 3))):
        compat.value(lambda lib: tuple(lib.linalg.ldl_factor_ex(lib.tensor(a), hermitian=True)),
                     rtol=1e-9, atol=1e-9)
    compat.value(lambda lib: lib.linalg.ldl_solve(lib.zeros(0, 0), lib.zeros(0, dtype=lib.int32),
                                                  lib.zeros(0, 4)))


def test_ldl_errors(compat):
    compat.value(lambda lib: lib.linalg.ldl_factor(lib.zeros(3, 3, dtype=lib.int64)))
    compat.value(lambda lib: lib.linalg.ldl_factor(lib.zeros(3, 4)))
    compat.value(lambda lib: lib.linalg.ldl_factor(lib.zeros(3)))
    compat.value(lambda lib: lib.linalg.ldl_factor(lib.tensor([[1., 0.], [0., 0.]])))  # singular
    compat.value(lambda lib: lib.linalg.ldl_factor(lib.tensor([[4., 1.], [1., 3.]])))
    compat.value(lambda lib: lib.linalg.ldl_solve(lib.eye(3), lib.ones(3, dtype=lib.int32),
                                                  lib.ones(4, 2)))


def test_ldl_compiled_matches_eager():
    a = jtorch.tensor(_sym(6, zero_diag=True))
    b = jtorch.tensor(_sym(6)[:, :2])

    def f(a, b):
        LD, piv, info = jtorch.linalg.ldl_factor_ex(a)
        return LD, piv, info, jtorch.linalg.ldl_solve(LD, piv, b)
    cf = jtorch.compile(f)
    cf(a, b)  # the first call runs eagerly; the second runs the installed program
    eager, compiled = f(a, b), cf(a, b)
    assert cf.traces >= 1
    for e, c in zip(eager, compiled):
        assert e.dtype == c.dtype
        np.testing.assert_allclose(c.numpy(), e.numpy(), rtol=1e-12, atol=1e-12)
    # and it solves the system
    np.testing.assert_allclose((a @ compiled[3]).numpy(), b.numpy(), rtol=1e-9, atol=1e-9)
