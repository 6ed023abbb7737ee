"""torch.distributed.tensor placements: how a DTensor lies on each mesh dimension."""
from __future__ import annotations


class Placement:
    """Matches `torch.distributed.tensor.Placement`."""

    def is_shard(self, dim: int | None = None) -> bool:
        return isinstance(self, Shard) and (dim is None or self.dim == dim)

    def is_replicate(self) -> bool:
        return isinstance(self, Replicate)

    def is_partial(self, reduce_op=None) -> bool:
        return isinstance(self, Partial) and (reduce_op is None or self.reduce_op == reduce_op)


class Shard(Placement):
    """Matches `torch.distributed.tensor.Shard(dim)`."""

    def __init__(self, dim: int):
        self.dim = dim

    def __eq__(self, other):
        return isinstance(other, Shard) and other.dim == self.dim

    def __hash__(self):
        return hash(("Shard", self.dim))

    def __repr__(self):
        return f"Shard(dim={self.dim})"

    def __str__(self):
        return f"S({self.dim})"


class Replicate(Placement):
    """Matches `torch.distributed.tensor.Replicate()`."""

    def __eq__(self, other):
        return isinstance(other, Replicate)

    def __hash__(self):
        return hash("Replicate")

    def __repr__(self):
        return "Replicate()"

    def __str__(self):
        return "R"


class Partial(Placement):
    """Matches `torch.distributed.tensor.Partial(reduce_op)`: each rank holds a term of a sum."""

    def __init__(self, reduce_op: str = "sum"):
        self.reduce_op = reduce_op

    def __eq__(self, other):
        return isinstance(other, Partial) and other.reduce_op == self.reduce_op

    def __hash__(self):
        return hash(("Partial", self.reduce_op))

    def __repr__(self):
        return f"Partial({self.reduce_op})"

    def __str__(self):
        return f"P({self.reduce_op})"


class _StridedShard(Shard):
    """Matches torch's `_StridedShard(dim, split_factor=)` (FSDP2 + tensor parallel layouts)."""

    def __init__(self, dim: int, split_factor: int = 1):
        super().__init__(dim)
        self.split_factor = split_factor

    def __eq__(self, other):
        return isinstance(other, _StridedShard) and (other.dim, other.split_factor) == (
            self.dim, self.split_factor)

    def __hash__(self):
        return hash(("_StridedShard", self.dim, self.split_factor))

    def __repr__(self):
        return f"_StridedShard(dim={self.dim}, sf={self.split_factor})"

    def __str__(self):
        return f"_S({self.dim}, {self.split_factor})"
