"""Matches `torch.autograd.profiler_util`: the event classes of the profilers."""
from .profiler import EventList, FunctionEvent, FunctionEventAvg, Interval  # noqa: F401
