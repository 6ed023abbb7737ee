"""torch._C: the few pieces of torch's native module that Python libraries call directly.

jtorch has no native extension; these are Python versions of the functions libraries reach
for (usage logging, tracing state, `_nn._parse_to`, the accelerator query, TorchScript fuser
switches). Anything else raises AttributeError as a missing name.
"""
from __future__ import annotations

from . import _nn  # noqa: F401
from ._dispatch_keys import DispatchKey, DispatchKeySet, _ExcludeDispatchKeyGuard  # noqa: F401
from .._tensor import Tensor as _Tensor
from ..random import Generator  # noqa: F401

# torch.Tensor's metaclass; jtorch's Tensor is a plain class, so its metaclass is `type`.
_TensorMeta = type(_Tensor)


def _log_api_usage_once(event: str) -> None:
    """Matches `torch._C._log_api_usage_once`: jtorch records no usage."""
    if not isinstance(event, str):
        raise TypeError(f"_log_api_usage_once(): argument 'event' must be str, not "
                        f"{type(event).__name__}")


def _get_tracing_state():
    """Matches `torch._C._get_tracing_state`: None (jtorch has no TorchScript tracer)."""
    return None


def _get_accelerator(check: bool = False):
    """Matches `torch._C._get_accelerator`: the current accelerator, or `device('cpu')`."""
    from ..accelerator import current_accelerator
    from .._device import device
    return current_accelerator() or device("cpu")


def _get_privateuse1_backend_name() -> str:
    """Matches `torch._C._get_privateuse1_backend_name`."""
    return "privateuseone"


# TorchScript fuser switches: jtorch has no TorchScript executor, so each reads as off and a
# setter returns the previous value (False), as torch's do.
def _jit_flag(name):
    def fn(*args):
        return False
    fn.__name__ = name
    return fn


for _name in ("_jit_set_profiling_mode", "_jit_set_profiling_executor", "_jit_set_texpr_fuser_enabled",
              "_jit_set_nvfuser_enabled", "_jit_can_fuse_on_cpu", "_jit_can_fuse_on_gpu",
              "_jit_texpr_fuser_enabled", "_jit_nvfuser_enabled"):
    globals()[_name] = _jit_flag(_name)


def _jit_override_can_fuse_on_cpu(flag: bool) -> None:
    """Matches `torch._C._jit_override_can_fuse_on_cpu` (no fuser: nothing changes)."""


def _jit_override_can_fuse_on_gpu(flag: bool) -> None:
    """Matches `torch._C._jit_override_can_fuse_on_gpu` (no fuser: nothing changes)."""


del _name


_OVERRIDES = {  # torch._C name -> jtorch.overrides name
    "DisableTorchFunction": "DisableTorchFunction",
    "DisableTorchFunctionSubclass": "DisableTorchFunctionSubclass",
    "_disabled_torch_function_impl": "_disabled_torch_function_impl",
    "_has_torch_function": "has_torch_function", "_has_torch_function_unary": "has_torch_function_unary",
    "_has_torch_function_variadic": "has_torch_function_variadic",
    "_is_torch_function_mode_enabled": "_is_torch_function_mode_enabled",
    "_len_torch_function_stack": "_len_torch_function_stack",
    "_push_on_torch_function_stack": "_push_mode", "_pop_torch_function_stack": "_pop_mode",
    "_get_function_stack_at": "_get_function_stack_at",
    "_disabled_torch_dispatch_impl": "_disabled_torch_dispatch_impl"}


def __getattr__(name):
    # The torch-function switches live in jtorch.overrides (imported after this module).
    if name in _OVERRIDES:
        from .. import overrides
        return getattr(overrides, _OVERRIDES[name])
    if name == "PyTorchFileReader":
        from .._file_reader import PyTorchFileReader
        return PyTorchFileReader
    raise AttributeError(f"module 'torch._C' has no attribute '{name}'")
