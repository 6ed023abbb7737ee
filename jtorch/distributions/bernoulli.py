"""torch.distributions.Bernoulli."""
from __future__ import annotations

import jtorch
from .distribution import Distribution, as_tensors, logits_to_probs, probs_to_logits


def _bce_with_logits(logits, value):
    # -log p(value) for a Bernoulli with these logits, stable for large |logits|.
    return logits.clamp(min=0) - logits * value + (-logits.abs()).exp().log1p()


class Bernoulli(Distribution):
    """Matches `torch.distributions.Bernoulli`."""

    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            (self.probs,) = as_tensors(probs)
            self._param = self.probs
        else:
            (self.logits,) = as_tensors(logits)
            self._param = self.logits
        super().__init__(self._param.shape, validate_args=validate_args)

    def __getattr__(self, name):
        # probs and logits are computed from each other on first use.
        if name == "probs":
            self.probs = logits_to_probs(self.__dict__["logits"], is_binary=True)
            return self.probs
        if name == "logits":
            self.logits = probs_to_logits(self.__dict__["probs"], is_binary=True)
            return self.logits
        raise AttributeError(name)

    def _params(self):
        return {"probs" if "probs" in self.__dict__ and self._param is self.probs else "logits":
                self._param}

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        m = (self.probs >= 0.5).to(self.probs.dtype)
        return m.masked_fill(self.probs == 0.5, float("nan"))

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with jtorch.no_grad():
            return jtorch.bernoulli(self.probs.expand(shape))

    def log_prob(self, value):
        logits, value = jtorch.broadcast_tensors(self.logits, value.to(self.logits.dtype)
                                                 if isinstance(value, jtorch.Tensor) else
                                                 jtorch.tensor(value, dtype=self.logits.dtype))
        return -_bce_with_logits(logits, value)

    def entropy(self):
        return _bce_with_logits(self.logits, self.probs)

    def enumerate_support(self, expand=True):
        values = jtorch.arange(2, dtype=self._param.dtype)
        values = values.view((-1,) + (1,) * len(self.batch_shape))
        return values.expand((-1,) + tuple(self.batch_shape)) if expand else values
