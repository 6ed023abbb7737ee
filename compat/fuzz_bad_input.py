"""A seeded differential fuzzer of bad input: every case runs under torch and jtorch, each in
its own worker process (a crash or hang is recorded, and the worker restarted), and the
outcomes are compared.

    python -m compat.fuzz_bad_input [--seed 0] [--sample N] [--only NAME] [--show KIND]

Cases are generated, not hand-written: each callable has a well-formed call (a template of
argument specs) and every argument is replaced, one at a time, by the bad values of its kind
(wrong dtypes, wrong/negative/huge dims, mismatched shapes, out-of-range and float indices,
NaN/inf, empty and 0-dim tensors, non-contiguous views, None, strings, bools where ints go,
huge sizes). Both workers build the same case list from the seed; the parent sends case
numbers, so tensors are built on each side from the same numpy data.

Outcome kinds: `same-error` (both raise the same type), `type-diff` (both raise, different
types), `silent` (torch raises, jtorch returns a value), `extra-error` (torch returns, jtorch
raises), `value-diff` (both return, results differ), `crash` (the jtorch worker died or hung),
`internal-text` (jtorch's message shows JAX/XLA internals).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import select
import subprocess
import sys
import time

import numpy as np

# ---- argument specs ----------------------------------------------------------------------------


class T:
    """A tensor spec: shape, dtype name, fill ('rand', 'int', 'nan', 'inf', 'zeros', 'bool'),
    view ('t' transposed, 'step' every other element)."""

    def __init__(self, shape=(3, 4), dtype="float32", fill=None, view=None):
        self.shape, self.dtype, self.view = tuple(shape), dtype, view
        self.fill = fill or ("int" if dtype.startswith(("int", "uint")) else
                             "bool" if dtype == "bool" else "rand")

    def but(self, **kw):
        d = dict(shape=self.shape, dtype=self.dtype, fill=None, view=self.view)
        d.update(kw)
        return T(**d)

    def __repr__(self):
        v = f",{self.view}" if self.view else ""
        f = f",{self.fill}" if self.fill not in ("rand", "int", "bool") else ""
        return f"T({self.shape},{self.dtype}{f}{v})"


class Idx(T):
    """An index tensor spec (int64, values in [lo, hi))."""

    def __init__(self, shape=(2,), lo=0, hi=2, dtype="int64"):
        super().__init__(shape, dtype, "range")
        self.lo, self.hi = lo, hi

    def __repr__(self):
        return f"Idx({self.shape},{self.lo}..{self.hi},{self.dtype})"


class Dt:
    """A dtype spec: a torch dtype name, or a Python type / string as given."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"Dt({self.name})"


def _data(spec: T, rng) -> np.ndarray:
    shape = spec.shape
    if spec.view == "t" and len(shape) >= 2:
        shape = shape[:-2] + (shape[-1], shape[-2])
    elif spec.view == "step" and shape:
        shape = (shape[0] * 2,) + shape[1:]
    n = int(np.prod(shape)) if shape else 1
    if isinstance(spec, Idx):
        a = rng.integers(spec.lo, spec.hi, size=n) if spec.hi > spec.lo else np.zeros(n)
    elif spec.fill == "bool":
        a = rng.integers(0, 2, size=n).astype(bool)
    elif spec.fill == "int":
        a = rng.integers(-3, 4, size=n)
    elif spec.fill == "zeros":
        a = np.zeros(n)
    else:
        a = np.round(rng.uniform(-2, 2, size=n) * 4) / 4
        if spec.fill == "nan":
            a[:: 2] = np.nan
        elif spec.fill == "inf":
            a[:: 2] = np.inf
            a[1:: 3] = -np.inf
    return a.reshape(shape)


def build(lib, spec, rng):
    """The value of `spec` in `lib` (torch or jtorch)."""
    if isinstance(spec, T):
        a = _data(spec, rng)
        if spec.dtype.startswith("uint"):
            a = np.abs(a)
        t = lib.tensor(a.tolist(), dtype=getattr(lib, spec.dtype)) if a.size else \
            lib.zeros(a.shape, dtype=getattr(lib, spec.dtype))
        if spec.view == "t" and t.dim() >= 2:
            t = t.transpose(-1, -2)
        elif spec.view == "step" and t.dim():
            t = t[::2]
        return t
    if isinstance(spec, Dt):
        n = spec.name
        return getattr(lib, n) if isinstance(n, str) and hasattr(lib, n) and n != "str" else \
            {"py_float": float, "py_int": int, "py_bool": bool, "py_complex": complex}.get(n, n)
    if isinstance(spec, list):
        return [build(lib, s, rng) for s in spec]
    if isinstance(spec, tuple):
        return tuple(build(lib, s, rng) for s in spec)
    if isinstance(spec, dict):
        return {k: build(lib, v, rng) for k, v in spec.items()}
    return spec


# ---- bad values by kind ------------------------------------------------------------------------

NAN, INF = float("nan"), float("inf")


def bad_tensor(t: T) -> list:
    """Bad replacements for a float tensor argument."""
    out = [t.but(dtype="bool"), t.but(dtype="int64"), t.but(dtype="complex64"),
           t.but(shape=(0,) + t.shape[1:]), t.but(shape=()), t.but(fill="nan"),
           t.but(fill="inf"), t.but(view="t"), t.but(shape=t.shape[:-1] + (5,)),
           t.but(shape=(2,) + t.shape), None, "abc", 2.5]
    return out


def bad_index(ix: Idx, n: int) -> list:
    return [Idx(ix.shape, n, n + 1), Idx(ix.shape, -n - 1, -n), T(ix.shape, "float32"),
            Idx((2, 1), 0, n), Idx((0,), 0, 1), Idx((), 0, n), T(ix.shape, "bool"),
            Idx(ix.shape, 0, n, "int32"), None, [0.5, 1.5]]


BAD_DIM = [2, -3, 10 ** 10, 1.5, "a", True, None, (0, 0), [5]]
BAD_SIZE = [-1, 10 ** 12, 2.5, "3", None, True, (2, -2), (10 ** 6, 10 ** 6, 10 ** 6)]
BAD_SCALAR = [NAN, INF, None, "x", 10 ** 30, True, 1 + 2j]
BAD_DTYPE = [Dt("py_float"), Dt("py_int"), Dt("py_bool"), Dt("float32_str"), Dt("bool"),
             Dt("complex64"), Dt("int8"), Dt("uint8")]
BAD_PROB = [-0.5, 1.5, NAN, "p", None]


def _bad(kind, value) -> list:
    if isinstance(value, Idx) and isinstance(kind, int):
        return bad_index(value, kind)
    if isinstance(value, T):
        return bad_tensor(value)
    return {"dim": BAD_DIM, "size": BAD_SIZE, "scalar": BAD_SCALAR, "dtype": BAD_DTYPE,
            "p": BAD_PROB, "int": [-1, 0, 10 ** 12, 2.5, "2", None, True],
            "bool": [2, "yes", None, 1.5], "str": ["nonsense", 3, None]}[kind]


# ---- the catalogue -----------------------------------------------------------------------------
# Each entry: (callable, positional template, keyword template, kinds) where `kinds` names the
# kind of every mutable argument (position or keyword): a tensor, an index (its bound), "dim", ...

X = T((3, 4))
X1 = T((4,))
UNARY = """abs neg exp log sqrt sin cos tan tanh sigmoid floor ceil round trunc frac sign
reciprocal rsqrt erf erfinv expm1 log1p log2 log10 square atan asin acos sinh cosh asinh acosh
atanh deg2rad rad2deg angle isnan isinf isfinite signbit logical_not bitwise_not positive
nan_to_num lgamma digamma i0 sinc logit exp2 fix isreal conj sgn""".split()
F_UNARY = """relu gelu silu softplus elu leaky_relu hardtanh logsigmoid mish selu celu relu6
hardsigmoid hardswish tanhshrink softsign hardshrink softshrink""".split()
BINARY = """add sub mul div true_divide pow maximum minimum fmax fmin atan2 remainder fmod
floor_divide eq ne lt le gt ge logical_and logical_or logical_xor bitwise_and bitwise_or
bitwise_xor hypot copysign nextafter ldexp xlogy heaviside gcd lcm isclose""".split()
REDUCE = """sum mean prod amax amin argmax argmin std var median nanmedian logsumexp
all any cumsum cumprod cummax cummin softmax log_softmax count_nonzero nansum nanmean var_mean
std_mean logcumsumexp mode max min sort argsort""".split()


def catalogue() -> list:
    c = []
    for i, n in enumerate(UNARY):
        c.append((f"torch.{n}", [X], {}, {0: X}) if i % 3 else (f"Tensor.{n}", [X1], {}, {0: X1}))
    for n in F_UNARY:
        c.append((f"F.{n}", [X], {}, {0: X}))
    for n in BINARY:
        y = T((4,))
        c.append((f"torch.{n}", [X, y], {}, {0: X, 1: y}))
    for n in REDUCE:
        c.append((f"torch.{n}", [X], {"dim": 1}, {0: X, "dim": "dim"}))
    for n in ["sum", "mean", "std", "norm", "max", "prod"]:
        c.append((f"Tensor.{n}", [T((2, 3))], {"dim": 0}, {0: T((2, 3)), "dim": "dim"}))
    c += [
        ("torch.linalg.vector_norm", [X], {"dim": 1}, {0: X, "dim": "dim"}),
        ("torch.linalg.norm", [X], {"dim": 1}, {0: X, "dim": "dim"}),
        ("torch.kthvalue", [X, 2], {"dim": 1}, {0: X, 1: "int", "dim": "dim"}),
        ("torch.topk", [X, 2], {"dim": 1}, {0: X, 1: "int", "dim": "dim"}),
        ("torch.quantile", [X, 0.5], {"dim": 1}, {0: X, 1: "p", "dim": "dim"}),
        ("torch.flip", [X, (0,)], {}, {0: X, 1: "dim"}),
        ("torch.roll", [X, 1, 0], {}, {0: X, 2: "dim"}),
        ("torch.diff", [X], {"dim": 1}, {0: X, "dim": "dim"}),
        ("torch.trace", [T((3, 3))], {}, {0: T((3, 3))}),
        ("torch.unique", [X], {"dim": 0}, {0: X, "dim": "dim"}),
        ("torch.clamp", [X], {"min": -1.0, "max": 1.0}, {0: X, "min": "scalar", "max": "scalar"}),
        ("torch.clip", [X, -1.0, 1.0], {}, {0: X, 1: "scalar"}),
        ("torch.lerp", [X, X, 0.5], {}, {0: X, 1: X, 2: "scalar"}),
        ("torch.addcmul", [X, X, X], {"value": 2}, {0: X, 2: X, "value": "scalar"}),
        ("torch.where", [T((3, 4), "bool"), X, X], {}, {0: T((3, 4), "bool"), 1: X, 2: X}),
        ("torch.dist", [X, X, 2], {}, {1: X, 2: "scalar"}),
        ("torch.histc", [X1], {"bins": 4}, {0: X1, "bins": "int"}),
        ("torch.bincount", [Idx((5,), 0, 4)], {}, {0: Idx((5,), 0, 4)}),
        ("torch.searchsorted", [T((5,)), X1], {}, {0: T((5,)), 1: X1}),
        ("torch.bucketize", [X1, T((5,))], {}, {0: X1, 1: T((5,))}),
        ("torch.nonzero", [X], {}, {0: X}),
        ("torch.argwhere", [X], {}, {0: X}),
        ("torch.cross", [T((2, 3)), T((2, 3))], {"dim": 1}, {1: T((2, 3)), "dim": "dim"}),
        ("torch.cumulative_trapezoid", [X], {"dim": 1}, {0: X, "dim": "dim"}),
        ("torch.cov", [X], {}, {0: X}),
        ("torch.corrcoef", [X], {}, {0: X}),
    ]
    # shapes and views
    c += [
        ("Tensor.reshape", [X, 4, 3], {}, {0: X, 1: "size", 2: "size"}),
        ("Tensor.view", [X, 4, 3], {}, {1: "size", 2: "size"}),
        ("Tensor.view", [T((3, 4), view="t"), 12], {}, {1: "size"}),
        ("Tensor.permute", [X, 1, 0], {}, {1: "dim", 2: "dim"}),
        ("torch.transpose", [X, 0, 1], {}, {0: X, 1: "dim", 2: "dim"}),
        ("torch.squeeze", [X, 0], {}, {0: X, 1: "dim"}),
        ("torch.unsqueeze", [X, 0], {}, {0: X, 1: "dim"}),
        ("Tensor.expand", [T((3, 1)), 3, 5], {}, {1: "size", 2: "size"}),
        ("Tensor.repeat", [X, 2, 1], {}, {1: "size", 2: "size"}),
        ("torch.flatten", [X], {"start_dim": 0}, {0: X, "start_dim": "dim"}),
        ("torch.unflatten", [X1, 0, (2, 2)], {}, {1: "dim", 2: "size"}),
        ("torch.narrow", [X, 1, 0, 2], {}, {1: "dim", 2: "int", 3: "int"}),
        ("torch.split", [X, 2], {"dim": 1}, {1: "int", "dim": "dim"}),
        ("torch.chunk", [X, 2], {"dim": 1}, {1: "int", "dim": "dim"}),
        ("torch.tensor_split", [X, 2], {"dim": 1}, {1: "int", "dim": "dim"}),
        ("torch.movedim", [X, 0, 1], {}, {1: "dim", 2: "dim"}),
        ("torch.diagonal", [X], {"offset": 0, "dim1": 0, "dim2": 1}, {0: X, "dim1": "dim", "offset": "int"}),
        ("torch.diag", [X1], {"diagonal": 0}, {0: X1, "diagonal": "int"}),
        ("torch.tril", [X], {"diagonal": 0}, {0: X, "diagonal": "int"}),
        ("torch.triu", [X], {"diagonal": 0}, {0: X, "diagonal": "int"}),
        ("torch.cat", [[X, X]], {"dim": 0}, {"dim": "dim"}),
        ("torch.cat", [[X, T((2, 4))]], {}, {}),
        ("torch.stack", [[X, X]], {"dim": 0}, {"dim": "dim"}),
        ("torch.hstack", [[X, X]], {}, {}),
        ("torch.broadcast_to", [X1, (3, 4)], {}, {0: X1, 1: "size"}),
        ("torch.tile", [X, (2, 1)], {}, {1: "size"}),
        ("torch.unbind", [X], {"dim": 0}, {"dim": "dim"}),
        ("torch.select", [X, 0, 1], {}, {1: "dim", 2: "int"}),
        ("torch.as_strided", [X, (2, 2), (1, 2)], {"storage_offset": 0},
         {1: "size", 2: "size", "storage_offset": "int"}),
        ("Tensor.unfold", [X1, 0, 2, 1], {}, {1: "dim", 2: "int", 3: "int"}),
        ("torch.view_as_real", [T((3,), "complex64")], {}, {0: T((3,), "complex64")}),
        ("torch.swapaxes", [X, 0, 1], {}, {1: "dim", 2: "dim"}),
        ("torch.rot90", [X, 1, (0, 1)], {}, {1: "int", 2: "dim"}),
        ("torch.kron", [X, X], {}, {0: X, 1: X}),
        ("torch.meshgrid", [X1, X1], {"indexing": "ij"}, {0: X1, "indexing": "str"}),
    ]
    # indexing
    I2, I4 = Idx((2,), 0, 3), Idx((2,), 0, 4)
    G = Idx((3, 2), 0, 4)
    c += [
        ("torch.index_select", [X, 1, I4], {}, {0: X, 1: "dim", 2: 4}),
        ("torch.gather", [X, 1, G], {}, {0: X, 1: "dim", 2: 4}),
        ("torch.take", [X, I4], {}, {0: X, 1: 12}),
        ("torch.take_along_dim", [X, G], {"dim": 1}, {1: 4, "dim": "dim"}),
        ("torch.scatter", [X, 1, G, T((3, 2))], {}, {0: X, 1: "dim", 2: 4, 3: T((3, 2))}),
        ("torch.scatter_add", [X, 1, G, T((3, 2))], {}, {1: "dim", 2: 4, 3: T((3, 2))}),
        ("torch.index_add", [X, 0, I2, T((2, 4))], {}, {1: "dim", 2: 3, 3: T((2, 4))}),
        ("torch.index_fill", [X, 0, I2, 1.0], {}, {1: "dim", 2: 3, 3: "scalar"}),
        ("torch.index_copy", [X, 0, I2, T((2, 4))], {}, {1: "dim", 2: 3, 3: T((2, 4))}),
        ("torch.masked_fill", [X, T((3, 4), "bool"), 1.0], {}, {0: X, 1: T((3, 4), "bool"), 2: "scalar"}),
        ("torch.masked_select", [X, T((3, 4), "bool")], {}, {1: T((3, 4), "bool")}),
        ("getitem", [X, I2], {}, {1: 3}),
        ("getitem", [X, T((3,), "bool")], {}, {1: T((3,), "bool")}),
        ("getitem", [X, 1], {}, {1: "int"}),
        ("getitem", [X, (slice(None), I4)], {}, {}),
        ("getitem", [X, False], {}, {}),
        ("getitem", [X, [[0, 1], [1, 2]]], {}, {}),
        ("getitem", [X, [0, [1]]], {}, {}),
        ("getitem", [X, T((4,), "bool")], {}, {}),
        ("getitem", [X, (None, Ellipsis, 5)], {}, {}),
        ("getitem", [X, (0, 0, 0)], {}, {}),
        ("getitem", [X, slice(0, 2, -1)], {}, {}),
        ("getitem", [X, 1.5], {}, {}),
        ("getitem", [X, "a"], {}, {}),
        ("setitem", [X, I2, 1.0], {}, {1: 3, 2: "scalar"}),
        ("setitem", [X, T((3,), "bool"), 1.0], {}, {1: T((3,), "bool")}),
        ("setitem", [X, 0, T((4,))], {}, {2: T((4,))}),
        ("F.embedding", [Idx((2,), 0, 5), T((5, 3))], {}, {0: 5, 1: T((5, 3))}),
        ("F.one_hot", [Idx((3,), 0, 4)], {"num_classes": 4}, {0: 4, "num_classes": "int"}),
    ]
    # factories
    c += [
        ("torch.zeros", [3], {}, {0: "size"}), ("torch.ones", [2, 3], {}, {0: "size", 1: "size"}),
        ("torch.empty", [3], {}, {0: "size"}), ("torch.full", [(2,), 1.0], {}, {0: "size", 1: "scalar"}),
        ("torch.full", [(2,), 300], {"dtype": Dt("uint8")}, {}),
        ("torch.full", [(2,), -1], {"dtype": Dt("uint8")}, {}),
        ("torch.full", [(2,), 2.5], {"dtype": Dt("int64")}, {}),
        ("torch.full", [(2,), 1.0], {"dtype": Dt("int64")}, {"dtype": "dtype"}),
        ("torch.rand", [3], {}, {0: "size"}), ("torch.randn", [2, 3], {}, {0: "size", 1: "size"}),
        ("torch.rand", [10 ** 10], {}, {}), ("torch.randn", [10 ** 11], {}, {}),
        ("torch.rand", [10 ** 6, 10 ** 6], {}, {}),
        ("torch.randint", [0, 5, (3,)], {}, {0: "int", 1: "int", 2: "size"}),
        ("torch.randint", [0, 5, (10 ** 10,)], {}, {}),
        ("torch.randperm", [5], {}, {0: "int"}), ("torch.randperm", [10 ** 11], {}, {}),
        ("torch.arange", [5], {}, {0: "scalar"}), ("torch.arange", [0, 5, 1], {}, {2: "scalar"}),
        ("torch.arange", [2 ** 63], {}, {}), ("torch.arange", [2.5], {"dtype": Dt("int64")}, {}),
        ("torch.arange", [5], {"dtype": Dt("int64")}, {"dtype": "dtype"}),
        ("torch.linspace", [0, 1, 5], {}, {1: "scalar", 2: "int"}),
        ("torch.logspace", [0, 1, 5], {}, {2: "int"}),
        ("torch.eye", [3], {}, {0: "int"}), ("torch.eye", [3, 4], {}, {1: "int"}),
        ("torch.zeros", [3], {"dtype": Dt("float32")}, {"dtype": "dtype"}),
        ("torch.ones", [3], {"dtype": Dt("float32")}, {"dtype": "dtype"}),
        ("torch.rand", [3], {"dtype": Dt("float32")}, {"dtype": "dtype"}),
        ("torch.randn", [3], {"dtype": Dt("float32")}, {"dtype": "dtype"}),
        ("torch.tensor", [[1, 2]], {"dtype": Dt("float32")}, {"dtype": "dtype"}),
        ("torch.tensor", [[[1, 2], [3]]], {}, {}), ("torch.tensor", [["a"]], {}, {}),
        ("torch.tensor", [[1, None]], {}, {}), ("torch.tensor", [[2 ** 70]], {}, {}),
        ("torch.zeros_like", [X], {"dtype": Dt("float32")}, {0: X, "dtype": "dtype"}),
        ("torch.full_like", [X, 1.0], {}, {0: X, 1: "scalar"}),
        ("torch.rand_like", [X], {}, {0: X}), ("torch.randn_like", [X], {}, {0: X}),
        ("torch.randint_like", [X, 5], {}, {0: X, 1: "int"}),
        ("torch.tril_indices", [3, 3], {}, {0: "int", 1: "int"}),
        ("torch.normal", [X, 1.0], {}, {0: X, 1: "scalar"}),
        ("torch.multinomial", [T((4,), fill="zeros"), 2], {}, {}),
        ("torch.multinomial", [X1.but(fill="int", dtype="float32"), 2], {}, {1: "int"}),
        ("torch.bernoulli", [X, 0.5], {}, {1: "p"}),
        ("torch.poisson", [X], {}, {0: X}),
    ]
    # linear algebra
    S = T((3, 3))
    c += [
        ("torch.matmul", [X, T((4, 2))], {}, {0: X, 1: T((4, 2))}),
        ("torch.mm", [X, T((4, 2))], {}, {0: X, 1: T((4, 2))}),
        ("torch.bmm", [T((2, 3, 4)), T((2, 4, 2))], {}, {0: T((2, 3, 4)), 1: T((2, 4, 2))}),
        ("torch.mv", [X, X1], {}, {0: X, 1: X1}),
        ("torch.dot", [X1, X1], {}, {0: X1, 1: X1}),
        ("torch.outer", [X1, X1], {}, {0: X1, 1: X1}),
        ("torch.addmm", [T((3, 2)), X, T((4, 2))], {}, {0: T((3, 2)), 1: X, 2: T((4, 2))}),
        ("torch.einsum", ["ij,jk->ik", X, T((4, 2))], {}, {0: "str", 1: X, 2: T((4, 2))}),
        ("torch.tensordot", [X, T((4, 2))], {"dims": 1}, {1: T((4, 2)), "dims": "int"}),
        ("torch.linalg.inv", [S], {}, {0: S}), ("torch.linalg.det", [S], {}, {0: S}),
        ("torch.linalg.solve", [S, T((3,))], {}, {0: S, 1: T((3,))}),
        ("torch.linalg.cholesky", [S], {}, {0: S}), ("torch.linalg.qr", [X], {}, {0: X}),
        ("torch.linalg.svd", [X], {}, {0: X}), ("torch.linalg.eigh", [S], {}, {0: S}),
        ("torch.linalg.pinv", [X], {}, {0: X}),
        ("torch.linalg.matrix_norm", [X], {}, {0: X}),
        ("torch.linalg.matrix_power", [S, 2], {}, {0: S, 1: "int"}),
        ("torch.cdist", [X, T((2, 4))], {}, {0: X, 1: T((2, 4))}),
        ("torch.baddbmm", [T((2, 3, 2)), T((2, 3, 4)), T((2, 4, 2))], {}, {1: T((2, 3, 4))}),
    ]
    # torch.nn.functional
    B = T((2, 3))
    img = T((1, 2, 5, 5))
    seq = T((1, 2, 6))
    c += [
        ("F.linear", [X, T((2, 4))], {}, {0: X, 1: T((2, 4))}),
        ("F.linear", [X, T((2, 4)), T((2,))], {}, {2: T((2,))}),
        ("F.conv1d", [seq, T((3, 2, 3))], {"stride": 1, "padding": 0},
         {0: seq, 1: T((3, 2, 3)), "stride": "int", "padding": "int"}),
        ("F.conv2d", [img, T((3, 2, 3, 3))], {"groups": 1},
         {0: img, 1: T((3, 2, 3, 3)), "groups": "int"}),
        ("F.max_pool2d", [img, 2], {}, {0: img, 1: "int"}),
        ("F.avg_pool2d", [img, 2], {}, {0: img, 1: "int"}),
        ("F.max_pool1d", [seq, 2], {}, {0: seq, 1: "int"}),
        ("F.adaptive_avg_pool2d", [img, 2], {}, {0: img, 1: "int"}),
        ("F.batch_norm", [B, T((3,)), T((3,))], {"training": False}, {0: B, 1: T((3,))}),
        ("F.layer_norm", [B, (3,)], {}, {0: B, 1: "size"}),
        ("F.group_norm", [T((2, 4, 3)), 2], {}, {0: T((2, 4, 3)), 1: "int"}),
        ("F.instance_norm", [T((2, 3, 4))], {}, {0: T((2, 3, 4))}),
        ("F.dropout", [X], {"p": 0.5, "training": False}, {0: X, "p": "p"}),
        ("F.cross_entropy", [B, Idx((2,), 0, 3)], {}, {0: B, 1: 3}),
        ("F.cross_entropy", [B, Idx((2,), 0, 3)], {"weight": T((3,))}, {"weight": T((3,))}),
        ("F.cross_entropy", [B, B.but(fill="zeros")], {}, {}),
        ("F.nll_loss", [B, Idx((2,), 0, 3)], {}, {0: B, 1: 3}),
        ("F.mse_loss", [B, B], {}, {0: B, 1: B}),
        ("F.l1_loss", [B, B], {}, {1: B}),
        ("F.smooth_l1_loss", [B, B], {"beta": 1.0}, {1: B, "beta": "scalar"}),
        ("F.huber_loss", [B, B], {"delta": 1.0}, {1: B, "delta": "scalar"}),
        ("F.binary_cross_entropy", [B.but(fill="zeros"), B.but(fill="zeros")], {},
         {0: B, 1: B}),
        ("F.binary_cross_entropy_with_logits", [B, B], {}, {0: B, 1: B}),
        ("F.kl_div", [B, B], {"reduction": "batchmean"}, {1: B, "reduction": "str"}),
        ("F.mse_loss", [B, B], {"reduction": "mean"}, {"reduction": "str"}),
        ("F.pad", [X, (1, 1)], {}, {0: X, 1: "size"}),
        ("F.pad", [X, (1, 1)], {"mode": "reflect"}, {"mode": "str"}),
        ("F.interpolate", [seq], {"scale_factor": 2}, {0: seq, "scale_factor": "scalar"}),
        ("F.interpolate", [seq], {"size": 4, "mode": "linear"}, {"size": "int", "mode": "str"}),
        ("F.softmax", [X], {"dim": 1}, {0: X, "dim": "dim"}),
        ("F.log_softmax", [X], {"dim": 1}, {"dim": "dim"}),
        ("F.normalize", [X], {"dim": 1}, {0: X, "dim": "dim"}),
        ("F.cosine_similarity", [X, X], {"dim": 1}, {0: X, 1: X, "dim": "dim"}),
        ("F.pairwise_distance", [X, X], {}, {0: X, 1: X}),
        ("F.unfold", [img, 2], {}, {0: img, 1: "int"}),
        ("F.pixel_shuffle", [T((1, 4, 2, 2)), 2], {}, {0: T((1, 4, 2, 2)), 1: "int"}),
        ("F.glu", [X], {"dim": 1}, {0: X, "dim": "dim"}),
        ("F.softmin", [X], {"dim": 1}, {"dim": "dim"}),
        ("F.threshold", [X, 0.5, 0.0], {}, {0: X, 1: "scalar"}),
        ("F.leaky_relu", [X, 0.1], {}, {1: "scalar"}),
        ("F.elu", [X], {"alpha": 1.0}, {"alpha": "scalar"}),
        ("F.hardtanh", [X, -1.0, 1.0], {}, {1: "scalar", 2: "scalar"}),
        ("F.margin_ranking_loss", [X1, X1, X1], {}, {0: X1, 2: X1}),
        ("F.hinge_embedding_loss", [B, B], {}, {1: B}),
        ("F.triplet_margin_loss", [B, B, B], {}, {0: B, 2: B}),
        ("F.scaled_dot_product_attention", [T((1, 2, 4)), T((1, 2, 4)), T((1, 2, 4))], {},
         {0: T((1, 2, 4)), 1: T((1, 2, 4))}),
        ("F.local_response_norm", [T((1, 3, 4)), 2], {}, {1: "int"}),
        ("F.embedding", [Idx((2,), 0, 5), T((5, 3))], {"padding_idx": 0}, {"padding_idx": "int"}),
    ]
    # Tensor methods and protocol
    c += [
        ("Tensor.item", [X], {}, {}), ("Tensor.item", [T((0,))], {}, {}),
        ("Tensor.tolist", [X], {}, {0: X}),
        ("Tensor.__bool__", [X], {}, {}), ("Tensor.__bool__", [T((0,))], {}, {}),
        ("Tensor.__int__", [X1], {}, {}), ("Tensor.__float__", [T(())], {}, {0: T(())}),
        ("Tensor.__len__", [T(())], {}, {}), ("Tensor.__index__", [T((), "float32")], {}, {}),
        ("Tensor.type", [X, "torch.FloatTensor"], {}, {1: "str"}),
        ("Tensor.to", [X], {"dtype": Dt("float64")}, {"dtype": "dtype"}),
        ("Tensor.new_zeros", [X, (2,)], {}, {1: "size"}),
        ("Tensor.new_full", [X, (2,), 1.0], {}, {1: "size", 2: "scalar"}),
        ("Tensor.fill_", [X, 1.0], {}, {0: X, 1: "scalar"}),
        ("Tensor.add_", [X, X1], {}, {1: X1}),
        ("Tensor.add_", [X1, X], {}, {}),
        ("Tensor.mul_", [T((3,), "int64"), 1.5], {}, {}),
        ("Tensor.copy_", [X, X1], {}, {1: X1}),
        ("Tensor.clamp_", [X], {"min": 0.0}, {"min": "scalar"}),
        ("Tensor.masked_fill_", [X, T((3, 4), "bool"), 1.0], {}, {1: T((3, 4), "bool")}),
        ("Tensor.index_put_", [X, (Idx((2,), 0, 3),), T((2, 4))], {}, {2: T((2, 4))}),
        ("Tensor.index_fill_", [X, 1, I4, 0.0], {}, {1: "dim", 2: 4}),
        ("Tensor.scatter_", [X, 1, G, 0.0], {}, {1: "dim", 2: 4}),
        ("Tensor.expand_as", [X1, X], {}, {1: X}),
        ("Tensor.view_as", [X, T((4, 3))], {}, {1: T((4, 3))}),
        ("Tensor.type_as", [X, T((2,), "int64")], {}, {}),
        ("Tensor.numpy", [X], {}, {}),
        ("Tensor.stride", [X], {"dim": 0}, {"dim": "dim"}),
        ("Tensor.size", [X], {"dim": 0}, {"dim": "dim"}),
        ("Tensor.element_size", [X], {}, {}),
        ("Tensor.repeat_interleave", [X1, 2], {}, {1: "int"}),
        ("Tensor.requires_grad_", [T((3,), "int64")], {}, {}),
        ("Tensor.backward", [X], {}, {}),
    ]
    return c


def _mutations(entry) -> list:
    name, args, kwargs, kinds = entry
    cases = [(name, args, kwargs)]
    for key, kind in kinds.items():
        value = args[key] if isinstance(key, int) else kwargs[key]
        for b in _bad(kind, value):
            a, k = list(args), dict(kwargs)
            if isinstance(key, int):
                a[key] = b
            else:
                k[key] = b
            cases.append((name, a, k))
    return cases


def cases(seed: int = 0) -> list:
    out = []
    for entry in catalogue():
        out += _mutations(entry)
    random.Random(seed).shuffle(out)
    return out


# ---- running one case (in a worker) ------------------------------------------------------------

def _resolve(lib, name):
    if name in ("getitem", "setitem"):
        return name
    head, _, attr = name.partition(".")
    obj = {"torch": lib, "Tensor": lib.Tensor, "F": lib.nn.functional}[head]
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def _summary(lib, v):
    if isinstance(v, lib.Tensor):
        a = v.detach()
        if a.dtype == lib.bfloat16:
            a = a.float()
        a = a.resolve_conj().resolve_neg()  # torch's numpy() refuses the lazy conj/neg bits
        arr = a.cpu().numpy()
        flat = arr.reshape(-1)[:64]
        if arr.dtype.kind == "c":
            vals = [[_n(x.real), _n(x.imag)] for x in flat]
        else:
            vals = [_n(x) for x in flat.tolist()]
        return {"shape": list(arr.shape), "dtype": str(v.dtype).replace("jtorch.", "torch."),
                "data": vals}
    if isinstance(v, (list, tuple)):
        return [_summary(lib, e) for e in v]
    if isinstance(v, (bool, int, float, complex, str)) or v is None:
        return _n(v) if isinstance(v, (float, complex)) else v
    if isinstance(v, lib.Size):
        return list(v)
    if hasattr(v, "_fields") or type(v).__name__.startswith("torch.return_types"):
        return [_summary(lib, e) for e in v]
    if isinstance(v, np.ndarray):
        return {"np": v.tolist()}
    return type(v).__name__


def _n(x):
    if isinstance(x, complex):
        return [_n(x.real), _n(x.imag)]
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return x


RANDOM = ("rand", "randn", "randint", "randperm", "normal", "multinomial", "bernoulli",
          "poisson", "empty", "dropout", "new_empty", "rand_like", "randn_like", "randint_like")


def run_case(lib, case, seed_i: int):
    name, args, kwargs = case
    rng = np.random.default_rng(seed_i)
    try:
        a = build(lib, args, rng)
        k = build(lib, kwargs, rng)
    except Exception as e:  # noqa: BLE001 (the spec cannot be built in this lib: not a case)
        return {"build": f"{type(e).__name__}: {e}"[:200]}
    fn = _resolve(lib, name)
    try:
        if fn == "getitem":
            out = a[0][a[1]]
        elif fn == "setitem":
            a[0][a[1]] = a[2]
            out = a[0]
        else:
            out = fn(*a, **k)
        return {"value": _summary(lib, out)}
    except Exception as e:  # noqa: BLE001
        return {"error": type(e).__name__, "msg": str(e)[:300]}


def worker(libname: str, seed: int):
    import resource
    limit = 12 << 30  # a runaway allocation raises/aborts here, not the shared machine
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import warnings
    warnings.simplefilter("ignore")
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # ops that print must not corrupt the protocol
    if libname == "torch":
        import torch as lib
    else:
        import jtorch as lib
    all_cases = cases(seed)
    out.write("ready\n")
    for line in sys.stdin:
        i = int(line)
        r = run_case(lib, all_cases[i], seed * 100003 + i)
        try:
            out.write(json.dumps(r) + "\n")
        except (TypeError, ValueError):
            out.write(json.dumps({"value": "unserialisable"}) + "\n")


# ---- the parent: two workers, comparison -------------------------------------------------------

class Worker:
    def __init__(self, lib, seed):
        self.lib, self.seed, self.p = lib, seed, None

    def start(self):
        env = dict(os.environ, JAX_PLATFORMS="cpu", OMP_NUM_THREADS="1",
                   XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
        self.p = subprocess.Popen([sys.executable, "-m", "compat.fuzz_bad_input", "--worker",
                                   self.lib, "--seed", str(self.seed)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                  env=env, cwd=os.path.dirname(os.path.dirname(__file__)))
        assert self._read(300) == "ready"

    def _read(self, timeout):
        r, _, _ = select.select([self.p.stdout], [], [], timeout)
        if not r:
            return None
        return self.p.stdout.readline().strip() or None

    def run(self, i, timeout=60):
        if self.p is None or self.p.poll() is not None:
            self.start()
        self.p.stdin.write(f"{i}\n")
        self.p.stdin.flush()
        line = self._read(timeout)
        if line is None:
            hung = self.p.poll() is None
            self.p.kill()
            self.p.wait()
            rc = self.p.returncode
            self.p = None
            return {"crash": "timeout" if hung else f"exit {rc}"}
        return json.loads(line)

    def close(self):
        if self.p is not None:
            self.p.stdin.close()
            self.p.wait()


INTERNAL = re.compile(r"jax|xla|jnp\.|lax\.|Traced<|ShapedArray|tracer|dot_general|"
                      r"Array\(|numpy\.|np\.|dynamic_slice|stablehlo|mhlo|pjit", re.I)


def _close(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return False
        if "data" in a:
            if a["shape"] != b["shape"] or a["dtype"] != b["dtype"]:
                return False
            try:
                x = np.array([complex(*v) if isinstance(v, list) else v for v in a["data"]],
                             dtype=object)
                y = np.array([complex(*v) if isinstance(v, list) else v for v in b["data"]],
                             dtype=object)
                x = np.array([complex(float(v)) if isinstance(v, str) else complex(v) for v in x])
                y = np.array([complex(float(v)) if isinstance(v, str) else complex(v) for v in y])
                return bool(np.allclose(x, y, rtol=1e-4, atol=1e-5, equal_nan=True))
            except (TypeError, ValueError):
                return a["data"] == b["data"]
        return all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-5)
    return a == b


def _shapes_only(v):
    if isinstance(v, dict) and "data" in v:
        return {"shape": v["shape"], "dtype": v["dtype"]}
    if isinstance(v, list):
        return [_shapes_only(e) for e in v]
    return v


def classify(name, t, j) -> str:
    if "crash" in j:
        return "crash"
    if "build" in t or "build" in j:
        return "unbuildable"
    if "crash" in t:
        return "torch-crash"
    if "error" in t and "error" in j:
        if INTERNAL.search(j["msg"]):
            return "internal-text"
        return "same-error" if t["error"] == j["error"] else "type-diff"
    if "error" in t:
        return "silent"
    if "error" in j:
        return "extra-error"
    tv, jv = t["value"], j["value"]
    if name.split(".")[-1] in RANDOM or name.endswith("_like"):
        tv, jv = _shapes_only(tv), _shapes_only(jv)
    return "same-value" if _close(tv, jv) else "value-diff"


def describe(case) -> str:
    name, args, kwargs = case
    a = ", ".join(repr(x) for x in args[(0 if name.startswith(("torch", "F")) else 0):])
    k = ", ".join(f"{key}={v!r}" for key, v in kwargs.items())
    return f"{name}({a}{', ' if a and k else ''}{k})"


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sample", type=int, default=0)
    ap.add_argument("--only", default="", help="comma-separated parts of callable names")
    ap.add_argument("--show", default="silent,crash,value-diff,internal-text,type-diff,extra-error")
    ap.add_argument("--json", default="")
    ap.add_argument("--torch-from", default="",
                    help="a --json file of an earlier run (same seed): reuse its torch outcomes")
    o = ap.parse_args(argv)
    if o.worker:
        return worker(o.worker, o.seed)
    all_cases = cases(o.seed)
    only = o.only.split(",")
    idx = [i for i, c in enumerate(all_cases) if any(n in c[0] for n in only)]
    if o.sample:
        idx = sorted(random.Random(o.seed).sample(idx, min(o.sample, len(idx))))
    known = {}
    if o.torch_from:
        with open(o.torch_from) as f:
            known = {int(i): r[1] for i, r in json.load(f).items()}
    results = fuzz(idx, o.seed, known)
    report(all_cases, results, o.show.split(","))
    if o.json:
        with open(o.json, "w") as f:
            json.dump({str(i): r for i, r in results.items()}, f)


def fuzz(idx, seed, known=None):
    """{case number: (kind, torch outcome, jtorch outcome)} for the cases `idx`; `known`:
    torch outcomes by case number already recorded (torch 2.13 is fixed), not run again."""
    all_cases = cases(seed)
    known = known or {}
    tw, jw = Worker("torch", seed), Worker("jtorch", seed)
    out = {}
    try:
        for i in idx:
            t = known[i] if i in known else tw.run(i)
            j = jw.run(i)
            out[i] = (classify(all_cases[i][0], t, j), t, j)
    finally:
        tw.close()
        jw.close()
    return out


def report(all_cases, results, show):
    counts = {}
    for kind, _, _ in results.values():
        counts[kind] = counts.get(kind, 0) + 1
    names = {all_cases[i][0] for i in results}
    print(f"{len(results)} calls over {len(names)} callables: " +
          ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for i, (kind, t, j) in sorted(results.items(), key=lambda r: (r[1][0], all_cases[r[0]][0])):
        if kind in show:
            tt = t.get("error") or ("value" if "value" in t else t)
            jj = (f"{j['error']}: {j['msg'][:120]}" if "error" in j else
                  j.get("crash") or str(j.get("value"))[:100])
            print(f"[{kind}] #{i} {describe(all_cases[i])[:160]}\n    torch: {tt}"
                  f"{': ' + t['msg'][:100] if 'msg' in t else ''}\n    jtorch: {jj}")


if __name__ == "__main__":
    main()
