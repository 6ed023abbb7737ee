"""The loss functions of `jtorch.nn.functional` (re-exported there)."""
from __future__ import annotations

import numpy as np

from .. import _dispatch
from ..ops._registry import REGISTRY as _R

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits", "cosine_embedding_loss",
           "cross_entropy", "ctc_loss", "gaussian_nll_loss", "hinge_embedding_loss", "huber_loss",
           "kl_div", "l1_loss", "margin_ranking_loss", "mse_loss", "multi_margin_loss",
           "multilabel_margin_loss", "multilabel_soft_margin_loss", "nll_loss", "poisson_nll_loss",
           "smooth_l1_loss", "soft_margin_loss", "triplet_margin_loss",
           "triplet_margin_with_distance_loss", "linear_cross_entropy"]


def _op(name, *args):
    return _dispatch.apply(_R[name], args, {})


def _type_name(d):
    from .._checks import type_name
    return type_name(d.np)


def _same_shape(*tensors):
    """torch's RuntimeError when loss inputs do not broadcast (JAX would raise ValueError)."""
    from .._checks import broadcast_shapes
    broadcast_shapes(*(tuple(t.shape) for t in tensors))


def _red(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        if reduction not in ("none", "mean", "sum", "batchmean"):
            raise ValueError(f"{reduction} is not a valid value for reduction")
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Matches `torch.nn.functional.mse_loss`."""
    _same_shape(input, target)
    out = _op("mse_loss", input, target, _red(size_average, reduce, reduction))
    return out


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Matches `torch.nn.functional.l1_loss`."""
    _same_shape(input, target)
    return _op("l1_loss", input, target, _red(size_average, reduce, reduction))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Matches `torch.nn.functional.smooth_l1_loss`."""
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _same_shape(input, target)
    return _op("smooth_l1_loss", input, target, _red(size_average, reduce, reduction), float(beta))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Matches `torch.nn.functional.huber_loss`."""
    red = _red(None, None, reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _same_shape(input, target)
    return _op("huber_loss", input, target, red, float(delta))


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Matches `torch.nn.functional.nll_loss`."""
    return _op("nll_loss", input, target, weight, int(ignore_index),
               _red(size_average, reduce, reduction))


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Matches `torch.nn.functional.cross_entropy`."""
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    return _op("cross_entropy", input, target, weight, int(ignore_index),
               _red(size_average, reduce, reduction), float(label_smoothing))


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """Matches `torch.nn.functional.binary_cross_entropy`."""
    return _op("binary_cross_entropy", input, target, weight, _red(size_average, reduce, reduction))


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Matches `torch.nn.functional.binary_cross_entropy_with_logits`."""
    return _op("binary_cross_entropy_with_logits", input, target, weight,
               _red(size_average, reduce, reduction), pos_weight)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Matches `torch.nn.functional.kl_div`."""
    return _op("kl_div", input, target, _red(size_average, reduce, reduction), bool(log_target))


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """Matches `torch.nn.functional.cosine_embedding_loss`."""
    return _op("cosine_embedding_loss", input1, input2, target, float(margin),
               _red(size_average, reduce, reduction))


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """Matches `torch.nn.functional.margin_ranking_loss`."""
    red = _red(size_average, reduce, reduction)
    if not input1.dim() == input2.dim() == target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but "
                           f"got sizes: input1: {input1.shape}, input2: {input2.shape}, target: "
                           f"{target.shape} ")
    _same_shape(input1, input2, target)
    return _op("margin_ranking_loss", input1, input2, target, float(margin), red)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """Matches `torch.nn.functional.hinge_embedding_loss`."""
    return _op("hinge_embedding_loss", input, target, float(margin),
               _red(size_average, reduce, reduction))


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Matches `torch.nn.functional.soft_margin_loss`."""
    red = _red(size_average, reduce, reduction)
    _same_shape(input, target)
    return _op("soft_margin_loss", input, target, red)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """Matches `torch.nn.functional.multilabel_soft_margin_loss`."""
    # torch's composite, op by op: in bfloat16/float16 each step and each backward step rounds
    # to the input's dtype, and grad_fn follows the reduction (Mean/Sum/DivBackward0)
    from .functional import logsigmoid
    reduction = _red(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    c = input.dim() - 1
    loss = loss.sum(dim=c) / input.size(c)
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction} is not valid")


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """Matches `torch.nn.functional.multi_margin_loss`."""
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    red = _red(size_average, reduce, reduction)
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    _check_margin_input(input)
    n, c = (input.shape[0], input.shape[1]) if input.dim() == 2 else (1, input.numel())
    if target.dim() > 1 or target.numel() != n:
        raise RuntimeError(f"inconsistent target size, target tensor should be 1-D with size equal to "
                           f"the batch size. Expected target size [{n}], but got {list(target.shape)}")
    if weight is not None and weight.numel() != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got {list(weight.shape)}")
    if target.dtype.is_floating_point or target.dtype.is_complex:
        raise RuntimeError(f"expected scalar type Long but found {_type_name(target.dtype)}")
    return _op("multi_margin_loss", input, target, int(p), float(margin), weight, red)


def _check_margin_input(x):
    if not (x.dim() == 0 or x.dim() == 1 and x.numel() or x.dim() == 2 and x.shape[1]):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, but "
                           f"got: {list(x.shape)}")


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Matches `torch.nn.functional.multilabel_margin_loss`."""
    red = _red(size_average, reduce, reduction)
    _check_margin_input(input)
    if target.shape != input.shape:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    return _op("multilabel_margin_loss", input, target, red)


def _check_triplet(a, p, n, margin, reduction):
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if not a.dim() == p.dim() == n.dim():
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same "
                           f"number of dimensions, but got: anchor {a.dim()}D, positive {p.dim()}D, "
                           f"and negative {n.dim()}D inputs")
    _same_shape(a, p)
    _same_shape(a, n)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """Matches `torch.nn.functional.triplet_margin_loss`."""
    _check_triplet(anchor, positive, negative, margin, _red(size_average, reduce, reduction))
    return _op("triplet_margin_loss", anchor, positive, negative, float(margin), float(p),
               float(eps), bool(swap), _red(size_average, reduce, reduction))


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """Matches `torch.nn.functional.triplet_margin_with_distance_loss`."""
    _check_triplet(anchor, positive, negative, margin, _red(None, None, reduction))
    from .functional import pairwise_distance
    dist = distance_function if distance_function is not None else pairwise_distance
    d_ap, d_an = dist(anchor, positive), dist(anchor, negative)
    if swap:
        from .._functions import min as _min
        d_an = _min(d_an, dist(positive, negative))
    loss = (margin + d_ap - d_an).clamp_min(0)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Matches `torch.nn.functional.poisson_nll_loss`."""
    red = _red(size_average, reduce, reduction)
    _same_shape(input, target)
    return _op("poisson_nll_loss", input, target, bool(log_input), bool(full), float(eps), red)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Matches `torch.nn.functional.gaussian_nll_loss`."""
    if isinstance(var, (int, float)):
        from .._creation import full_like
        var = full_like(input, var)
    shape = tuple(var.shape)
    if shape != tuple(input.shape) and shape == tuple(input.shape[:-1]):
        shape = shape + (1,)  # one variance per sample: broadcast over the last dimension
    inp = tuple(input.shape)
    if len(shape) > len(inp) or any(v not in (1, i) for v, i in zip(reversed(shape), reversed(inp))):
        raise ValueError("var is of incorrect size")
    if (var < 0).any().item():
        raise ValueError("var has negative entry/entries")
    _same_shape(input, target)
    return _op("gaussian_nll_loss", input, target, var, bool(full), float(eps),
               _red(None, None, reduction))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """Matches `torch.nn.functional.ctc_loss` (lengths may be tensors or sequences)."""
    import jax.numpy as jnp
    il = np.asarray(input_lengths._data if hasattr(input_lengths, "_data") else input_lengths,
                    np.int64).reshape(-1)
    tl = np.asarray(target_lengths._data if hasattr(target_lengths, "_data") else target_lengths,
                    np.int64).reshape(-1)
    unb = log_probs.dim() == 2
    lp = log_probs.unsqueeze(1) if unb else log_probs
    if il.size and (il.max() > lp.shape[0] or il.min() < 0):
        v, bound = ((il.max(), f"at most {lp.shape[0]}") if il.max() > lp.shape[0]
                    else (il.min(), "at least 0"))
        raise RuntimeError(f"Expected input_lengths to have value {bound}, but got value {v} "
                           "(while checking arguments for ctc_loss_allocate_outputs)")
    tg = np.asarray(targets._data, np.int64)
    if tg.ndim == 1 and not unb:
        # Concatenated targets: split them into a padded (N, S) table.
        s = int(tl.max()) if tl.size else 0
        padded = np.zeros((len(tl), max(s, 1)), np.int64)
        pos = 0
        for i, n in enumerate(tl):
            padded[i, :n] = tg[pos:pos + n]
            pos += n
        tg = padded
    elif unb:
        tg = tg.reshape(1, -1)
    if tg.shape[1] == 0:
        tg = np.zeros((tg.shape[0], 1), np.int64)
    out = _op("_ctc_loss", lp, jnp.asarray(tg), jnp.asarray(il), jnp.asarray(tl), int(blank),
              reduction, bool(zero_infinity))
    return out.squeeze(0) if unb and reduction == "none" else out


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None,
                         reduction="mean", ignore_index=None, label_smoothing=0.0, options=None):
    """Matches `torch.nn.functional.linear_cross_entropy` (computed unfused: linear, then
    cross_entropy; `options` is accepted and ignored)."""
    if input.dim() not in (1, 2):
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got "
                           f"{linear_weight.dim()}")
    if input.shape[-1] != linear_weight.shape[-1]:
        raise RuntimeError(f"expected equal input and linear_weight last dimensions (in_features), got "
                           f"{input.shape[-1]} and {linear_weight.shape[-1]}, respectively")
    if ignore_index is not None and target.dtype.is_floating_point:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    if linear_weight.dim() > 2 and input.dim() == 1:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape "
                           f"{tuple(linear_weight.shape)} requires batched input, (N, "
                           f"{input.shape[-1]}), got unbatched input with shape {tuple(input.shape)}")
    if linear_bias is not None and tuple(linear_bias.shape) != tuple(linear_weight.shape[:-1]):
        raise RuntimeError(f"expected linear_bias shape {tuple(linear_weight.shape[:-1])}, got "
                           f"{tuple(linear_bias.shape)}")
    classes_out = tuple(linear_weight.shape[:-1])
    w2 = linear_weight.reshape(-1, linear_weight.shape[-1])
    b2 = linear_bias.reshape(-1) if linear_bias is not None else None
    logits = _op("linear", input, w2, b2)
    logits = logits.reshape(tuple(input.shape[:-1]) + classes_out)
    return cross_entropy(logits, target, weight=weight,
                         ignore_index=-100 if ignore_index is None else ignore_index,
                         reduction=reduction, label_smoothing=label_smoothing)
