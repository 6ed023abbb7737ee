"""torch.cuda.graphs: CUDA graph capture does not exist in jtorch.

XLA compiles whole programs instead (`torch.compile`). The classes exist so annotations and
`isinstance` checks work; creating a graph raises as a CPU-only torch build does.
"""
from __future__ import annotations

_MSG = ("CUDA graphs are not supported by jtorch (XLA already runs compiled programs); "
        "use torch.compile on the step instead")


class CUDAGraph:
    """Matches `torch.cuda.CUDAGraph` as a type; creating one raises RuntimeError."""

    def __init__(self, *args, **kwargs):
        raise RuntimeError(_MSG)


class graph:
    """Matches `torch.cuda.graph` as a type; entering one raises RuntimeError."""

    def __init__(self, cuda_graph, pool=None, stream=None, capture_error_mode="global"):
        raise RuntimeError(_MSG)


def is_current_stream_capturing() -> bool:
    """Matches `torch.cuda.is_current_stream_capturing`: never capturing."""
    return False


def graph_pool_handle():
    """Matches `torch.cuda.graph_pool_handle`: raises (no CUDA graphs)."""
    raise RuntimeError(_MSG)


def make_graphed_callables(callables, sample_args, num_warmup_iters=3,
                           allow_unused_input=False, pool=None):
    """Matches `torch.cuda.make_graphed_callables`: raises (no CUDA graphs)."""
    raise RuntimeError(_MSG)
