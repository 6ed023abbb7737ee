"""`jtorch.special`: matches `torch.special`. Shared bodies are the torch-level ops; the rest
live in `ops/special_ops.py`."""
from __future__ import annotations

from ._functions import public as _public
from .ops._registry import REGISTRY as _R

# torch.special name -> torch-level op with the same math
_SAME = {"digamma": "digamma", "psi": "digamma", "erf": "erf", "erfc": "erfc", "erfinv": "erfinv",
         "exp2": "exp2", "expit": "sigmoid", "expm1": "expm1", "gammaln": "lgamma", "i0": "i0",
         "log1p": "log1p", "logit": "logit", "round": "round", "sinc": "sinc", "xlogy": "xlogy",
         "multigammaln": "mvlgamma", "logsumexp": "logsumexp",
         "softmax": "softmax", "log_softmax": "log_softmax"}
for _n, _t in _SAME.items():
    globals()[_n] = _public(_R[_t])
for _n in [k[len("special_"):] for k in _R if k.startswith("special_")]:
    globals()[_n] = _public(_R["special_" + _n])
del _n, _t


def polygamma(n, input, *, out=None):
    """Matches `torch.special.polygamma`."""
    from ._datadep import polygamma as _pg
    return _pg(n, input, out=out)


def __getattr__(name):
    from ._unsupported import module_getattr
    return module_getattr("jtorch.special", name)
