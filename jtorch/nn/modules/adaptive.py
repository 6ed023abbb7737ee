"""AdaptiveLogSoftmaxWithLoss: a frequency-clustered softmax (Grave et al., 2016). Matches
`torch.nn.AdaptiveLogSoftmaxWithLoss`."""
from __future__ import annotations

from collections import namedtuple

from ... import _dtype as D
from ..._creation import zeros
from .. import functional as F
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Matches `torch.nn.AdaptiveLogSoftmaxWithLoss`.

    Every cluster's tail runs on the whole batch and rows are picked with `where` (torch runs each
    tail on its rows only): the same values and gradients, with shapes that do not depend on the
    targets, so it compiles once.
    """

    def __init__(self, in_features: int, n_classes: int, cutoffs, div_value: float = 4.0,
                 head_bias: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > (n_classes - 1)
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in "
                             "an increasing order, where each value is between 1 and n_classes-1")
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        kw = {"device": device, "dtype": dtype}
        self.head = Linear(in_features, self.head_size, bias=head_bias, **kw)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(in_features // (div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hsz, bias=False, **kw),
                                        Linear(hsz, osz, bias=False, **kw)))

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def forward(self, input, target):
        batched = input.dim() == 2
        if input.dim() not in (1, 2) or target.dim() != input.dim() - 1:
            raise RuntimeError("AdaptiveLogSoftmaxWithLoss: expected (N, in_features) input with "
                               "(N,) target, or (in_features,) input with a 0-dim target")
        if not batched:
            input, target = input.unsqueeze(0), target.unsqueeze(0)
        if input.shape[0] != target.shape[0]:
            raise RuntimeError("Input and target should have the same size in the batch dimension.")
        if target.numel() and not bool(((target >= 0) & (target < self.n_classes)).all()):
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but values "
                               f"in range [{target.min().item()}, {target.max().item()}] were found. ")
        output = zeros(target.shape[0], dtype=input.dtype)
        gather = target.clamp(max=self.shortlist_size - 1)
        bounds = [0] + self.cutoffs
        for i in range(self.n_clusters):
            low, high = bounds[i + 1], bounds[i + 2]
            mask = (target >= low) & (target < high)
            rel = (target - low).clamp(0, high - low - 1)
            logprob = F.log_softmax(self.tail[i](input), dim=1)
            output = output.where(~mask, logprob.gather(1, rel.unsqueeze(1)).squeeze(1))
            gather = gather.where(~mask, self.shortlist_size + i)
        head_logprob = F.log_softmax(self.head(input), dim=1)
        output = output + head_logprob.gather(1, gather.unsqueeze(1)).squeeze(1)
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def _get_full_log_prob(self, input, head_output):
        head_logprob = F.log_softmax(head_output, dim=1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster = F.log_softmax(self.tail[i](input), dim=1)
            parts.append(cluster + head_logprob[:, self.shortlist_size + i].unsqueeze(1))
        from ... import cat
        return cat(parts, 1)

    def log_prob(self, input):
        """Matches `AdaptiveLogSoftmaxWithLoss.log_prob`: log-probabilities of every class."""
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        out = self._get_full_log_prob(x, self.head(x))
        return out if batched else out.squeeze(0)

    def predict(self, input):
        """Matches `AdaptiveLogSoftmaxWithLoss.predict`: the most likely class."""
        return self.log_prob(input).argmax(-1).to(D.int64)
