"""Matches `torch.utils.hooks`: hook handles and the module backward-hook helper."""
from __future__ import annotations

import warnings

from ..nn.modules._hooks import BackwardHook, RemovableHandle  # noqa: F401


def unserializable_hook(f):
    """Matches `torch.utils.hooks.unserializable_hook`: mark a hook as not to be pickled."""
    f.__torch_unserializable__ = True
    return f


def warn_if_has_hooks(tensor) -> None:
    """Matches `torch.utils.hooks.warn_if_has_hooks`: warn about backward hooks lost when
    `tensor` is serialized."""
    node = tensor.grad_fn
    hooks = node.hooks if node is not None else None
    for lst in (hooks or {}).values():
        for h in lst:
            if not getattr(h, "__torch_unserializable__", False):
                warnings.warn(f"backward hook {h!r} on tensor will not be serialized.  If this is "
                              "expected, you can decorate the function with "
                              "@torch.utils.hooks.unserializable_hook to suppress this warning")


__all__ = ["RemovableHandle", "BackwardHook", "unserializable_hook", "warn_if_has_hooks"]
