"""LazyBatchNorm1d/2d/3d and LazyInstanceNorm1d/2d/3d: `num_features` is read from the first
input's dim 1. Matches `torch.nn.LazyBatchNorm1d`, ..."""
from __future__ import annotations

from ... import _dtype as D
from ..._creation import tensor
from ..parameter import UninitializedBuffer, UninitializedParameter
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d, _BatchNorm
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, _InstanceNorm
from .lazy import LazyModuleMixin

__all__ = ["LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d",
           "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


class _LazyNormBase(LazyModuleMixin):
    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None) -> None:
        # Built with no parameters or statistics; they become uninitialized placeholders below.
        super().__init__(0, eps, momentum, False, False, device, dtype)
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = tensor(0, dtype=D.int64, device=device)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            if self.affine:
                self.weight.materialize((self.num_features,))
                self.bias.materialize((self.num_features,))
            if self.track_running_stats:
                self.running_mean.materialize((self.num_features,))
                self.running_var.materialize((self.num_features,))
            self.reset_parameters()


class LazyBatchNorm1d(_LazyNormBase, _BatchNorm):
    """Matches `torch.nn.LazyBatchNorm1d`."""
    cls_to_become = BatchNorm1d
    _check_input_dim = BatchNorm1d._check_input_dim


class LazyBatchNorm2d(_LazyNormBase, _BatchNorm):
    """Matches `torch.nn.LazyBatchNorm2d`."""
    cls_to_become = BatchNorm2d
    _check_input_dim = BatchNorm2d._check_input_dim


class LazyBatchNorm3d(_LazyNormBase, _BatchNorm):
    """Matches `torch.nn.LazyBatchNorm3d`."""
    cls_to_become = BatchNorm3d
    _check_input_dim = BatchNorm3d._check_input_dim


class LazyInstanceNorm1d(_LazyNormBase, _InstanceNorm):
    """Matches `torch.nn.LazyInstanceNorm1d`."""
    cls_to_become = InstanceNorm1d
    _nd = 1


class LazyInstanceNorm2d(_LazyNormBase, _InstanceNorm):
    """Matches `torch.nn.LazyInstanceNorm2d`."""
    cls_to_become = InstanceNorm2d
    _nd = 2


class LazyInstanceNorm3d(_LazyNormBase, _InstanceNorm):
    """Matches `torch.nn.LazyInstanceNorm3d`."""
    cls_to_become = InstanceNorm3d
    _nd = 3
