"""Distributed names transformers imports on one device: real behaviour where it is defined."""
import pytest

import jtorch as torch
from jtorch.distributed.tensor._utils import compute_local_shape_and_global_offset
from jtorch.distributed.tensor.placement_types import Replicate, Shard, _StridedShard


class _Mesh:
    """A 2 x 3 mesh seen from the rank at `coord` (what the helper reads of a DeviceMesh)."""

    def __init__(self, coord):
        self.coord = coord

    def get_coordinate(self):
        return self.coord

    def size(self, d):
        return (2, 3)[d]


@pytest.mark.parametrize("coord,want", [
    ([0, 0], ((5, 3), (0, 0))),
    ([1, 0], ((5, 3), (5, 0))),
    ([1, 2], ((5, 1), (5, 6))),   # torch's chunks: ceil(7 / 3) = 3, 3, then 1
    (None, ((0,), ())),
])
def test_local_shape_and_offset_as_torch_chunks(coord, want):
    assert compute_local_shape_and_global_offset((10, 7), _Mesh(coord), [Shard(0), Shard(1)]) == want


def test_replicated_dims_keep_the_global_shape():
    assert compute_local_shape_and_global_offset((4, 4), _Mesh([1, 1]), [Replicate(), Shard(0)]) == \
        ((2, 4), (2, 0))


def test_strided_shard_is_a_shard_with_its_factor():
    s = _StridedShard(0, split_factor=2)
    assert s.is_shard(0) and s.split_factor == 2 and s == _StridedShard(0, split_factor=2)
    assert s != _StridedShard(0, split_factor=3)


def test_fsdp1_and_offload_names():
    from jtorch.distributed.fsdp import CPUOffloadPolicy, FullyShardedDataParallel
    from jtorch.distributed._composable.fsdp import fully_shard
    from jtorch.distributed import fsdp
    assert fully_shard is fsdp.fully_shard and CPUOffloadPolicy().pin_memory
    with pytest.raises(NotImplementedError, match="fully_shard"):
        FullyShardedDataParallel(torch.nn.Linear(2, 2))


def test_wait_tensor_and_getitem_mode():
    from jtorch.distributed._functional_collectives import wait_tensor
    from jtorch._dynamo._trace_wrapped_higher_order_op import TransformGetItemToIndex
    x = torch.arange(6.0).reshape(2, 3)
    assert wait_tensor(x) is x
    with TransformGetItemToIndex():
        assert x[torch.tensor(1), torch.tensor(2)].item() == 5.0
