"""torch.autocast: a dtype policy the dispatcher reads once per op.

While an autocast region is active, `_dispatch.AUTOCAST` holds `{op name: dtype}` for the
current device type; `apply` casts the floating, non-float64 tensor arguments of those ops
before running them (lower-precision ops to the autocast dtype, the fp32 list to float32),
as PyTorch's autocast does. Casting happens on the Tensor level, outside the op's jit, so the
compiled op is keyed on the cast dtypes and no cache can hold a stale policy.
"""
from __future__ import annotations

import functools

from .. import _dispatch, _dtype as D

# Ops PyTorch runs in the autocast dtype, per device type (jtorch's op names: `_conv` is every
# convolution, `_sdpa`/`_mha` are attention; einsum lowers because torch's runs through bmm).
_LOWER_CPU = ("matmul", "mm", "bmm", "addmm", "addbmm", "baddbmm", "linear", "_conv",
              "_conv_transpose", "prelu", "_sdpa", "_mha", "einsum")
_LOWER = {"cpu": _LOWER_CPU,
          "cuda": _LOWER_CPU + ("mv", "addmv", "addr", "linalg_multi_dot", "chain_matmul")}
# Ops PyTorch runs in float32 under autocast, per device type.
_FP32_COMMON = ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy",
                "kl_div", "binary_cross_entropy", "binary_cross_entropy_with_logits",
                "poisson_nll_loss", "cosine_embedding_loss", "hinge_embedding_loss",
                "margin_ranking_loss", "soft_margin_loss", "triplet_margin_loss",
                "multi_margin_loss", "multilabel_margin_loss", "cdist", "prod")
_FP32 = {
    "cpu": _FP32_COMMON,
    "cuda": _FP32_COMMON + ("acos", "asin", "cosh", "erfinv", "exp", "expm1", "log", "log10",
                            "log2", "log1p", "reciprocal", "rsqrt", "sinh", "tan", "pow",
                            "softplus", "layer_norm", "group_norm", "norm", "cosine_similarity",
                            "dist", "renorm", "logsumexp", "sum", "cumprod", "cumsum",
                            "softmax", "log_softmax"),
}
_DEFAULT_DTYPE = {"cpu": "bfloat16", "cuda": "float16", "xla": "bfloat16", "tpu": "bfloat16",
                  "ipu": "float16"}
_dtypes = {k: getattr(D, v) for k, v in _DEFAULT_DTYPE.items()}
_enabled: dict = {}
_stack: list = []


def _policy(device_type, dtype):
    table = {n: D.float32 for n in _FP32.get(device_type, _FP32_COMMON)}
    table.update({n: dtype for n in _LOWER.get(device_type, _LOWER_CPU)})
    return table


def _refresh():
    """Point the dispatcher at the innermost enabled region's policy (None: no autocast)."""
    active = None
    for dev, dtype, on in reversed(_stack):
        if on:
            active = _policy(dev, dtype)
        break
    else:  # no region: `torch.set_autocast_enabled(device, True)` may have switched one on
        for dev, on in _enabled.items():
            if on:
                active = _policy(dev, _dtypes[dev])
                break
    _dispatch.AUTOCAST = active


def is_autocast_available(device_type: str) -> bool:
    """Matches `torch.amp.is_autocast_available`."""
    return device_type in _DEFAULT_DTYPE


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Matches `torch.is_autocast_enabled` (no argument: the 'cuda' region, as in PyTorch)."""
    return _enabled.get(device_type or "cuda", False)


def get_autocast_dtype(device_type: str):
    """Matches `torch.get_autocast_dtype`."""
    return _dtypes[device_type]


def set_autocast_dtype(device_type: str, dtype) -> None:
    """Matches `torch.set_autocast_dtype`."""
    _dtypes[device_type] = dtype
    if _stack and _stack[-1][0] == device_type:
        _stack[-1] = (device_type, dtype, _stack[-1][2])
    _refresh()


class autocast:
    """Matches `torch.autocast` / `torch.amp.autocast` (context manager and decorator).

    A region for a device type applies to every jtorch op, whatever device its tensors are on
    (jtorch keeps one policy); regions nest, the innermost one wins.
    """

    def __init__(self, device_type: str, dtype=None, enabled: bool = True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if not is_autocast_available(device_type):
            raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")
        self.device_type = device_type
        self.fast_dtype = dtype if dtype is not None else _dtypes[device_type]
        self._enabled = bool(enabled)
        if self.fast_dtype not in (D.bfloat16, D.float16, D.float32) and enabled:
            raise RuntimeError(f"In autocast, but the target dtype {self.fast_dtype} is not "
                               "supported; use torch.bfloat16 or torch.float16")

    def __enter__(self):
        self._prev = (_enabled.get(self.device_type, False), _dtypes[self.device_type])
        _enabled[self.device_type] = self._enabled
        _dtypes[self.device_type] = self.fast_dtype
        _stack.append((self.device_type, self.fast_dtype, self._enabled))
        _refresh()
        return self

    def __exit__(self, *exc):
        _stack.pop()
        _enabled[self.device_type], _dtypes[self.device_type] = self._prev
        _refresh()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with autocast(self.device_type, self.fast_dtype, self._enabled):
                return fn(*args, **kwargs)
        return wrapped


def state():
    """The active policy as a hashable value (for caches keyed on it, like `torch.compile`)."""
    return tuple(_stack), tuple((d, _dtypes[d]) for d, on in _enabled.items() if on)


def custom_fwd(fwd=None, *, device_type="cuda", cast_inputs=None):
    """Matches `torch.amp.custom_fwd`: with `cast_inputs`, runs `fwd` outside autocast on cast inputs."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def wrapped(*args, **kwargs):
        if cast_inputs is None or not _enabled.get(device_type, False):
            return fwd(*args, **kwargs)
        from .._tensor import Tensor

        def cast(v):
            if isinstance(v, Tensor) and v.dtype.is_floating_point and v.dtype is not D.float64:
                return v.to(cast_inputs)
            return v
        with autocast(device_type, enabled=False):
            return fwd(*[cast(a) for a in args], **{k: cast(v) for k, v in kwargs.items()})
    return wrapped


def custom_bwd(bwd=None, *, device_type="cuda"):
    """Matches `torch.amp.custom_bwd`."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd
