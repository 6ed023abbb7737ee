"""The `torch.<name>` spellings of nn functions (torch's native signatures; re-exported by jtorch)."""
from __future__ import annotations

from . import functional as F

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
           "max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "avg_pool1d",
           "adaptive_avg_pool1d", "adaptive_max_pool1d", "layer_norm", "batch_norm",
           "instance_norm", "group_norm", "rms_norm", "dropout", "alpha_dropout",
           "feature_dropout", "feature_alpha_dropout", "embedding", "bilinear", "constant_pad_nd",
           "rrelu", "native_channel_shuffle", "kl_div", "binary_cross_entropy_with_logits",
           "hinge_embedding_loss", "margin_ranking_loss", "cosine_embedding_loss",
           "triplet_margin_loss", "poisson_nll_loss", "ctc_loss"]

conv1d, conv2d, conv3d = F.conv1d, F.conv2d, F.conv3d
conv_transpose1d, conv_transpose2d, conv_transpose3d = (F.conv_transpose1d, F.conv_transpose2d,
                                                        F.conv_transpose3d)
avg_pool1d, adaptive_avg_pool1d, bilinear = F.avg_pool1d, F.adaptive_avg_pool1d, F.bilinear
native_channel_shuffle = F.channel_shuffle
_RED = {0: "none", 1: "mean", 2: "sum"}


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """Matches `torch.max_pool1d`."""
    return F.max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """Matches `torch.max_pool2d`."""
    return F.max_pool2d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """Matches `torch.max_pool3d`."""
    return F.max_pool3d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """Matches `torch.max_pool1d_with_indices`."""
    return F.max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d(input, output_size):
    """Matches `torch.adaptive_max_pool1d` (returns values and indices)."""
    return F.adaptive_max_pool1d(input, output_size, True)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    """Matches `torch.layer_norm`."""
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled=True):
    """Matches `torch.batch_norm`."""
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps,
                  cudnn_enabled=True):
    """Matches `torch.instance_norm`."""
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                           momentum, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    """Matches `torch.group_norm`."""
    return F.group_norm(input, num_groups, weight, bias, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Matches `torch.rms_norm`."""
    return F.rms_norm(input, normalized_shape, weight, eps)


def dropout(input, p, train):
    """Matches `torch.dropout`."""
    return F.dropout(input, p, train)


def alpha_dropout(input, p, train):
    """Matches `torch.alpha_dropout`."""
    return F.alpha_dropout(input, p, train)


def feature_dropout(input, p, train):
    """Matches `torch.feature_dropout` (whole channels, dims 0 and 1 kept)."""
    return F._dropout(input, p, train, False, tuple(input.shape[:2]) + (1,) * (input.dim() - 2))


def feature_alpha_dropout(input, p, train):
    """Matches `torch.feature_alpha_dropout`."""
    return F.feature_alpha_dropout(input, p, train)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """Matches `torch.embedding` (weight first; padding_idx=-1 means none)."""
    return F.embedding(indices, weight, None if padding_idx < 0 else padding_idx, None, 2.0,
                       scale_grad_by_freq, sparse)


def constant_pad_nd(input, pad, value=0):
    """Matches `torch.constant_pad_nd`."""
    return F.pad(input, pad, "constant", value)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    """Matches `torch.rrelu` (jtorch's default generator)."""
    return F.rrelu(input, lower, upper, training)


def kl_div(input, target, reduction=1, log_target=False):
    """Matches `torch.kl_div` (integer reduction)."""
    return F.kl_div(input, target, reduction=_RED[reduction], log_target=log_target)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=1):
    """Matches `torch.binary_cross_entropy_with_logits` (integer reduction)."""
    return F.binary_cross_entropy_with_logits(input, target, weight, reduction=_RED[reduction],
                                              pos_weight=pos_weight)


def hinge_embedding_loss(input, target, margin=1.0, reduction=1):
    """Matches `torch.hinge_embedding_loss` (integer reduction)."""
    return F.hinge_embedding_loss(input, target, margin, reduction=_RED[reduction])


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=1):
    """Matches `torch.margin_ranking_loss` (integer reduction)."""
    return F.margin_ranking_loss(input1, input2, target, margin, reduction=_RED[reduction])


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=1):
    """Matches `torch.cosine_embedding_loss` (integer reduction)."""
    return F.cosine_embedding_loss(input1, input2, target, margin, reduction=_RED[reduction])


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        reduction=1):
    """Matches `torch.triplet_margin_loss` (integer reduction)."""
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                 reduction=_RED[reduction])


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    """Matches `torch.poisson_nll_loss` (integer reduction)."""
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=_RED[reduction])


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=1,
             zero_infinity=False):
    """Matches `torch.ctc_loss` (integer reduction)."""
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, _RED[reduction],
                      zero_infinity)
