"""Gradients at special points (issue 14 §2): the differentiable ops of the op surface at
generated special inputs (zeros of both signs, +-1, ties between elements and between
arguments, activation and loss bounds, +-inf, NaN), compared with torch: gradients equal, with
NaN exactly where torch has NaN.

Elementwise ops run every point of their grid as one batch (elements are independent) and are
reported per point; reductions run each vector on its own.

    python -m compat.special_points     # prints the sweep's size and every mismatch
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np

from compat.fuzz_bad_input import F_UNARY, UNARY

INF, NAN = float("inf"), float("nan")
POINTS = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, INF, -INF, NAN]
# activation bounds: hardswish/hardsigmoid at +-3, relu6 at 6, softplus's threshold at 20
F_POINTS = POINTS + [3.0, -3.0, 6.0, 20.0]
NONDIFF = {"isnan", "isinf", "isfinite", "signbit", "logical_not", "bitwise_not", "isreal",
           "angle", "sign", "sgn", "floor", "ceil", "round", "trunc", "fix"}
# Pairs of arguments: ties, zeros of both signs, infinities, NaN on either side.
PAIR_VALUES = [0.0, -0.0, 1.0, -1.0, 2.0, INF, -INF, NAN]
PAIRS = list(itertools.product(PAIR_VALUES, repeat=2))
TRIPLES = list(itertools.product([0.0, 1.0, NAN], repeat=3))
PROB_PAIRS = list(itertools.product([0.0, 0.5, 1.0], repeat=2))  # inputs of binary_cross_entropy


def _F(lib):
    return lib.nn.functional


# name -> f(lib, x, y): binary ops, losses per element (reduction="none"), tensor bounds
BINARY = {
    "add": lambda lib, x, y: lib.add(x, y), "sub": lambda lib, x, y: lib.sub(x, y),
    "mul": lambda lib, x, y: lib.mul(x, y), "div": lambda lib, x, y: lib.div(x, y),
    "maximum": lambda lib, x, y: lib.maximum(x, y), "minimum": lambda lib, x, y: lib.minimum(x, y),
    "fmax": lambda lib, x, y: lib.fmax(x, y), "fmin": lambda lib, x, y: lib.fmin(x, y),
    "pow": lambda lib, x, y: lib.pow(x, y), "float_power": lambda lib, x, y: lib.float_power(x, y),
    "atan2": lambda lib, x, y: lib.atan2(x, y), "hypot": lambda lib, x, y: lib.hypot(x, y),
    "copysign": lambda lib, x, y: lib.copysign(x, y),
    "remainder": lambda lib, x, y: lib.remainder(x, y), "fmod": lambda lib, x, y: lib.fmod(x, y),
    "xlogy": lambda lib, x, y: lib.xlogy(x, y),
    "xlog1py": lambda lib, x, y: lib.special.xlog1py(x, y),
    "logaddexp": lambda lib, x, y: lib.logaddexp(x, y),
    "logaddexp2": lambda lib, x, y: lib.logaddexp2(x, y),
    "clamp_min_tensor": lambda lib, x, y: lib.clamp(x, min=y),
    "clamp_max_tensor": lambda lib, x, y: lib.clamp(x, max=y),
    "where": lambda lib, x, y: lib.where(x > 0, x, y),
    "lerp_half": lambda lib, x, y: lib.lerp(x, y, 0.5),
    "l1_loss": lambda lib, x, y: _F(lib).l1_loss(x, y, reduction="none"),
    "mse_loss": lambda lib, x, y: _F(lib).mse_loss(x, y, reduction="none"),
    "smooth_l1_loss": lambda lib, x, y: _F(lib).smooth_l1_loss(x, y, reduction="none", beta=1.0),
    "smooth_l1_loss_beta0": lambda lib, x, y: _F(lib).smooth_l1_loss(x, y, reduction="none", beta=0.0),
    "huber_loss": lambda lib, x, y: _F(lib).huber_loss(x, y, reduction="none", delta=1.0),
    "soft_margin_loss": lambda lib, x, y: _F(lib).soft_margin_loss(x, y, reduction="none"),
    "bce_with_logits": lambda lib, x, y: _F(lib).binary_cross_entropy_with_logits(x, y, reduction="none"),
    "kl_div": lambda lib, x, y: _F(lib).kl_div(x, y, reduction="none"),
    "kl_div_log_target": lambda lib, x, y: _F(lib).kl_div(x, y, reduction="none", log_target=True),
    "poisson_nll_loss": lambda lib, x, y: _F(lib).poisson_nll_loss(x, y, reduction="none"),
    "poisson_nll_loss_rate": lambda lib, x, y: _F(lib).poisson_nll_loss(x, y, log_input=False,
                                                                       reduction="none"),
    "hinge_embedding_loss": lambda lib, x, y: _F(lib).hinge_embedding_loss(x, y.sign(), reduction="none"),
}
PROB_BINARY = {
    "binary_cross_entropy": lambda lib, x, y: _F(lib).binary_cross_entropy(x, y, reduction="none"),
}
TERNARY = {
    "clamp_tensor": lambda lib, x, lo, hi: lib.clamp(x, lo, hi),
    "lerp": lambda lib, x, y, w: lib.lerp(x, y, w),
    "addcdiv": lambda lib, x, y, z: lib.addcdiv(x, y, z),
    "addcmul": lambda lib, x, y, z: lib.addcmul(x, y, z),
    "margin_ranking_loss": lambda lib, x, y, z: _F(lib).margin_ranking_loss(x, y, z.sign(), reduction="none"),
}
# Parametric activations at their own bounds (F_POINTS holds the default bounds).
F_PARAM = {
    "threshold_1": lambda lib, x: _F(lib).threshold(x, 1.0, -5.0),
    "hardtanh_0_2": lambda lib, x: _F(lib).hardtanh(x, 0.0, 2.0),
    "leaky_relu_neg": lambda lib, x: _F(lib).leaky_relu(x, -0.5),
    "softplus_beta2_threshold1": lambda lib, x: _F(lib).softplus(x, beta=2.0, threshold=1.0),
    "elu_alpha2": lambda lib, x: _F(lib).elu(x, alpha=2.0),
    "celu_alpha_half": lambda lib, x: _F(lib).celu(x, alpha=0.5),
    "hardshrink_1": lambda lib, x: _F(lib).hardshrink(x, 1.0),
    "softshrink_1": lambda lib, x: _F(lib).softshrink(x, 1.0),
    "gelu_tanh": lambda lib, x: _F(lib).gelu(x, approximate="tanh"),
    "rrelu_eval": lambda lib, x: _F(lib).rrelu(x, training=False),
    "logit_eps": lambda lib, x: lib.logit(x, eps=0.25),
    "nan_to_num": lambda lib, x: lib.nan_to_num(x),
    "clamp_0_1": lambda lib, x: lib.clamp(x, 0.0, 1.0),
    "clamp_1_1": lambda lib, x: lib.clamp(x, 1.0, 1.0),
    "clamp_min_0": lambda lib, x: lib.clamp(x, min=0.0),
    "pow_2": lambda lib, x: lib.pow(x, 2), "pow_half": lambda lib, x: lib.pow(x, 0.5),
    "pow_0": lambda lib, x: lib.pow(x, 0), "pow_neg1": lambda lib, x: lib.pow(x, -1),
    "pow_3": lambda lib, x: lib.pow(x, 3.0), "rpow_2": lambda lib, x: lib.pow(2.0, x),
    "rpow_0": lambda lib, x: lib.pow(0.0, x),
    "div_by_0": lambda lib, x: x / 0.0, "xlogy_self": lambda lib, x: lib.xlogy(x, x),
    "i0": lambda lib, x: lib.i0(x), "special_i1": lambda lib, x: lib.special.i1(x),
    "special_entr": lambda lib, x: lib.special.entr(x),
    "special_ndtri": lambda lib, x: lib.special.ndtri(x),
    "special_log_ndtr": lambda lib, x: lib.special.log_ndtr(x),
    "special_erfcx": lambda lib, x: lib.special.erfcx(x),
    "special_sinc": lambda lib, x: lib.special.sinc(x),
    "erfc": lambda lib, x: lib.erfc(x), "frac": lambda lib, x: lib.frac(x),
    "polygamma_1": lambda lib, x: lib.polygamma(1, x), "mvlgamma_1": lambda lib, x: lib.mvlgamma(x, 1),
}
# name -> f(lib, x) over a 1-D vector: reductions, selections and ties, norms, normalisations
REDUCTIONS = {n: (lambda n: lambda lib, x: getattr(lib, n)(x))(n) for n in
              ["sum", "mean", "prod", "amax", "amin", "std", "var", "norm", "logsumexp", "median",
               "nanmedian", "max", "min", "nansum", "nanmean", "msort"]}
REDUCTIONS.update({n: (lambda n: lambda lib, x: getattr(lib, n)(x, 0))(n) for n in
                   ["cumsum", "cumprod", "softmax", "log_softmax", "logcumsumexp"]})
REDUCTIONS.update({
    "max_dim": lambda lib, x: lib.max(x, 0)[0], "min_dim": lambda lib, x: lib.min(x, 0)[0],
    "median_dim": lambda lib, x: lib.median(x, 0)[0],
    "nanmedian_dim": lambda lib, x: lib.nanmedian(x, 0)[0],
    "mode": lambda lib, x: lib.mode(x, 0)[0], "kthvalue_2": lambda lib, x: lib.kthvalue(x, 2, 0)[0]
    if x.numel() >= 2 else lib.kthvalue(x, 1, 0)[0],
    "topk_2": lambda lib, x: lib.topk(x, min(2, x.numel()))[0],
    "sort": lambda lib, x: lib.sort(x)[0], "sort_desc": lambda lib, x: lib.sort(x, descending=True)[0],
    "cummax": lambda lib, x: lib.cummax(x, 0)[0], "cummin": lambda lib, x: lib.cummin(x, 0)[0],
    "aminmax": lambda lib, x: sum(lib.aminmax(x)),
    "quantile_half": lambda lib, x: lib.quantile(x, 0.5),
    "nanquantile_third": lambda lib, x: lib.nanquantile(x, 1 / 3),
    "std_mean": lambda lib, x: sum(lib.std_mean(x)), "var_mean": lambda lib, x: sum(lib.var_mean(x)),
    "softmin": lambda lib, x: _F(lib).softmin(x, 0),
    "norm_p0": lambda lib, x: lib.norm(x, 0), "norm_p1": lambda lib, x: lib.norm(x, 1),
    "norm_p3": lambda lib, x: lib.norm(x, 3), "norm_inf": lambda lib, x: lib.norm(x, float("inf")),
    "norm_ninf": lambda lib, x: lib.norm(x, float("-inf")),
    "vector_norm_half": lambda lib, x: lib.linalg.vector_norm(x, 0.5),
    "dist_zero": lambda lib, x: lib.dist(x, lib.zeros_like(x)),
    "normalize": lambda lib, x: _F(lib).normalize(x, dim=0),
    "layer_norm": lambda lib, x: _F(lib).layer_norm(x, x.shape),
    "rms_norm": lambda lib, x: _F(lib).rms_norm(x, x.shape),
    "pdist": lambda lib, x: _F(lib).pdist(x[:, None]),
    "cdist_self": lambda lib, x: lib.cdist(x[None, :, None], x[None, :, None]),
    "pairwise_distance_zero": lambda lib, x: _F(lib).pairwise_distance(x[None], lib.zeros_like(x)[None]),
    "cosine_similarity_self": lambda lib, x: _F(lib).cosine_similarity(x, x, dim=0),
    "renorm": lambda lib, x: lib.renorm(x[None], 2, 0, 1.0),
    "diff": lambda lib, x: lib.diff(x), "trapezoid": lambda lib, x: lib.trapezoid(x),
    "cumulative_trapezoid": lambda lib, x: lib.cumulative_trapezoid(x),
    "var_correction_3": lambda lib, x: lib.var(x, correction=3),
})
# Reduction inputs: ties, constants, zeros, a single NaN/inf among finite values, ties of
# NaN and of inf, one element.
VECTORS = [[1.0, 1.0, 0.0], [2.0, 2.0, 2.0], [0.0, 0.0, 0.0], [1.0, NAN, 2.0],
           [1.0, INF, 2.0], [0.0, 1.0, -1.0], [NAN, 1.0, NAN], [INF, 1.0, INF], [3.0]]


def cases():
    """(family, name, rows): rows are the argument values, one list per argument."""
    out = []
    for n in UNARY:
        if n not in NONDIFF:
            out.append(("unary", f"torch.{n}", [POINTS]))
    for n in F_UNARY:
        out.append(("unary", f"F.{n}", [F_POINTS]))
    for n in F_PARAM:
        out.append(("unary", n, [F_POINTS]))
    for n in BINARY:
        out.append(("binary", n, [list(c) for c in zip(*PAIRS)]))
    for n in PROB_BINARY:
        out.append(("binary", n, [list(c) for c in zip(*PROB_PAIRS)]))
    for n in TERNARY:
        out.append(("ternary", n, [list(c) for c in zip(*TRIPLES)]))
    for n in REDUCTIONS:
        for v in VECTORS:
            out.append(("reduction", n, [v]))
    return out


def _fn(family, name):
    if name.startswith("torch."):
        return lambda lib, x: getattr(lib, name[6:])(x)
    if name.startswith("F."):
        return lambda lib, x: getattr(lib.nn.functional, name[2:])(x)
    return {**F_PARAM, **BINARY, **PROB_BINARY, **TERNARY, **REDUCTIONS}[name]


def grad(lib, family, name, rows, compiled=False):
    """The gradients of `sum(f(*args))` to every argument (None for no gradient), or the
    exception's type name. `compiled`: the forward and backward as one `lib.compile`d step,
    taken from its third call (the first runs eagerly)."""
    f = _fn(family, name)

    def step(*args):
        y = f(lib, *args)
        (y[0] if isinstance(y, tuple) else y).sum().backward()
        return tuple(a.grad for a in args)
    run = lib.compile(step) if compiled else step
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            for _ in range(3 if compiled else 1):
                args = [lib.tensor(r, dtype=lib.float64, requires_grad=True) for r in rows]
                grads = run(*args)
        except Exception as e:  # noqa: BLE001
            return type(e).__name__
        return [None if g is None else g.detach().numpy().tolist() for g in grads]


def grads_in_one_step(lib, chosen, compiled=False):
    """`grad` of every chosen case at once: one step sums all their outputs and runs one
    backward (cases are independent, so each argument's gradient is its own case's). Compiled,
    the whole step is one `lib.compile`d program, taken from its third call."""
    fns = [_fn(fam, name) for fam, name, _ in chosen]

    def step(*args):
        total, i = 0, 0
        for f, (_, _, rows) in zip(fns, chosen):
            y = f(lib, *args[i:i + len(rows)])
            total = total + (y[0] if isinstance(y, tuple) else y).sum()
            i += len(rows)
        total.backward()
        return tuple(a.grad for a in args)
    run = lib.compile(step) if compiled else step
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(3 if compiled else 1):
            args = [lib.tensor(r, dtype=lib.float64, requires_grad=True)
                    for _, _, rows in chosen for r in rows]
            grads = [None if g is None else g.detach().numpy().tolist() for g in run(*args)]
    if compiled:  # one program, replayed: not an eager fallback
        assert not run.eager_only and run.traces == 1 and len(run.cache) == 1
    out, i = [], 0
    for _, _, rows in chosen:
        out.append(grads[i:i + len(rows)])
        i += len(rows)
    return out


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or not np.array_equal(np.isnan(a), np.isnan(b)):
        return False
    return bool(np.allclose(a, b, rtol=1e-6, atol=1e-8, equal_nan=True))


def compare(family, name, rows, t, j):
    """Mismatches as (label, torch's, jtorch's): one per point for elementwise families."""
    if isinstance(t, str) or isinstance(j, str):
        return [] if t == j else [(f"{name}{rows[0] if family == 'reduction' else ''}", t, j)]
    if family == "reduction":
        return [] if all(_same(a, b) for a, b in zip(t, j)) else [(f"{name}{rows[0]}", t, j)]
    bad = []
    for i, point in enumerate(zip(*rows)):
        ti = [None if g is None else g[i] for g in t]
        ji = [None if g is None else g[i] for g in j]
        if not all(_same(a, b) for a, b in zip(ti, ji)):
            bad.append((f"{name}{list(point) if len(point) > 1 else [point[0]]}", ti, ji))
    return bad


def size(all_cases):
    """(cases, points): a point is one input of an elementwise op or one reduction vector."""
    points = sum(len(rows[0]) if fam != "reduction" else 1 for fam, _, rows in all_cases)
    return len(all_cases), points


def sweep_compiled(select, vectors):
    """Mismatches of the chosen cases run as one compiled jtorch step against torch eagerly."""
    import torch

    import jtorch
    chosen = [c for c in cases() if c[1] in select and (c[0] != "reduction" or c[2][0] in vectors)]
    bad = []
    for (fam, name, rows), t, j in zip(chosen, grads_in_one_step(torch, chosen),
                                        grads_in_one_step(jtorch, chosen, compiled=True)):
        bad += compare(fam, name, rows, t, j)
    return chosen, bad


def sweep(select=None, compiled=False, vectors=None):
    """(cases run, mismatches); `select` names ops, `vectors` the reduction inputs to run."""
    import torch

    import jtorch
    bad = []
    all_cases = [c for c in cases() if (select is None or c[1] in select)
                 and (vectors is None or c[0] != "reduction" or c[2][0] in vectors)]
    for family, name, rows in all_cases:
        t = grad(torch, family, name, rows)
        j = grad(jtorch, family, name, rows, compiled)
        bad += compare(family, name, rows, t, j)
    return all_cases, bad


if __name__ == "__main__":
    import sys
    all_cases, bad = sweep(compiled="--compiled" in sys.argv)
    n, points = size(all_cases)
    print(f"{n} cases ({points} points), {len(bad)} mismatches")
    for label, t, j in bad:
        print(f"{label}: torch {t} jtorch {j}")
