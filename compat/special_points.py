"""Gradients at special points (issue 14 §2): every differentiable unary op of the fuzzer's
catalogue, and reductions over ties and constants, at generated special inputs, compared with
torch (values, and NaN exactly where torch has NaN).

    python -m compat.special_points     # prints the sweep's size and every mismatch
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from compat.fuzz_bad_input import F_UNARY, UNARY

POINTS = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, float("inf"), float("-inf"), float("nan")]
NONDIFF = {"isnan", "isinf", "isfinite", "signbit", "logical_not", "bitwise_not", "isreal",
           "angle", "sign", "sgn", "floor", "ceil", "round", "trunc", "fix"}
REDUCTIONS = ["sum", "mean", "prod", "amax", "amin", "std", "var", "norm", "logsumexp",
              "median", "nanmedian", "max", "min", "cumsum", "cumprod", "softmax", "log_softmax"]
# Reduction inputs: ties, constants, zeros, a single NaN/inf among finite values, empty.
VECTORS = [[1.0, 1.0, 0.0], [2.0, 2.0, 2.0], [0.0, 0.0, 0.0], [1.0, float("nan"), 2.0],
           [1.0, float("inf"), 2.0], [0.0, 1.0, -1.0], [3.0]]


def cases():
    out = []
    for n in UNARY:
        if n not in NONDIFF:
            for p in POINTS:
                out.append((f"torch.{n}", [p]))
    for n in F_UNARY:
        for p in POINTS:
            out.append((f"F.{n}", [p]))
    for n in REDUCTIONS:
        for v in VECTORS:
            out.append((f"reduce.{n}", v))
    for lo, hi in ((0.0, 1.0), (1.0, 1.0), (-1.0, 0.0)):  # clamp bounds hit exactly
        out.append((f"clamp.{lo},{hi}", [lo, hi, 0.5, -2.0, 2.0]))
    return out


def _call(lib, name, x):
    head, _, op = name.partition(".")
    if head == "torch":
        return getattr(lib, op)(x)
    if head == "F":
        return getattr(lib.nn.functional, op)(x)
    if head == "clamp":
        lo, hi = (float(v) for v in op.split(","))
        return lib.clamp(x, lo, hi)
    if op in ("softmax", "log_softmax", "cumsum", "cumprod"):
        return getattr(lib, op)(x, 0)
    r = getattr(lib, op)(x)
    return r


def grad(lib, name, values):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        try:
            y = _call(lib, name, x)
            if isinstance(y, tuple):
                y = y[0]
            y.sum().backward()
        except Exception as e:  # noqa: BLE001
            return type(e).__name__
        return None if x.grad is None else x.grad.detach().numpy().tolist()


def same(a, b) -> bool:
    if isinstance(a, str) or isinstance(b, str) or a is None or b is None:
        return a == b
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or not np.array_equal(np.isnan(a), np.isnan(b)):
        return False
    return bool(np.allclose(a, b, rtol=1e-6, atol=1e-8, equal_nan=True))


def sweep():
    import torch

    import jtorch
    bad = []
    all_cases = cases()
    for name, values in all_cases:
        t, j = grad(torch, name, values), grad(jtorch, name, values)
        if not same(t, j):
            bad.append((name, values, t, j))
    return all_cases, bad


if __name__ == "__main__":
    all_cases, bad = sweep()
    print(f"{len(all_cases)} cases ({sum(len(v) for _, v in all_cases)} points), "
          f"{len(bad)} mismatches")
    for name, values, t, j in bad:
        print(f"{name}{values}: torch {t} jtorch {j}")
