"""The loop a DataLoader worker process runs, and `get_worker_info`.

A worker receives `(task id, indices)` on its own index queue and puts `(task id, data)` on
the shared result queue. With the default collate it batches in numpy (`collate.Pending`),
so the data crossing the pipe is plain numpy and the worker needs no accelerator.
"""
from __future__ import annotations

import functools
import os
import queue
import random
import sys
import traceback

from . import collate as _collate
from .fetch import create_fetcher

_POLL_S = 5.0  # how often an idle worker checks that its parent is still alive


class WorkerInfo:
    """Matches `torch.utils.data.get_worker_info()`'s object: id, num_workers, seed, dataset."""

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            object.__setattr__(self, k, v)
        object.__setattr__(self, "_keys", tuple(kwargs))

    def __setattr__(self, key, val):
        raise RuntimeError(f"Cannot assign attributes to {self.__class__.__name__} objects")

    def __repr__(self):
        return f"{self.__class__.__name__}({', '.join(f'{k}={getattr(self, k)}' for k in self._keys)})"


_worker_info = None


def get_worker_info():
    """Matches `torch.utils.data.get_worker_info` (None in the main process)."""
    return _worker_info


class IterableStop:
    """A worker's iterable dataset is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class Resume:
    """Sent to persistent workers at a new epoch; echoed back once earlier tasks are done."""


class ExceptionWrapper:
    """An exception raised in a worker, re-raised in the main process with its traceback."""

    def __init__(self, where):
        exc_type, exc, _ = sys.exc_info()
        self.exc_type, self.where = exc_type, where
        self.msg = "".join(traceback.format_exception(exc_type, exc, exc.__traceback__))

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.msg}"
        try:
            exc = self.exc_type(msg)
        except Exception:
            exc = RuntimeError(msg)
        raise exc


def pending_collate(batch):
    return _collate.collate(batch, make=_collate.Pending)


def pending_convert(data):
    return _collate.convert(data, make=_collate.Pending)


def worker_collate(collate_fn):
    """What a worker runs in place of `collate_fn` (numpy batching for the default ones)."""
    if collate_fn is _collate.default_collate:
        return pending_collate
    if collate_fn is _collate.default_convert:
        return pending_convert
    return collate_fn


def _seed_everything(seed, forked):
    random.seed(seed)
    jt = sys.modules.get("jtorch")
    # a forked copy of a JAX process must not run JAX code: its generator stays unseeded
    if jt is not None and hasattr(jt, "manual_seed") and not forked:
        jt.manual_seed(seed)


def worker_loop(iterable, dataset, index_queue, data_queue, done_event, auto_collation, collate_fn,
                drop_last, base_seed, init_fn, worker_id, num_workers, forked=False):
    global _worker_info
    parent = os.getppid()
    seed = base_seed + worker_id
    _seed_everything(seed, forked)
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
    make_fetcher = functools.partial(create_fetcher, iterable, dataset, auto_collation, collate_fn,
                                     drop_last)
    init_error = None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetcher = make_fetcher()
    except Exception:
        init_error = ExceptionWrapper(f"in DataLoader worker process {worker_id}")
    ended = False
    while True:
        try:
            r = index_queue.get(timeout=_POLL_S)
        except queue.Empty:
            if os.getppid() != parent:  # the main process died: exit instead of lingering
                break
            continue
        if r is None:
            break
        if isinstance(r, Resume):
            data_queue.put((r, None))
            ended = False
            if init_error is None:
                fetcher = make_fetcher()
            continue
        if done_event.is_set() or ended:
            continue
        idx, index = r
        if init_error is not None:
            data, init_error = init_error, None
        else:
            try:
                data = fetcher.fetch(index)
            except StopIteration:
                if not iterable:
                    data = ExceptionWrapper(f"in DataLoader worker process {worker_id}")
                else:
                    data, ended = IterableStop(worker_id), True
            except Exception:
                data = ExceptionWrapper(f"in DataLoader worker process {worker_id}")
        data_queue.put((idx, data))
        del data
    if done_event.is_set():
        # Results nobody will read must not keep this process alive at exit.
        data_queue.cancel_join_thread()
        data_queue.close()
