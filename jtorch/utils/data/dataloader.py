"""DataLoader: batches from a dataset, in the main process or in worker processes.

Workers are real processes started with the 'spawn' context by default: JAX runs threads,
and a forked copy of a process that runs them can deadlock. Workers see `JAX_PLATFORMS=cpu`
(like torch's workers, they never touch the accelerator). As with 'spawn' in torch, the
script that starts workers needs an `if __name__ == "__main__":` guard and a picklable dataset.
"""
from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import pickle
import queue
import sys
import time

from . import _utils  # noqa: F401  (torch.utils.data.dataloader._utils)
from ._utils import collate as _collate
from ._utils.collate import default_collate, default_convert
from ._utils.fetch import create_fetcher
from ._utils.worker import (ExceptionWrapper, IterableStop, Resume, get_worker_info,  # noqa: F401
                            worker_collate, worker_loop)
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

_POLL_S = 5.0  # shutdown: how long a worker may take to exit before it is terminated
_CHECK_S = 0.1  # waiting for a batch: how often the workers' liveness is checked
_UNGUARDED_EXIT = 87  # a spawned worker re-ran a script that starts workers at import

_UNGUARDED = ("DataLoader with num_workers > 0 was started while a worker process was importing "
              "the main script. jtorch starts workers with 'spawn' (JAX's threads make 'fork' "
              "unsafe), and each worker re-imports the script that created the DataLoader, so "
              "code at the top level of that script runs again there. Put the code that "
              "iterates the DataLoader under `if __name__ == \"__main__\":` (as torch requires "
              "on macOS and Windows), or pass num_workers=0.")


def _in_spawn_bootstrap() -> bool:
    """Whether this process is a spawned child still importing the parent's main script."""
    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))


class _InfiniteConstantSampler(Sampler):
    """The sampler of an IterableDataset: the index is unused."""

    def __iter__(self):
        while True:
            yield None


def _base_seed(generator):
    import jtorch
    return int(jtorch.randint(0, 2 ** 62, (), dtype=jtorch.int64, generator=generator).item())


class DataLoader:
    """Matches `torch.utils.data.DataLoader`.

    `pin_memory` and `pin_memory_device` are accepted and do nothing (batches are JAX arrays
    already). Batches are always returned in order (`in_order=False` is accepted).
    """

    _frozen = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")
    __initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers: int = 0, collate_fn=None, pin_memory: bool = False, drop_last: bool = False,
                 timeout: float = 0, worker_init_fn=None, multiprocessing_context=None, generator=None,
                 *, prefetch_factor=None, persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.dataset, self.num_workers, self.prefetch_factor = dataset, num_workers, prefetch_factor
        self.pin_memory, self.pin_memory_device, self.timeout = pin_memory, pin_memory_device, timeout
        self.worker_init_fn, self.in_order = worker_init_fn, in_order
        self.multiprocessing_context = multiprocessing_context
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size, self.drop_last = batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator = None
        self.__initialized = True

    def __setattr__(self, attr, val):
        if self.__initialized and attr in self._frozen:
            raise ValueError(f"{attr} attribute should not be set after {self.__class__.__name__} is "
                             "initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        if not self.persistent_workers:
            return _MultiProcessingDataLoaderIter(self)
        if self._iterator is None:
            self._iterator = _MultiProcessingDataLoaderIter(self)
        else:
            self._iterator._reset(self)
        return self._iterator

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)


class _BaseDataLoaderIter:
    def __init__(self, loader):
        self._dataset, self._iterable = loader.dataset, loader._iterable
        self._index_sampler, self._auto_collation = loader._index_sampler, loader._auto_collation
        self._drop_last, self._collate_fn = loader.drop_last, loader.collate_fn
        self._timeout, self._num_workers = loader.timeout, loader.num_workers
        self._reset(loader, first_iter=True)

    def _reset(self, loader, first_iter=False):
        self._sampler_iter = iter(self._index_sampler)
        self._base_seed = _base_seed(loader.generator)
        self._num_yielded = 0

    def __iter__(self):
        return self

    def _next_index(self):
        return next(self._sampler_iter)

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        return data

    def __len__(self):
        return len(self._index_sampler)


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._fetcher = create_fetcher(self._iterable, self._dataset, self._auto_collation,
                                       self._collate_fn, self._drop_last)

    def _next_data(self):
        return self._fetcher.fetch(self._next_index())


@contextlib.contextmanager
def _worker_environment():
    # Spawned workers inherit os.environ at start: keep them off the accelerator.
    old = os.environ.get("JAX_PLATFORMS")
    os.environ["JAX_PLATFORMS"] = "cpu"
    try:
        yield
    finally:
        if old is None:
            del os.environ["JAX_PLATFORMS"]
        else:
            os.environ["JAX_PLATFORMS"] = old


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._prefetch, self._persistent = loader.prefetch_factor, loader.persistent_workers
        ctx = loader.multiprocessing_context or "spawn"
        ctx = multiprocessing.get_context(ctx) if isinstance(ctx, str) else ctx
        self._start_method = ctx.get_start_method()
        if self._start_method != "fork" and _in_spawn_bootstrap():
            # An unguarded script re-run by our worker: say so, and let the parent explain.
            sys.stderr.write(f"jtorch: {_UNGUARDED}\n")
            sys.stderr.flush()
            os._exit(_UNGUARDED_EXIT)
        self._materialize = self._collate_fn in (default_collate, default_convert)
        self._result_queue, self._done_event = ctx.Queue(), ctx.Event()
        self._index_queues, self._workers, self._shutdown, self._task_info = [], [], False, {}
        with _worker_environment():
            for i in range(self._num_workers):
                iq = ctx.Queue()
                iq.cancel_join_thread()
                w = ctx.Process(target=worker_loop, daemon=True, args=(
                    self._iterable, self._dataset, iq, self._result_queue, self._done_event,
                    self._auto_collation, worker_collate(self._collate_fn), self._drop_last,
                    self._base_seed, loader.worker_init_fn, i, self._num_workers,
                    self._start_method == "fork"))
                try:
                    w.start()
                except (pickle.PicklingError, AttributeError, TypeError) as e:
                    self._shutdown_workers()
                    raise type(e)(
                        f"{e}\njtorch starts DataLoader workers with 'spawn', so the dataset, "
                        "collate_fn and worker_init_fn are pickled: define them at module level "
                        "(no lambdas or local functions), or pass multiprocessing_context='fork' "
                        "if the workers never run jtorch/JAX code.") from e
                self._index_queues.append(iq)
                self._workers.append(w)
        self._start_epoch(first_iter=True)

    def _reset(self, loader, first_iter=False):
        super()._reset(loader, first_iter)
        if not first_iter:
            self._start_epoch(first_iter=False)

    def _start_epoch(self, first_iter):
        for info in self._task_info.values():  # batches of an unfinished epoch
            if len(info) == 2:
                _collate.release(info[1])
        self._send_idx = self._rcvd_idx = self._outstanding = 0
        self._task_info = {}
        self._active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:  # persistent workers: wait until every worker has finished last epoch
            for q in self._index_queues:
                q.put(Resume())
            acks = 0
            while acks < self._num_workers:
                idx, data = self._get_data()
                if isinstance(idx, Resume):
                    acks += 1
                else:
                    _collate.release(data)
        for _ in range(self._prefetch * self._num_workers):
            self._try_put_index()

    def _try_put_index(self):
        if self._outstanding >= self._prefetch * self._num_workers:
            return
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            wid = next(self._worker_cycle)
            if self._active[wid]:
                break
        else:
            return
        self._index_queues[wid].put((self._send_idx, index))
        self._task_info[self._send_idx] = (wid,)
        self._outstanding += 1
        self._send_idx += 1

    def _get_data(self):
        start = time.monotonic()
        while True:
            wait = _CHECK_S if not self._timeout else min(_CHECK_S, self._timeout)
            try:
                return self._result_queue.get(timeout=wait)
            except queue.Empty:
                dead = [w.pid for w in self._workers if not w.is_alive()]
                if dead:
                    unguarded = any(w.exitcode == _UNGUARDED_EXIT for w in self._workers)
                    self._shutdown_workers()
                    if unguarded:
                        raise RuntimeError(_UNGUARDED) from None
                    hint = ""
                    if self._start_method != "fork":
                        hint = (f". If a worker's error above is about the bootstrapping phase: "
                                f"jtorch starts workers with {self._start_method!r}, which re-imports "
                                "the main script in each worker, so put the code that iterates the "
                                "DataLoader under `if __name__ == \"__main__\":`")
                    raise RuntimeError(f"DataLoader worker (pid(s) {', '.join(map(str, dead))}) "
                                       f"exited unexpectedly{hint}") from None
                if self._timeout and time.monotonic() - start >= self._timeout:
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None

    def _next_data(self):
        while True:
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None and (len(info) == 2 or self._active[info[0]]):
                    break
                self._task_info.pop(self._rcvd_idx, None)  # its worker ended: nothing will come
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
                return self._process(info[1])
            idx, data = self._get_data()
            if isinstance(idx, Resume):
                continue
            self._outstanding -= 1
            if isinstance(data, IterableStop):
                wid = data.worker_id
                self._active[wid] = False
                self._task_info.pop(idx, None)
                # the worker skips the tasks it got after its data ran out
                self._outstanding -= sum(1 for i in self._task_info.values() if len(i) == 1 and i[0] == wid)
                self._try_put_index()
                continue
            if idx != self._rcvd_idx:
                self._task_info[idx] += (data,)
                continue
            del self._task_info[idx]
            self._rcvd_idx += 1
            return self._process(data)

    def _process(self, data):
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            self._shutdown_workers()
            data.reraise()
        return _collate.materialize(data) if self._materialize else data

    def _shutdown_workers(self):
        if self._shutdown:
            return
        self._shutdown = True
        self._done_event.set()
        for q in self._index_queues:
            q.put(None)
        for w in self._workers:
            w.join(timeout=_POLL_S)
            if w.is_alive():
                w.terminate()
        for q in self._index_queues:
            q.close()
        # batches fetched but never returned hold shared memory: free it
        leftovers = [info[1] for info in self._task_info.values() if len(info) == 2]
        while True:
            try:
                leftovers.append(self._result_queue.get(timeout=0.05)[1])
            except Exception:  # Empty, or a message cut short by a terminated worker
                break
        for data in leftovers:
            _collate.release(data)
        self._task_info = {}
        self._result_queue.cancel_join_thread()
        self._result_queue.close()

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:
            pass


__all__ = ["DataLoader", "get_worker_info", "default_collate", "default_convert"]
