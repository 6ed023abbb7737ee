"""torch.distributions.Distribution: shapes, sample/rsample, the shared API."""
from __future__ import annotations

import numbers

import numpy as np

import jtorch
from .._tensor import Size, Tensor


def as_tensors(*values):
    """Parameters as Tensors of one dtype, broadcast together (Python numbers get the default dtype)."""
    ts = [v for v in values if isinstance(v, Tensor)]
    dtype = ts[0].dtype if ts else jtorch.get_default_dtype()
    for t in ts[1:]:
        dtype = jtorch.promote_types(dtype, t.dtype)
    out = [v.to(dtype) if isinstance(v, Tensor) else jtorch.tensor(v, dtype=dtype) for v in values]
    return jtorch.broadcast_tensors(*out) if len(out) > 1 else out


def finfo(dtype):
    return np.finfo(dtype.np)


def probs_to_logits(probs, is_binary=False):
    eps = float(finfo(probs.dtype).eps)
    p = probs.clamp(min=eps, max=1 - eps)
    return p.log() - (-p).log1p() if is_binary else p.log()


def logits_to_probs(logits, is_binary=False):
    return logits.sigmoid() if is_binary else jtorch.softmax(logits, -1)


class Distribution:
    """Matches `torch.distributions.Distribution`.

    Argument validation checks parameter shapes only; values outside the support are not
    rejected (PyTorch's `validate_args` raises for those).
    """

    has_rsample = False
    has_enumerate_support = False
    _validate_args = False

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        Distribution._validate_args = bool(value)

    def __init__(self, batch_shape=Size(), event_shape=Size(), validate_args=None):
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)

    @property
    def batch_shape(self) -> Size:
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        return self._event_shape

    @property
    def mean(self):
        raise NotImplementedError(f"{type(self).__name__} has no mean")

    @property
    def mode(self):
        raise NotImplementedError(f"{type(self).__name__} has no mode")

    @property
    def variance(self):
        raise NotImplementedError(f"{type(self).__name__} has no variance")

    @property
    def stddev(self):
        return self.variance.sqrt()

    def _extended_shape(self, sample_shape=Size()) -> Size:
        if isinstance(sample_shape, numbers.Integral):
            sample_shape = (sample_shape,)
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def sample(self, sample_shape=Size()):
        with jtorch.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=Size()):
        raise NotImplementedError(f"{type(self).__name__} does not support rsample "
                                  "(no reparameterized sampling); use sample()")

    def sample_n(self, n):
        return self.sample(Size((n,)))

    def log_prob(self, value):
        raise NotImplementedError

    def cdf(self, value):
        raise NotImplementedError

    def icdf(self, value):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    def perplexity(self):
        return self.entropy().exp()

    def enumerate_support(self, expand=True):
        raise NotImplementedError

    def __repr__(self):
        params = ", ".join(f"{k}: {v if v.numel() == 1 else v.size()}"
                           for k, v in self._params().items())
        return f"{type(self).__name__}({params})"

    def _params(self):
        return {}
