"""torch.multiprocessing: Python's multiprocessing plus torch's `spawn` and sharing-strategy calls.

jtorch tensors are pickled by value between processes (no shared-memory storages), so the
sharing strategy is recorded only.
"""
from __future__ import annotations

import multiprocessing as _mp
import multiprocessing.connection as _conn
import signal as _signal
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


class ProcessException(Exception):
    """Matches `torch.multiprocessing.ProcessException`."""

    def __init__(self, msg: str, error_index: int, pid: int):
        super().__init__(msg)
        self.msg, self.error_index, self.pid = msg, error_index, pid


class ProcessRaisedException(ProcessException):
    """Matches `torch.multiprocessing.ProcessRaisedException`."""


class ProcessExitedException(ProcessException):
    """Matches `torch.multiprocessing.ProcessExitedException`."""

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name


class ProcessContext:
    """Matches `torch.multiprocessing.ProcessContext`: on the first failure the others end."""

    def __init__(self, processes, error_queues):
        self.processes, self.error_queues = processes, error_queues
        self.sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self):
        return [p.pid for p in self.processes]

    def join(self, timeout=None) -> bool:
        """True once all ended; raises the first failed process's error (after ending the rest)."""
        if not self.sentinels:
            return True
        ready = _conn.wait(list(self.sentinels), timeout=timeout)
        failed = None
        for s in ready:
            i = self.sentinels.pop(s)
            self.processes[i].join()
            if self.processes[i].exitcode != 0 and failed is None:
                failed = i
        if failed is None:
            return not self.sentinels
        for p in self.processes:
            if p.is_alive():
                p.terminate()
        for p in self.processes:
            p.join(5)
            if p.is_alive():
                p.kill()
                p.join()
        p = self.processes[failed]
        if self.error_queues[failed].empty():
            code = p.exitcode
            if code < 0:
                name = _signal.Signals(-code).name
                raise ProcessExitedException(f"process {failed} terminated with signal {name}",
                                             failed, p.pid, code, name)
            raise ProcessExitedException(f"process {failed} terminated with exit code {code}",
                                         failed, p.pid, code)
        tb = self.error_queues[failed].get()
        raise ProcessRaisedException(f"\n\n-- Process {failed} terminated with the following "
                                     f"error:\n{tb}", failed, p.pid)


def _wrap(fn, i, args, error_queue):
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except Exception:  # noqa: BLE001 - handed to the parent, as torch does
        import os
        import sys
        import traceback
        error_queue.put(traceback.format_exc())
        sys.stderr.flush()
        # Leave at once: a normal exit would wait in JAX's distributed shutdown barrier for the
        # ranks still running, which the parent is about to end.
        os._exit(1)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Matches `torch.multiprocessing.start_processes`: runs `fn(i, *args)` in `nprocs` processes."""
    ctx = _mp.get_context(start_method)
    queues, procs = [], []
    for i in range(nprocs):
        q = ctx.SimpleQueue()
        p = ctx.Process(target=_wrap, args=(fn, i, args, q), daemon=daemon)
        p.start()
        queues.append(q)
        procs.append(p)
    pc = ProcessContext(procs, queues)
    if not join:
        return pc
    while not pc.join():
        pass
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Matches `torch.multiprocessing.spawn`."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
