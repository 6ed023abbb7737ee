"""`jtorch.masked`: matches `torch.masked` for strided (dense) tensors with a `mask=` tensor.

`MaskedTensor` and sparse layouts are not supported.
"""
from ._ops import (amax as amax, amin as amin, argmax as argmax, argmin as argmin,
                   cumprod as cumprod, cumsum as cumsum, log_softmax as log_softmax,
                   logaddexp as logaddexp, logsumexp as logsumexp, mean as mean, median as median,
                   norm as norm, normalize as normalize, prod as prod, softmax as softmax,
                   softmin as softmin, std as std, sum as sum, var as var)

__all__ = ["amax", "amin", "argmax", "argmin", "cumprod", "cumsum", "log_softmax", "logaddexp",
           "logsumexp", "mean", "median", "norm", "normalize", "prod", "softmax", "softmin", "std",
           "sum", "var"]
