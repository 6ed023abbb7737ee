"""torch.ao.quantization: float-mode pieces work; quantizing a model raises.

`QuantStub`/`DeQuantStub`/`QuantWrapper` are identities before conversion (as in torch), qconfigs
are plain records and `fuse_modules` fuses conv/bn/relu for eval. jtorch has no quantized
kernels, so `prepare`, `prepare_qat` and `convert` raise NotImplementedError.
"""
from __future__ import annotations

import copy
from collections import namedtuple

from ... import nn


class _Stub(nn.Module):
    """The identity before conversion, keeping an optional qconfig."""

    def __init__(self, qconfig=None):
        super().__init__()
        if qconfig:
            self.qconfig = qconfig

    def forward(self, x):
        return x


class QuantStub(_Stub):
    """Matches `torch.ao.quantization.QuantStub`: the identity before conversion."""


class DeQuantStub(_Stub):
    """Matches `torch.ao.quantization.DeQuantStub`: the identity before conversion."""


class QuantWrapper(nn.Module):
    """Matches `torch.ao.quantization.QuantWrapper`: quant -> module -> dequant."""

    def __init__(self, module):
        super().__init__()
        qconfig = getattr(module, "qconfig", None)
        self.add_module("quant", QuantStub(qconfig))
        self.add_module("dequant", DeQuantStub(qconfig))
        self.add_module("module", module)
        self.train(module.training)

    def forward(self, X):
        return self.dequant(self.module(self.quant(X)))


class QConfig(namedtuple("QConfig", ["activation", "weight"])):
    """Matches `torch.ao.quantization.QConfig` (a record of observer factories)."""
    __slots__ = ()


class _Observer:
    """An observer factory as qconfigs hold them (`with_args` returns a new factory)."""

    def __init__(self, name, **kwargs):
        self.name, self.kwargs = name, kwargs

    def with_args(self, **kwargs):
        return _Observer(self.name, **{**self.kwargs, **kwargs})

    def __call__(self, *args, **kwargs):
        raise NotImplementedError(f"torch.ao.quantization.{self.name}: jtorch has no quantization "
                                  "observers (no quantized kernels)")

    def __repr__(self):
        return f"functools.partial({self.name}, {self.kwargs})"


default_observer = _Observer("MinMaxObserver", quant_min=0, quant_max=127)
default_weight_observer = _Observer("MinMaxObserver", dtype="qint8")
default_per_channel_weight_observer = _Observer("PerChannelMinMaxObserver", dtype="qint8")
default_qconfig = QConfig(activation=default_observer, weight=default_weight_observer)


def get_default_qconfig(backend: str = "x86", version: int = 0) -> QConfig:
    """Matches `torch.ao.quantization.get_default_qconfig` (the observers cannot run here)."""
    return QConfig(activation=default_observer.with_args(reduce_range=backend in ("x86", "fbgemm")),
                   weight=default_per_channel_weight_observer)


def get_default_qat_qconfig(backend: str = "x86", version: int = 1) -> QConfig:
    """Matches `torch.ao.quantization.get_default_qat_qconfig` (see `get_default_qconfig`)."""
    return get_default_qconfig(backend)


def _refuse(name):
    def fn(*args, **kwargs):
        raise NotImplementedError(f"torch.ao.quantization.{name} is not supported by jtorch (no "
                                  "quantized kernels); quantize with real torch")
    fn.__name__ = name
    return fn


prepare = _refuse("prepare")
prepare_qat = _refuse("prepare_qat")
convert = _refuse("convert")
quantize = _refuse("quantize")
quantize_dynamic = _refuse("quantize_dynamic")


def _get(module, path):
    for p in path.split("."):
        module = getattr(module, p)
    return module


def _set(module, path, value):
    *parents, last = path.split(".")
    for p in parents:
        module = getattr(module, p)
    setattr(module, last, value)


def _fuse(mods):
    from ...nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval
    first, rest = mods[0], list(mods[1:])
    if rest and isinstance(rest[0], (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
        if first.training or rest[0].training:
            raise NotImplementedError("jtorch fuses modules in eval mode only (no QAT fused modules)")
        fuse = fuse_conv_bn_eval if isinstance(first, (nn.Conv1d, nn.Conv2d, nn.Conv3d)) else fuse_linear_bn_eval
        first = fuse(first, rest.pop(0))
    if rest and isinstance(rest[0], nn.ReLU):
        first = nn.Sequential(first, rest.pop(0))
    if rest:
        raise AssertionError(f"Cannot fuse modules: {tuple(type(m).__name__ for m in mods)}")
    return [first] + [nn.Identity() for _ in mods[1:]]


def fuse_modules(model, modules_to_fuse, inplace: bool = False, fuser_func=None,
                 fuse_custom_config_dict=None):
    """Matches `torch.ao.quantization.fuse_modules` for conv/linear + bn (+ relu) in eval mode."""
    if not inplace:
        model = copy.deepcopy(model)
    groups = modules_to_fuse if modules_to_fuse and isinstance(modules_to_fuse[0], (list, tuple)) \
        else [modules_to_fuse]
    for names in groups:
        fused = (fuser_func or _fuse)([_get(model, n) for n in names])
        for n, m in zip(names, fused):
            _set(model, n, m)
    return model


fuse_modules_qat = _refuse("fuse_modules_qat")
