"""Flattening parameters to one vector and back. Matches `torch.nn.utils.convert_parameters`."""
from __future__ import annotations

from ..._tensor import Tensor
from ..modules._hooks import typename


def parameters_to_vector(parameters) -> Tensor:
    """Matches `torch.nn.utils.parameters_to_vector`."""
    from ... import cat
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Matches `torch.nn.utils.vector_to_parameters`: each parameter's data becomes a slice of `vec`."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {typename(vec)}")
    pointer = 0
    for p in parameters:
        n = p.numel()
        p.data = vec[pointer:pointer + n].view_as(p).data
        pointer += n
