"""torch.version: the PyTorch API version jtorch follows, and (lazily) the CUDA it runs on."""
from __future__ import annotations

import re


class TorchVersion(str):
    """Matches `torch.torch_version.TorchVersion`: a str that compares as a version."""

    def _key(self, other):
        def parts(v):
            if isinstance(v, (tuple, list)):
                return tuple(int(x) for x in v)
            return tuple(int(x) for x in re.findall(r"\d+", str(v).split("+")[0]))
        a, b = parts(self), parts(other)
        n = max(len(a), len(b))
        return a + (0,) * (n - len(a)), b + (0,) * (n - len(b))

    def __lt__(self, other):
        a, b = self._key(other)
        return a < b

    def __le__(self, other):
        a, b = self._key(other)
        return a <= b

    def __gt__(self, other):
        a, b = self._key(other)
        return a > b

    def __ge__(self, other):
        a, b = self._key(other)
        return a >= b

    def __eq__(self, other):
        if isinstance(other, str) and not other[:1].isdigit():
            return str.__eq__(self, other)
        a, b = self._key(other)
        return a == b

    __hash__ = str.__hash__


__version__ = TorchVersion("2.13.0+jtorch")
hip = None
debug = False
git_version = "jtorch"


def __getattr__(name):
    # `torch.version.cuda` is None without a GPU; asking JAX for devices is deferred to first use.
    if name == "cuda":
        from ._device import _gpus
        return "12" if _gpus() else None
    raise AttributeError(f"module 'jtorch.version' has no attribute {name!r}")
