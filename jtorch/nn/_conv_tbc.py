"""`torch.conv_tbc` / `torch.nn.functional.conv_tbc`."""
from __future__ import annotations

from ._functional_conv import conv1d


def conv_tbc(input, weight, bias, pad=0):
    """Matches `torch.conv_tbc`: a 1-d convolution over (time, batch, channel) input with a
    (kernel, in, out) weight."""
    y = conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad)
    return y.permute(2, 0, 1)
