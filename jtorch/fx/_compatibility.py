"""Matches `torch.fx._compatibility`: the `compatibility` marker decorator (no effect)."""


def compatibility(is_backward_compatible: bool):
    def mark(fn):
        return fn
    return mark
