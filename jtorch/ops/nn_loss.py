"""Loss ops. `reduction` is one of "none", "mean", "sum" (torch's names)."""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import Array, lax

from . import _torch_grads
from ._opmath import fused as _fused
from ._registry import op
from .nn import _pnorm

_PRIVATE = dict(public=False, method=False, promote=None)


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "mean":
        return jnp.mean(loss)
    if reduction == "sum":
        return jnp.sum(loss)
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _pair(input, target):
    from .._promote import promote_args
    return promote_args("float", input, target)


@op(**_PRIVATE, grad_name="MseLossBackward0")
def mse_loss(input: Array, target: Array, reduction: str = "mean"):
    """Matches `torch.nn.functional.mse_loss`."""
    x, t = _pair(input, target)
    return _reduce(jnp.square(x - t), reduction)


@op(**_PRIVATE, grad_name="MeanBackward0")
def l1_loss(input: Array, target: Array, reduction: str = "mean"):
    """Matches `torch.nn.functional.l1_loss`."""
    x, t = _pair(input, target)
    return _reduce(_torch_grads.abs(x - t), reduction)  # gradient 0 where x == t, as torch


@op(**_PRIVATE, grad_name="SmoothL1LossBackward0")
def smooth_l1_loss(input: Array, target: Array, reduction: str = "mean", beta: float = 1.0):
    """Matches `torch.nn.functional.smooth_l1_loss`."""
    x, t = _pair(input, target)
    if beta == 0:
        return _reduce(_torch_grads.abs(x - t), reduction)
    return _reduce(_huber(x - t, beta, 1 / beta), reduction)


@op(**_PRIVATE, grad_name="HuberLossBackward0")
def huber_loss(input: Array, target: Array, reduction: str = "mean", delta: float = 1.0):
    """Matches `torch.nn.functional.huber_loss`."""
    x, t = _pair(input, target)
    if x.dtype == jnp.float16:  # torch's float16 kernel computes in float32, rounds once;
        # its bfloat16 kernel rounds each step, as the plain expression does
        return _reduce(_fused(lambda a, b: _huber(a - b, delta, 1.0), x, t), reduction)
    return _reduce(_huber(x - t, delta, 1.0), reduction)


def _huber(d, delta, scale):
    """scale * huber(d, delta) with torch's gradient: scale * clamp(d, -delta, delta), NaN at NaN
    (JAX's: NaN from the unused quadratic branch at +-inf, 0 at NaN through abs)."""
    def f(d):
        a = jnp.abs(d)
        return scale * jnp.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))

    def df(d, y):
        return scale * jnp.where(d < -delta, -delta, jnp.where(d > delta, delta, d))
    return _torch_grads.elementwise(f, df)(d)


def _class_last(x):
    """(N, C, d1, ...) -> (N, d1, ..., C); (C,) stays."""
    return x if x.ndim == 1 else jnp.moveaxis(x, 1, -1)


def _nll(logp, target, weight, ignore_index, reduction):
    """logp has classes last; returns torch's nll_loss."""
    valid = target != ignore_index
    t = jnp.where(valid, target, 0)
    picked = jnp.take_along_axis(logp, t[..., None], axis=-1)[..., 0]
    w = jnp.ones_like(picked) if weight is None else weight[t].astype(logp.dtype)
    w = jnp.where(valid, w, 0)
    loss = -picked * w
    if reduction == "mean":
        return _safe_div(jnp.sum(loss), jnp.sum(w))
    return _reduce(loss, reduction)


def _safe_div(total, den):
    """total / den; with den == 0 (every target ignored) the value is NaN and, as in PyTorch,
    the gradient is 0."""
    bad = den == 0
    return jnp.where(bad, jnp.nan, total / jnp.where(bad, 1, den).astype(total.dtype))


def _check_weight(weight, c, prefix=""):
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != c):
        raise RuntimeError(f"{prefix}weight tensor should be defined either for all {c} classes or "
                           f"no classes but got weight tensor of shape: {list(weight.shape)}")


def _check_target(input, target):
    if jnp.issubdtype(target.dtype, jnp.integer) and target.dtype not in (jnp.int64, jnp.uint8):
        from .._checks import type_name
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{type_name(target.dtype)}")
    if input.ndim >= 2 and target.shape != input.shape[:1] + input.shape[2:]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0] if target.ndim else 0}).")


@op(**_PRIVATE, grad_name="NllLossBackward0")
def nll_loss(input: Array, target: Array, weight: Array = None, ignore_index: int = -100,
             reduction: str = "mean"):
    """Matches `torch.nn.functional.nll_loss`."""
    _check_target(input, target)
    _check_weight(weight, input.shape[1] if input.ndim >= 2 else input.shape[-1])
    return _nll(_class_last(input), target, weight, ignore_index, reduction)


@op(**_PRIVATE, grad_name="NllLossBackward0")
def cross_entropy(input: Array, target: Array, weight: Array = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0):
    """Matches `torch.nn.functional.cross_entropy` (class indices or probabilities)."""
    logp = jax.nn.log_softmax(_class_last(input), axis=-1)
    c = logp.shape[-1]
    _check_weight(weight, c, "" if jnp.issubdtype(target.dtype, jnp.integer) else "cross_entropy: ")
    if jnp.issubdtype(target.dtype, jnp.floating):
        p = _class_last(target).astype(logp.dtype)
        if label_smoothing > 0:
            p = p * (1 - label_smoothing) + label_smoothing / c
        lw = logp if weight is None else logp * weight
        loss = -jnp.sum(lw * p, axis=-1)
        if reduction == "mean":
            return jnp.sum(loss) / max(loss.size, 1) if loss.ndim else loss
        return _reduce(loss, reduction)
    _check_target(input, target)
    nll = _nll(logp, target, weight, ignore_index, reduction)
    if label_smoothing <= 0:
        return nll
    valid = target != ignore_index
    lw = logp if weight is None else logp * weight
    smooth = jnp.where(valid, -jnp.sum(lw, axis=-1), 0)
    if reduction == "mean":
        if weight is None:
            smooth = _safe_div(jnp.sum(smooth), jnp.sum(valid))
        else:
            smooth = _safe_div(jnp.sum(smooth),
                               jnp.sum(jnp.where(valid, weight[jnp.where(valid, target, 0)], 0)))
    elif reduction == "sum":
        smooth = jnp.sum(smooth)
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / c)


# PyTorch's BCE gradient divides by max(x(1-x), 1e-12) while the clamped logs give 0 at
# the ends; the custom rule keeps torch's numbers there.
@jax.custom_vjp
def _bce(x, t):
    return -(t * jnp.maximum(jnp.log(x), -100) + (1 - t) * jnp.maximum(jnp.log1p(-x), -100))


def _bce_fwd(x, t):
    return _bce(x, t), (x, t)


def _bce_bwd(res, g):
    x, t = res
    gx = g * (x - t) / jnp.maximum((1 - x) * x, 1e-12)
    gt = g * (jnp.maximum(jnp.log1p(-x), -100) - jnp.maximum(jnp.log(x), -100))
    return gx, gt


_bce.defvjp(_bce_fwd, _bce_bwd)


@op(**_PRIVATE, grad_name="BinaryCrossEntropyBackward0")
def binary_cross_entropy(input: Array, target: Array, weight: Array = None,
                         reduction: str = "mean"):
    """Matches `torch.nn.functional.binary_cross_entropy`."""
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({tuple(target.shape)}) that is different to the "
                         f"input size ({tuple(input.shape)}) is deprecated. Please ensure they "
                         "have the same size.")
    if input.dtype != target.dtype:  # torch: the target must have the input's dtype
        from .._checks import type_name
        raise RuntimeError(f"Found dtype {type_name(target.dtype)} but expected "
                           f"{type_name(input.dtype)}")
    x, t = _pair(input, target)
    loss = _bce(x, t)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


@op(**_PRIVATE, grad_name="BinaryCrossEntropyWithLogitsBackward0")
def binary_cross_entropy_with_logits(input: Array, target: Array, weight: Array = None,
                                     reduction: str = "mean", pos_weight: Array = None):
    """Matches `torch.nn.functional.binary_cross_entropy_with_logits`."""
    if target.shape != input.shape:
        raise ValueError(f"Target size ({tuple(target.shape)}) must be the same as input size "
                         f"({tuple(input.shape)})")
    x, t = _pair(input, target)
    ls = jax.nn.log_sigmoid(x)
    if pos_weight is not None:
        loss = (1 - t) * x - ((pos_weight - 1) * t + 1) * ls
    else:
        loss = (1 - t) * x - ls
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


@op(**_PRIVATE, grad_name="SumBackward0")
def kl_div(input: Array, target: Array, reduction: str = "mean", log_target: bool = False):
    """Matches `torch.nn.functional.kl_div` (reduction="batchmean" divides by the batch size)."""
    x, t = _pair(input, target)
    loss = jnp.exp(t) * (t - x) if log_target else jax.scipy.special.xlogy(t, t) - t * x
    if reduction == "batchmean":
        return jnp.sum(loss) / (x.shape[0] if x.ndim else 1)
    return _reduce(loss, reduction)


@op(**_PRIVATE, grad_name="MeanBackward0")
def cosine_embedding_loss(input1: Array, input2: Array, target: Array, margin: float = 0.0,
                          reduction: str = "mean"):
    """Matches `torch.nn.functional.cosine_embedding_loss`."""
    eps = 1e-12
    a, b = _pair(input1, input2)  # integers give the default float
    d = a.ndim - 1
    cos = jnp.sum(a * b, d) / jnp.sqrt((jnp.sum(a * a, d) + eps) * (jnp.sum(b * b, d) + eps))
    z = cos - margin
    loss = jnp.where(target == 1, 1 - cos, 0) + jnp.where(target == -1, jnp.where(z < 0, 0, z), 0)
    return _reduce(loss, reduction)


@op(**_PRIVATE, grad_name="MeanBackward0")
def margin_ranking_loss(input1: Array, input2: Array, target: Array, margin: float = 0.0,
                        reduction: str = "mean"):
    """Matches `torch.nn.functional.margin_ranking_loss`."""
    input1, input2 = _pair(input1, input2)
    z = -target * (input1 - input2) + margin
    return _reduce(_torch_grads.clamp(z, 0, None), reduction)  # clamp_min(0): NaN passes no gradient


@op(**_PRIVATE, grad_name="MeanBackward0")
def hinge_embedding_loss(input: Array, target: Array, margin: float = 1.0,
                         reduction: str = "mean"):
    """Matches `torch.nn.functional.hinge_embedding_loss`."""
    x = input
    z = margin - x
    loss = jnp.where(target != 1, jnp.where(z < 0, 0, z), 0) + jnp.where(target != -1, x, 0)
    return _reduce(loss, reduction)


@op(**_PRIVATE, grad_name="SoftMarginLossBackward0")
def soft_margin_loss(input: Array, target: Array, reduction: str = "mean"):
    """Matches `torch.nn.functional.soft_margin_loss`."""
    x, t = _pair(input, target)
    return _reduce(jnp.log1p(jnp.exp(-t * x)), reduction)


@op(**_PRIVATE, grad_name="MultiMarginLossBackward0")
def multi_margin_loss(input: Array, target: Array, p: int = 1, margin: float = 1.0,
                      weight: Array = None, reduction: str = "mean"):
    """Matches `torch.nn.functional.multi_margin_loss`."""
    x = input if input.ndim == 2 else input.reshape(1, -1)
    t = target.reshape(-1)
    c = x.shape[1]
    xy = jnp.take_along_axis(x, t[:, None], axis=1)
    z = margin - xy + x
    z = jnp.where(z > 0, z, 0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[t][:, None]
    z = jnp.where(jnp.arange(c)[None, :] == t[:, None], 0, z)
    loss = jnp.sum(z, axis=1) / c
    if input.ndim < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


@op(**_PRIVATE, grad_name="MultilabelMarginLossBackward0")
def multilabel_margin_loss(input: Array, target: Array, reduction: str = "mean"):
    """Matches `torch.nn.functional.multilabel_margin_loss`."""
    x = input if input.ndim == 2 else input.reshape(1, -1)
    t = target.reshape(x.shape)
    c = x.shape[1]
    # Targets are read up to the first -1.
    valid = jnp.cumprod(t >= 0, axis=1).astype(bool)
    tt = jnp.where(valid, t, 0)
    is_target = jnp.zeros(x.shape, bool).at[jnp.arange(x.shape[0])[:, None], tt].max(valid)
    xy = jnp.take_along_axis(x, tt, axis=1)  # (N, C): value at each listed target
    z = 1 - (xy[:, :, None] - x[:, None, :])  # [n, j, i]
    z = jnp.where(z > 0, z, 0)
    z = jnp.where(valid[:, :, None] & ~is_target[:, None, :], z, 0)
    loss = jnp.sum(z, axis=(1, 2)) / c
    if input.ndim < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


@op(**_PRIVATE, grad_name="MeanBackward0")
def triplet_margin_loss(anchor: Array, positive: Array, negative: Array, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False,
                        reduction: str = "mean"):
    """Matches `torch.nn.functional.triplet_margin_loss`."""
    from .._promote import promote_args
    anchor, positive, negative = promote_args("float", anchor, positive, negative)
    dim = anchor.ndim - 1
    d_ap = _pnorm(anchor - positive + eps, p, dim)
    d_an = _pnorm(anchor - negative + eps, p, dim)
    if swap:
        d_an = jnp.minimum(d_an, _pnorm(positive - negative + eps, p, dim))
    z = margin + d_ap - d_an
    return _reduce(jnp.where(z < 0, 0, z), reduction)


@op(**_PRIVATE, grad_name="MeanBackward0")
def poisson_nll_loss(input: Array, target: Array, log_input: bool = True, full: bool = False,
                     eps: float = 1e-8, reduction: str = "mean"):
    """Matches `torch.nn.functional.poisson_nll_loss`."""
    x, t = _pair(input, target)
    loss = jnp.exp(x) - t * x if log_input else x - t * jnp.log(x + eps)
    if full:
        safe = jnp.where(t > 1, t, 1)
        st = safe * jnp.log(safe) - safe + 0.5 * jnp.log(2 * math.pi * safe)
        loss = loss + jnp.where(t > 1, st, 0)
    return _reduce(loss, reduction)


@op(**_PRIVATE, grad_name="MeanBackward0")
def gaussian_nll_loss(input: Array, target: Array, var: Array, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean"):
    """Matches `torch.nn.functional.gaussian_nll_loss`."""
    v = var
    if v.ndim == input.ndim - 1 and v.shape == input.shape[:-1]:
        v = v[..., None]
    # PyTorch clamps var in place under no_grad: the clamp carries no gradient.
    v = v + lax.stop_gradient(jnp.maximum(v, eps) - v)
    loss = 0.5 * (jnp.log(v) + jnp.square(input - target) / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def _lse(*xs):
    """log(sum(exp(x))) whose gradient is exactly 0 for -inf inputs (unreachable CTC states)."""
    m = xs[0]
    for x in xs[1:]:
        m = jnp.maximum(m, x)
    m = lax.stop_gradient(jnp.where(jnp.isfinite(m), m, 0))
    s = sum(jnp.exp(x - m) for x in xs)
    pos = s > 0
    return jnp.where(pos, m + jnp.log(jnp.where(pos, s, 1)), -jnp.inf)


def _ctc_alpha(log_probs, targets, input_lengths, target_lengths, blank):
    """Per-sample negative log-likelihood by the CTC forward (alpha) recursion."""
    T, N, C = log_probs.shape
    S = targets.shape[1]
    L = 2 * S + 1
    ext = jnp.full((N, L), blank, targets.dtype).at[:, 1::2].set(targets)
    neg = jnp.asarray(-jnp.inf, log_probs.dtype)
    same = jnp.concatenate([jnp.ones((N, 2), bool), ext[:, 2:] == ext[:, :-2]], axis=1)
    lp0 = jnp.take_along_axis(log_probs[0], ext, axis=1)
    alpha = jnp.full((N, L), neg).at[:, 0].set(lp0[:, 0])
    alpha = alpha.at[:, 1].set(jnp.where(target_lengths > 0, lp0[:, 1], neg))

    def step(a, t):
        a1 = jnp.concatenate([jnp.full((N, 1), neg), a[:, :-1]], axis=1)
        a2 = jnp.concatenate([jnp.full((N, 2), neg), a[:, :-2]], axis=1)
        a2 = jnp.where(same, neg, a2)
        new = _lse(a, a1, a2) + jnp.take_along_axis(log_probs[t], ext, axis=1)
        return jnp.where((t < input_lengths)[:, None], new, a), None

    alpha, _ = lax.scan(step, alpha, jnp.arange(1, T))
    end = 2 * target_lengths
    la = jnp.take_along_axis(alpha, end[:, None], axis=1)[:, 0]
    lb = jnp.take_along_axis(alpha, jnp.maximum(end - 1, 0)[:, None], axis=1)[:, 0]
    lb = jnp.where(target_lengths > 0, lb, neg)
    return -_lse(la, lb)


# PyTorch's CTC backward returns the gradient as if log_probs came from a log_softmax
# (exp(log_probs) is added to the true gradient); the custom rule reproduces it.
@jax.custom_vjp
def _ctc_nll(log_probs, targets, input_lengths, target_lengths, blank):
    return _ctc_alpha(log_probs, targets, input_lengths, target_lengths, blank)


def _ctc_fwd(log_probs, targets, input_lengths, target_lengths, blank):
    out, pull = jax.vjp(lambda lp: _ctc_alpha(lp, targets, input_lengths, target_lengths, blank),
                        log_probs)
    return out, (pull, log_probs, input_lengths)


def _ctc_bwd(res, g):
    pull, lp, input_lengths = res
    (grad,) = pull(g)
    live = (jnp.arange(lp.shape[0])[:, None] < input_lengths[None, :])[..., None]
    return (grad + jnp.where(live, jnp.exp(lp) * g[None, :, None], 0), None, None, None, None)


_ctc_nll.defvjp(_ctc_fwd, _ctc_bwd)


@op(**_PRIVATE, grad_name="CtcLossBackward0")
def _ctc_loss(log_probs: Array, targets: Array, input_lengths: Array, target_lengths: Array,
              blank: int, reduction: str, zero_infinity: bool):
    """log_probs (T, N, C); targets (N, S) padded. Returns torch's ctc_loss."""
    nll = _ctc_nll(log_probs, targets, input_lengths, target_lengths, blank)
    if zero_infinity:
        nll = jnp.where(jnp.isinf(nll), 0, nll)
    if reduction == "mean":
        return jnp.mean(nll / jnp.maximum(target_lengths, 1).astype(nll.dtype))
    return _reduce(nll, reduction)
