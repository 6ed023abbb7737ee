"""torch.distributions.Categorical."""
from __future__ import annotations

import jtorch
from .distribution import Distribution, finfo, logits_to_probs, probs_to_logits


class Categorical(Distribution):
    """Matches `torch.distributions.Categorical` (categories along the last dimension)."""

    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            self._param = self.probs
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
            self._param = self.logits
        self._num_events = self._param.shape[-1]
        super().__init__(self._param.shape[:-1], validate_args=validate_args)

    def __getattr__(self, name):
        # probs and logits are computed from each other on first use.
        if name == "probs":
            self.probs = logits_to_probs(self.__dict__["logits"])
            return self.probs
        if name == "logits":
            self.logits = probs_to_logits(self.__dict__["probs"])
            return self.logits
        raise AttributeError(name)

    def _params(self):
        return {"probs" if "probs" in self.__dict__ and self._param is self.probs else "logits":
                self._param}

    @property
    def param_shape(self):
        return self._param.size()

    @property
    def mean(self):
        return jtorch.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    @property
    def mode(self):
        return self.probs.argmax(dim=-1)

    @property
    def variance(self):
        return jtorch.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        n = shape.numel() // max(self.batch_shape.numel(), 1) if len(shape) else 1
        with jtorch.no_grad():
            probs_2d = self.probs.reshape(-1, self._num_events)
            samples = jtorch.multinomial(probs_2d, n, True).T
        return samples.reshape(shape)

    def log_prob(self, value):
        value = value.long().unsqueeze(-1)
        value, log_pmf = jtorch.broadcast_tensors(value, self.logits)
        value = value[..., :1]
        return jtorch.gather(log_pmf, -1, value).squeeze(-1)

    def entropy(self):
        min_real = float(finfo(self.logits.dtype).min)
        logits = self.logits.clamp(min=min_real)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        values = jtorch.arange(self._num_events, dtype=jtorch.int64)
        values = values.view((-1,) + (1,) * len(self.batch_shape))
        return values.expand((-1,) + tuple(self.batch_shape)) if expand else values
