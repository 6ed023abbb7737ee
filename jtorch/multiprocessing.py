"""torch.multiprocessing: Python's multiprocessing plus torch's `spawn` and sharing-strategy calls.

jtorch tensors are pickled by value between processes (no shared-memory storages), so the
sharing strategy is recorded only.
"""
from __future__ import annotations

import multiprocessing as _mp
from multiprocessing import *  # noqa: F401,F403

_strategy = "file_descriptor"


def get_all_sharing_strategies():
    """Matches `torch.multiprocessing.get_all_sharing_strategies`."""
    return {"file_descriptor", "file_system"}


def get_sharing_strategy() -> str:
    """Matches `torch.multiprocessing.get_sharing_strategy`."""
    return _strategy


def set_sharing_strategy(new_strategy: str) -> None:
    """Matches `torch.multiprocessing.set_sharing_strategy` (recorded only)."""
    global _strategy
    if new_strategy not in get_all_sharing_strategies():
        raise ValueError(f"invalid sharing strategy {new_strategy!r}")
    _strategy = new_strategy


class ProcessRaisedException(Exception):
    """Matches `torch.multiprocessing.ProcessRaisedException`."""


class ProcessExitedException(Exception):
    """Matches `torch.multiprocessing.ProcessExitedException`."""


class ProcessContext:
    """Matches `torch.multiprocessing.ProcessContext` (join() raises if a child failed)."""

    def __init__(self, processes):
        self.processes = processes

    def pids(self):
        return [p.pid for p in self.processes]

    def join(self, timeout=None) -> bool:
        for p in self.processes:
            p.join(timeout)
        for i, p in enumerate(self.processes):
            if p.exitcode not in (0, None):
                raise ProcessExitedException(f"process {i} terminated with exit code {p.exitcode}")
        return all(p.exitcode is not None for p in self.processes)


def _wrap(fn, i, args):
    fn(i, *args)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Matches `torch.multiprocessing.start_processes`: runs `fn(i, *args)` in `nprocs` processes."""
    ctx = _mp.get_context(start_method)
    procs = [ctx.Process(target=_wrap, args=(fn, i, args), daemon=daemon) for i in range(nprocs)]
    for p in procs:
        p.start()
    pc = ProcessContext(procs)
    if not join:
        return pc
    pc.join()
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Matches `torch.multiprocessing.spawn`."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
