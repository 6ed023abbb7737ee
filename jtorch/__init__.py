"""jtorch: PyTorch's API on JAX. `import jtorch as torch`."""
from __future__ import annotations

import jax as _jax

# int64/float64 tensors must stay 64-bit: jtorch turns on JAX's x64 mode at import (see
# ARCHITECTURE.md). jtorch passes explicit dtypes everywhere, so its defaults stay float32/int64.
_jax.config.update("jax_enable_x64", True)

from . import _xla_cache  # noqa: E402

_xla_cache.enable()

from . import _dtype  # noqa: E402
from ._dtype import (bfloat16, bool, complex64, complex128, dtype, float16, float32,  # noqa: E402,F401
                     float64, get_default_dtype, int8, int16, int32, int64, promote_types,
                     set_default_dtype, uint8)
from ._dtype import (float8_e4m3fn, float8_e4m3fnuz, float8_e5m2, float8_e5m2fnuz,  # noqa: E402,F401
                     float8_e8m0fnu, uint16, uint32, uint64)
from ._dtype import ALIASES as _ALIASES  # noqa: E402

globals().update(_ALIASES)
del _ALIASES

from .ops import elementwise as _e, linalg as _l, reduction as _r, shape as _s  # noqa: E402,F401
from .ops import attention as _attention, rnn as _rnn_ops  # noqa: E402,F401
from .ops import math as _math, misc as _misc, sorting as _sorting  # noqa: E402,F401
from .ops import linalg_ext as _linalg_ext  # noqa: E402,F401
from .ops import spectral as _spectral, special_ops as _special_ops  # noqa: E402,F401
from .ops import nn as _nn_ops, nn_conv as _nn_conv, nn_loss as _nn_loss  # noqa: E402,F401
from ._tensor import Size, Tensor  # noqa: E402,F401
from . import _shape, _indexing, _functions, _sampling, _bind  # noqa: E402

_bind.bind()
from . import _value_checks  # noqa: E402
_value_checks.install()
from . import _op_cache_bound  # noqa: E402
_op_cache_bound.install()
from . import _datadep  # noqa: E402
_datadep.bind()
globals().update({_k: _v for _k, _v in _datadep.FUNCTIONS.items() if _k not in globals()})
from . import linalg  # noqa: E402
linalg._bind_torch_level(globals())
from . import fft, special  # noqa: E402,F401
from ._typeinfo import (BFloat16Tensor, BoolTensor, ByteTensor, CharTensor, DoubleTensor,  # noqa: E402,F401
                        FloatTensor, HalfTensor, IntTensor, LongTensor, ShortTensor, finfo, iinfo)
from . import _variants, _unsupported  # noqa: E402
_variants.bind(globals(), _unsupported._torch_names()[0])

from ._device import device  # noqa: E402,F401
from ._creation import (arange, as_tensor, asarray, empty, empty_like, eye, from_numpy, full,  # noqa: E402,F401
                        full_like, linspace, logspace, ones, ones_like, tensor, zeros, zeros_like)
from ._creation import range_ as range  # noqa: E402,F401
from ._sampling import (bernoulli, multinomial, normal, poisson, rand, rand_like, randint,  # noqa: E402,F401
                        randint_like, randn, randn_like, randperm)
from .random import (Generator, default_generator, get_rng_state, initial_seed,  # noqa: E402,F401
                     manual_seed, seed, set_rng_state)
from . import random  # noqa: E402,F401
from . import autograd  # noqa: E402,F401
from .autograd.grad_mode import (enable_grad, grad_mode, inference_mode, is_grad_enabled,  # noqa: E402,F401
                                 is_inference_mode_enabled, no_grad, set_grad_enabled)
from ._functions import einsum, max, min  # noqa: E402,F401
from ._shape import (broadcast_to, chunk, diagonal, flatten, movedim, moveaxis, narrow,  # noqa: E402,F401
                     permute, reshape, select, split, squeeze, swapaxes, swapdims, t, transpose,
                     unbind, unflatten, unsqueeze)
from ._shape import as_strided  # noqa: E402,F401
from ._tensor_str import set_printoptions  # noqa: E402,F401
from ._functions import public as _public  # noqa: E402
from .ops._registry import REGISTRY as _REGISTRY  # noqa: E402

for _name, _op in _REGISTRY.items():
    if _op.public and _name not in globals():
        globals()[_name] = _public(_op)
del _name, _op

from ._layout import (channels_last, channels_last_3d, contiguous_format, jagged, layout,  # noqa: E402,F401
                      legacy_contiguous_format, memory_format, preserve_format, sparse_bsc,
                      sparse_bsr, sparse_coo, sparse_csc, sparse_csr, strided)
# Build flags, answered for jtorch: XLA's CPU backend runs LAPACK (jnp.linalg) and FFTs, not MKL
# or OpenMP.
has_lapack, has_spectral, has_mkl, has_openmp = True, True, False, False
pi = 3.141592653589793
e = 2.718281828459045
import builtins as _builtins  # noqa: E402

inf = _builtins.float("inf")
nan = _builtins.float("nan")
newaxis = None


def is_tensor(obj) -> bool:
    """Matches `torch.is_tensor`."""
    return isinstance(obj, Tensor)


def is_floating_point(input) -> bool:
    """Matches `torch.is_floating_point`."""
    return input.dtype.is_floating_point


def is_complex(input) -> bool:
    """Matches `torch.is_complex`."""
    return input.dtype.is_complex


def numel(input) -> int:
    """Matches `torch.numel`."""
    return input.numel()


def result_type(tensor1, tensor2):
    """Matches `torch.result_type`."""
    def kd(x):
        if isinstance(x, Tensor):
            return x.dtype, 2 if x.ndim else 1
        return _dtype.scalar_dtype(x), 0
    return _dtype.result_type_of([kd(tensor1), kd(tensor2)])


def can_cast(from_, to) -> bool:
    """Matches `torch.can_cast`."""
    from ._tensor import _can_cast
    return _can_cast(_dtype.as_dtype(from_), _dtype.as_dtype(to))


def clone(input, *, memory_format=None):
    """Matches `torch.clone`."""
    return input.clone()


def detach(input):
    """Matches `torch.detach`."""
    return input.detach()


def __getattr__(name):
    """A torch name jtorch does not ship raises an error naming it (see `_unsupported`)."""
    if name == "_dynamo":  # imported on first use, as torch does
        import importlib
        return importlib.import_module("jtorch._dynamo")
    from ._unsupported import module_getattr
    return module_getattr("jtorch", name)


if "__getattr__" not in Tensor.__dict__:
    from ._unsupported import tensor_getattr as _tensor_getattr  # noqa: E402
    Tensor.__getattr__ = _tensor_getattr


from . import optim  # noqa: E402,F401
from . import sparse  # noqa: E402,F401

from ._compile import compile  # noqa: E402,F401
from . import compiler  # noqa: E402,F401

# Namespaces real programs touch (devices, backends, amp, jit, distributed) and global knobs.
from . import accelerator, amp, backends, cuda, distributed, jit  # noqa: E402,F401
from .amp.autocast_mode import (autocast, get_autocast_dtype, is_autocast_enabled,  # noqa: E402,F401
                                set_autocast_dtype)
from .amp._state_fns import (autocast_decrement_nesting, autocast_increment_nesting,  # noqa: E402,F401
                             clear_autocast_cache, is_autocast_cache_enabled,
                             set_autocast_cache_enabled, set_autocast_enabled)
from .amp._state_fns import DEPRECATED as _AUTOCAST_DEPRECATED  # noqa: E402
globals().update(_AUTOCAST_DEPRECATED)
from ._config_fns import (are_deterministic_algorithms_enabled, get_default_device,  # noqa: E402,F401
                          get_float32_matmul_precision, get_num_interop_threads, get_num_threads,
                          is_deterministic_algorithms_warn_only_enabled, set_default_device,
                          set_float32_matmul_precision, set_num_interop_threads, set_num_threads,
                          set_warn_always, use_deterministic_algorithms)
from ._config_fns import (get_deterministic_debug_mode, init_num_threads,  # noqa: E402,F401
                          is_warn_always_enabled, set_deterministic_debug_mode, set_flush_denormal)
from ._symbolic import (SymBool, SymFloat, SymInt, sym_constrain_range,  # noqa: E402,F401
                        sym_constrain_range_for_size, sym_float, sym_int, sym_ite, sym_max, sym_min,
                        sym_not, sym_sqrt, sym_sum)
from . import serialization  # noqa: E402,F401
from .serialization import load, save  # noqa: E402,F401
from . import utils  # noqa: E402,F401
from . import nn  # noqa: E402,F401
from .nn._torch_level import *  # noqa: E402,F401,F403
from . import func  # noqa: E402,F401
from . import interop  # noqa: E402,F401
from .interop import from_dlpack, from_jax  # noqa: E402,F401
from . import distributions  # noqa: E402,F401
from . import onnx  # noqa: E402,F401
from . import export  # noqa: E402,F401
from . import cpu, mps, multiprocessing, version, xpu  # noqa: E402,F401
from .version import __version__  # noqa: E402,F401
from .func import vmap  # noqa: E402,F401
from .autograd import functional as _autograd_functional  # noqa: E402,F401
from . import testing  # noqa: E402,F401
from . import signal  # noqa: E402,F401
from . import masked  # noqa: E402,F401
from . import overrides, profiler  # noqa: E402,F401
from . import _C, hub, torch_version, types  # noqa: E402,F401  (reached as torch.X by libraries)
from ._file_reader import PyTorchFileReader  # noqa: E402,F401
from .jit import ScriptFunction, ScriptModule  # noqa: E402,F401
from ._asserts import (_assert, _check, _check_index, _check_is_size, _check_not_implemented,  # noqa: E402,F401
                       _check_tensor_all, _check_tensor_all_with, _check_type, _check_value,
                       _check_with)
from . import library, fx  # noqa: E402,F401
from ._strided import as_strided_scatter, empty_permuted, empty_strided  # noqa: E402,F401
from ._index_ops import index_put, nonzero_static  # noqa: E402,F401
from ._histogramdd import histogramdd  # noqa: E402,F401
from ._lowrank import pca_lowrank, svd_lowrank  # noqa: E402,F401
from ._stft import istft, stft  # noqa: E402,F401
from .autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled  # noqa: E402,F401
# Reference-list names shipped late (issue 4): control flow, runtime facts, bytes, removed
# linalg functions, native nn entry points, storages and streams.
from ._control_flow import cond, while_loop  # noqa: E402,F401
from ._aten_math import (adjoint, binomial, fill, frobenius_norm, norm_except_dim,  # noqa: E402,F401
                         nuclear_norm)
from ._runtime_info import (compiled_with_cxx11_abi, get_device, get_device_module,  # noqa: E402,F401
                            get_file_path, is_distributed, is_vulkan_available)
from ._from_bytes import from_file, frombuffer  # noqa: E402,F401
from ._typeinfo import set_default_tensor_type  # noqa: E402,F401
from ._errors import AcceleratorError, OutOfMemoryError  # noqa: E402,F401
from ._streams import Event, Stream  # noqa: E402,F401
from .interop import to_dlpack  # noqa: E402,F401
from .amp import GradScaler  # noqa: E402,F401
from .nn._torch_level_native import *  # noqa: E402,F401,F403
from ._removed import FUNCTIONS as _REMOVED  # noqa: E402
globals().update(_REMOVED)
from ._removed import METHODS as _REMOVED_METHODS  # noqa: E402
for _name, _fn in _REMOVED_METHODS.items():
    setattr(Tensor, _name, _fn)
del _name, _fn
from . import _tensor_extras  # noqa: E402
_tensor_extras.bind()
from ._storage import (StorageBase, TypedStorage, UntypedStorage, is_storage,  # noqa: E402,F401
                       LEGACY as _LEGACY_STORAGES)
globals().update(_LEGACY_STORAGES)
Storage = _LEGACY_STORAGES["FloatStorage"]  # torch's legacy default storage class
from ._tensor_extras import (DisableTorchFunction, DisableTorchFunctionSubclass,  # noqa: E402,F401
                             resize_as_)
from ._aten_math import hash_tensor, ormqr  # noqa: E402,F401
from .autograd._compat_names import set_anomaly_enabled  # noqa: E402,F401
from ._futures import Future, fork, wait  # noqa: E402,F401
