"""torch.testing.assert_close: tensors, numbers and nested sequences/mappings of them."""
from __future__ import annotations

import collections.abc as abc

import numpy as np

from ._tensor import Tensor

# torch's default (rtol, atol) per dtype; exact comparison for the rest.
_TOL = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
        "float64": (1e-7, 1e-7), "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}


def _tol(*dtypes):
    r = [_TOL.get(str(d).removeprefix("torch."), (0.0, 0.0)) for d in dtypes]
    return max(t[0] for t in r), max(t[1] for t in r)


def _fail(msg, user_msg):
    if callable(user_msg):
        msg = user_msg(msg)
    elif user_msg is not None:
        msg = user_msg
    raise AssertionError(msg)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Matches `torch.testing.assert_close` (the message wording is shorter)."""
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    kw = dict(allow_subclasses=allow_subclasses, rtol=rtol, atol=atol, equal_nan=equal_nan,
              check_device=check_device, check_dtype=check_dtype, msg=msg)
    if isinstance(actual, abc.Mapping) and isinstance(expected, abc.Mapping):
        if set(actual) != set(expected):
            _fail(f"The keys of the mappings do not match: {sorted(actual)} != {sorted(expected)}", msg)
        for k in expected:
            assert_close(actual[k], expected[k], **kw)
        return
    if (isinstance(actual, abc.Sequence) and isinstance(expected, abc.Sequence)
            and not isinstance(actual, str) and not isinstance(expected, str)):
        if len(actual) != len(expected):
            _fail(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}", msg)
        for a, e in zip(actual, expected):
            assert_close(a, e, **kw)
        return
    if isinstance(actual, Tensor) or isinstance(expected, Tensor):
        if not (isinstance(actual, Tensor) and isinstance(expected, Tensor)):
            _fail(f"Comparing a Tensor with a {type(expected if isinstance(actual, Tensor) else actual).__name__}"
                  " is not supported; convert both to tensors", msg)
        if actual.shape != expected.shape:
            _fail(f"The values for attribute 'shape' do not match: {actual.shape} != {expected.shape}.", msg)
        if check_dtype and actual.dtype != expected.dtype:
            _fail(f"The values for attribute 'dtype' do not match: {actual.dtype} != {expected.dtype}.", msg)
        if check_device and actual.device != expected.device:
            _fail(f"The values for attribute 'device' do not match: {actual.device} != {expected.device}.", msg)
        if rtol is None:
            rtol, atol = _tol(actual.dtype, expected.dtype)
        a, e = _np(actual), _np(expected)
        what = "Tensor-likes"
    else:
        if rtol is None:
            rtol, atol = (1.3e-6, 1e-5) if isinstance(actual, float) or isinstance(expected, float) \
                else (0.0, 0.0)
        a, e = np.asarray(actual, dtype=complex if isinstance(actual, complex) else np.float64), \
            np.asarray(expected, dtype=complex if isinstance(expected, complex) else np.float64)
        what = "Scalars"
    ok = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if ok.all():
        return
    diff = np.abs(a - e)
    bad = ~ok
    n = int(bad.sum())
    i = np.unravel_index(int(np.argmax(np.where(bad, diff, -1))), a.shape) if a.ndim else ()
    rel = diff / np.where(np.abs(e) == 0, np.inf, np.abs(e))
    verdict = "equal" if rtol == 0 and atol == 0 else "close"
    _fail(f"{what} are not {verdict}!\n\nMismatched elements: {n} / {a.size} ({100 * n / max(a.size, 1):.1f}%)\n"
          f"Greatest absolute difference: {diff.max()} at index {tuple(int(x) for x in i)} "
          f"(up to {atol} allowed)\nGreatest relative difference: {rel.max()} "
          f"(up to {rtol} allowed)", msg)


def _np(t):
    t = t.detach()
    if str(t.dtype) == "torch.bfloat16":
        t = t.float()
    return np.asarray(t.numpy())


assert_allclose = assert_close
