"""jtorch.utils.data: datasets, samplers, collate and DataLoader (expected values from torch 2.13)."""
import collections
import os

import numpy as np
import pytest

import jtorch
from jtorch.utils.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset,
                               DistributedSampler, IterableDataset, RandomSampler, SequentialSampler,
                               StackDataset, Subset, SubsetRandomSampler, TensorDataset,
                               WeightedRandomSampler, default_collate, default_convert,
                               get_worker_info, random_split)

P = collections.namedtuple("P", "a b")


# ---- module-level datasets: spawned workers import them by name -------------------------------

class Squares(Dataset):
    def __init__(self, n, width=2):
        self.x = np.arange(n * width, dtype=np.float32).reshape(n, width)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return {"x": self.x[i], "i": int(i)}


class Sharded(IterableDataset):
    def __init__(self, n, report=False):
        self.n, self.report = n, report

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        for v in range(start, self.n, step):
            if not self.report:
                yield v
            else:  # what the worker sees: its id, worker_init_fn's effect, the JAX platform
                yield np.array([v, info.id, info.num_workers, int(os.environ.get("JTORCH_TEST_INIT", "-1")),
                                os.environ.get("JAX_PLATFORMS") == "cpu"])

    def __len__(self):
        return self.n


class Fails(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            raise ValueError("bad sample 2")
        return i


class Dies(Dataset):
    def __len__(self):
        return 3

    def __getitem__(self, i):
        if i == 1:
            os._exit(3)  # a crash that raises nothing: the main process must notice
        return i


def _set_env(worker_id):
    os.environ["JTORCH_TEST_INIT"] = str(100 + worker_id)


def _plain(batch):
    return [b.tolist() if isinstance(b, jtorch.Tensor) else b for b in batch]


# ---- datasets -----------------------------------------------------------------------------------

def test_tensor_dataset():
    x, y = jtorch.arange(6).reshape(3, 2), jtorch.tensor([7, 8, 9])
    ds = TensorDataset(x, y)
    assert len(ds) == 3
    a, b = ds[1]
    assert a.tolist() == [2, 3] and b.item() == 8
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(jtorch.ones(2), jtorch.ones(3))


def test_concat_subset_stack_chain():
    c = ConcatDataset([range(3), range(10, 14)])
    assert c.cumulative_sizes == [3, 7] and (c[3], c[-1], c[-7]) == (10, 13, 0) and len(c) == 7
    with pytest.raises(ValueError, match="absolute value of index"):
        c[-8]
    assert isinstance(Squares(2) + Squares(3), ConcatDataset)
    s = Subset(range(10, 20), [3, 1])
    assert (len(s), s[0], s[1], s.__getitems__([1, 0])) == (2, 13, 11, [11, 13])
    st = StackDataset(range(3), range(5, 8))
    assert st[1] == (1, 6) and len(st) == 3
    assert StackDataset(a=range(3), b=range(3))[2] == {"a": 2, "b": 2}
    with pytest.raises(ValueError, match="Size mismatch"):
        StackDataset(range(3), range(4))
    assert list(ChainDataset([Sharded(2), Sharded(3)])) == [0, 1, 0, 1, 2]
    assert len(Sharded(2) + Sharded(3)) == 5
    with pytest.raises(NotImplementedError):
        Dataset()[0]


def test_random_split():
    assert [len(s) for s in random_split(range(11), [0.5, 0.5])] == [6, 5]
    assert [len(s) for s in random_split(range(7), [0.1, 0.2, 0.7])] == [1, 2, 4]
    parts = random_split(range(10), [3, 7], generator=jtorch.Generator().manual_seed(1))
    again = random_split(range(10), [3, 7], generator=jtorch.Generator().manual_seed(1))
    assert sorted(list(parts[0]) + list(parts[1])) == list(range(10))
    assert list(parts[0]) == list(again[0])
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(range(10), [3, 3])


# ---- samplers -----------------------------------------------------------------------------------

def test_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    g = jtorch.Generator().manual_seed(0)
    r = list(RandomSampler(range(20), generator=g))
    assert sorted(r) == list(range(20)) and r != list(range(20))
    assert len(list(RandomSampler(range(5), num_samples=12))) == 12
    assert sorted(list(RandomSampler(range(5), num_samples=10))) == sorted(list(range(5)) * 2)
    rep = list(RandomSampler(range(3), replacement=True, num_samples=64))
    assert len(rep) == 64 and set(rep) <= {0, 1, 2}
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got num_samples=0"):
        RandomSampler(range(0))
    assert sorted(SubsetRandomSampler([5, 7, 9])) == [5, 7, 9]
    w = list(WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 50))
    assert len(w) == 50 and set(w) <= {1, 3}
    assert sorted(WeightedRandomSampler([1.0, 1.0, 1.0], 3, replacement=False)) == [0, 1, 2]
    assert list(BatchSampler(SequentialSampler(range(10)), 3, False)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert len(BatchSampler(range(10), 3, True)) == 3 and len(BatchSampler(range(10), 3, False)) == 4


def test_distributed_sampler():
    # values from torch 2.13
    cases = [(dict(num_replicas=3, rank=1), [1, 4, 7, 0]), (dict(num_replicas=4, rank=3), [3, 7, 1]),
             (dict(num_replicas=4, rank=3, drop_last=True), [3, 7]),
             (dict(num_replicas=4, rank=0, drop_last=True), [0, 4])]
    for kw, want in cases:
        s = DistributedSampler(range(10), shuffle=False, **kw)
        assert list(s) == want and len(s) == len(want)
    assert list(DistributedSampler(range(2), num_replicas=5, rank=4, shuffle=False)) == [0]
    shards = [list(DistributedSampler(range(10), 2, r, seed=3)) for r in (0, 1)]
    assert sorted(shards[0] + shards[1]) == list(range(10))
    s = DistributedSampler(range(10), 2, 0)
    first = list(s)
    s.set_epoch(1)
    assert list(s) != first
    with pytest.raises(ValueError, match="Invalid rank 2"):
        DistributedSampler(range(4), 2, 2)


# ---- collate ------------------------------------------------------------------------------------

def test_default_collate_types():
    # dtypes and container types from torch 2.13's default_collate
    cases = [([1.5, 2.0], jtorch.float64), ([1, 2], jtorch.int64), ([True, False], jtorch.bool),
             ([np.float32(1), np.float32(2)], jtorch.float32), ([np.int32(1), np.int32(2)], jtorch.int32),
             ([np.array(1.0), np.array(2.0)], jtorch.float64), ([np.bool_(True), np.bool_(False)], jtorch.bool),
             ([jtorch.tensor(1.0), jtorch.tensor(2.0)], jtorch.float32)]
    for batch, dtype in cases:
        out = default_collate(batch)
        assert isinstance(out, jtorch.Tensor) and out.dtype == dtype and out.shape == (2,)
    m = default_collate([np.arange(3, dtype=np.int32)] * 2)
    assert m.dtype == jtorch.int32 and m.shape == (2, 3)
    assert default_collate(["a", "b"]) == ["a", "b"]
    d = default_collate([{"x": 1, "y": "q"}, {"x": 2, "y": "r"}])
    assert type(d) is dict and d["x"].tolist() == [1, 2] and d["y"] == ["q", "r"]
    od = default_collate([collections.OrderedDict(a=1)])
    assert type(od) is collections.OrderedDict
    t = default_collate([(1, 2.0), (3, 4.0)])
    assert type(t) is list and _plain(t) == [[1, 3], [2.0, 4.0]] and t[1].dtype == jtorch.float64
    nt = default_collate([P(1, 2.0), P(3, 4.0)])
    assert type(nt) is P and nt.a.tolist() == [1, 3]


def test_default_collate_errors():
    with pytest.raises(TypeError, match="found <class 'NoneType'>"):
        default_collate([None, None])
    with pytest.raises(TypeError, match="found <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[2\] at entry 0 and \[3\] at entry 1"):
        default_collate([jtorch.ones(2), jtorch.ones(3)])


def test_default_convert():
    assert default_convert(1.5) == 1.5 and default_convert("a") == "a"
    assert isinstance(default_convert(np.float32(2)), jtorch.Tensor)
    out = default_convert((np.arange(2), 3))
    assert type(out) is list and out[0].tolist() == [0, 1] and out[1] == 3
    assert default_convert({"a": np.ones(2)})["a"].dtype == jtorch.float64
    assert isinstance(default_convert(np.array(["a"])), np.ndarray)


# ---- DataLoader, main process -------------------------------------------------------------------

def test_dataloader_basics():
    dl = DataLoader(Squares(5), batch_size=2)
    batches = list(dl)
    assert len(dl) == 3 and len(batches) == 3
    assert batches[0]["x"].dtype == jtorch.float32 and batches[0]["x"].tolist() == [[0, 1], [2, 3]]
    assert batches[2]["i"].tolist() == [4]
    assert len(list(DataLoader(Squares(5), batch_size=2, drop_last=True))) == 2
    assert list(DataLoader(range(5), batch_size=None)) == [0, 1, 2, 3, 4]
    assert _plain(DataLoader(range(5), batch_size=2, drop_last=True)) == [[0, 1], [2, 3]]
    assert list(DataLoader(range(4), batch_size=2, collate_fn=sum)) == [1, 5]
    bs = BatchSampler(SequentialSampler(range(5)), 3, False)
    assert _plain(DataLoader(range(5), batch_sampler=bs)) == [[0, 1, 2], [3, 4]]
    assert _plain(DataLoader(Sharded(5), batch_size=2)) == [[0, 1], [2, 3], [4]]
    assert len(DataLoader(Sharded(5), batch_size=2)) == 3


def test_dataloader_shuffle_generator():
    def order(seed):
        return sum(_plain(DataLoader(range(12), batch_size=4, shuffle=True,
                                     generator=jtorch.Generator().manual_seed(seed))), [])
    assert order(3) == order(3) and sorted(order(3)) == list(range(12)) and order(3) != list(range(12))


def test_dataloader_argument_errors():
    # messages from torch 2.13
    bad = [(dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching"),
           (dict(batch_sampler=BatchSampler(range(3), 1, False), batch_size=2), "batch_sampler option is mutually exclusive"),
           (dict(sampler=range(3), shuffle=True), "sampler option is mutually exclusive with shuffle"),
           (dict(num_workers=-1), "num_workers option should be non-negative"),
           (dict(prefetch_factor=2), "prefetch_factor option could only be specified in multiprocessing"),
           (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0")]
    for kw, msg in bad:
        with pytest.raises(ValueError, match=msg):
            DataLoader(range(5), **kw)
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Sharded(3), shuffle=True)
    dl = DataLoader(range(5))
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        dl.batch_size = 3
    assert get_worker_info() is None


# ---- DataLoader, worker processes ---------------------------------------------------------------

def _shm_segments():
    return {f for f in os.listdir("/dev/shm") if f.startswith("psm_")} if os.path.isdir("/dev/shm") else set()


def test_workers_match_main_process():
    ds = Squares(7, width=8192)  # 3 x 8192 float32 batches travel through shared memory
    main = list(DataLoader(ds, batch_size=3))
    before = _shm_segments()
    dl = DataLoader(ds, batch_size=3, num_workers=2, persistent_workers=True, prefetch_factor=1)
    for _ in range(2):  # two epochs over the same persistent workers
        got = list(dl)
        assert len(got) == len(main)
        for a, b in zip(got, main):
            assert isinstance(a["x"], jtorch.Tensor) and a["x"].dtype == jtorch.float32
            assert a["x"].tolist() == b["x"].tolist() and a["i"].tolist() == b["i"].tolist()
    next(iter(dl))  # stop early twice: prefetched batches are freed at the next epoch
    next(iter(dl))  # and at shutdown
    dl._iterator._shutdown_workers()
    assert _shm_segments() - before == set()


def test_workers_info_init_fn_and_iterable():
    dl = DataLoader(Sharded(9, report=True), batch_size=2, num_workers=2, worker_init_fn=_set_env)
    rows = [r.tolist() for batch in dl for r in batch]
    assert sorted(r[0] for r in rows) == list(range(9))  # each worker yields its own shard
    for v, wid, n, init, cpu in rows:
        assert wid == v % 2 and n == 2 and init == 100 + wid
        assert cpu == 1  # workers stay off the accelerator


def test_worker_exception_is_reraised():
    with pytest.raises(ValueError, match="Caught ValueError in DataLoader worker process"):
        list(DataLoader(Fails(), batch_size=1, num_workers=1))


def test_unpicklable_collate_fn_explains_spawn():
    with pytest.raises(Exception, match="define them at module level"):
        next(iter(DataLoader(range(4), num_workers=1, collate_fn=lambda b: b)))


def test_fork_context_for_numpy_datasets():
    # opt-in fork: the workers batch in numpy and never run JAX code
    dl = DataLoader(Squares(5), batch_size=2, num_workers=2, multiprocessing_context="fork")
    assert [b["i"].tolist() for b in dl] == [[0, 1], [2, 3], [4]]


def test_collate_fn_map_extension():
    from jtorch.utils.data._utils.collate import collate, default_collate_fn_map

    class Box:
        def __init__(self, v):
            self.v = v

    def collate_box(batch, *, collate_fn_map=None):
        return [b.v for b in batch]
    assert collate([{"b": Box(1)}, {"b": Box(2)}], collate_fn_map={Box: collate_box}) == {"b": [1, 2]}
    default_collate_fn_map[Box] = collate_box
    try:
        assert default_collate([(Box(3), 1), (Box(4), 2)])[0] == [3, 4]
    finally:
        del default_collate_fn_map[Box]


def test_tensor_dataset_batches_equal_samplewise_collate():
    x, y = jtorch.arange(20.0).reshape(10, 2), jtorch.arange(10) * 3
    ds = TensorDataset(x, y)
    fast = list(DataLoader(ds, batch_size=4, shuffle=True, generator=jtorch.Generator().manual_seed(5)))
    slow = list(DataLoader(ds, batch_size=4, shuffle=True, generator=jtorch.Generator().manual_seed(5),
                           collate_fn=lambda b: default_collate(b)))
    assert len(fast) == len(slow) == 3
    for f, s in zip(fast, slow):
        assert type(f) is list and f[0].dtype == jtorch.float32 and f[1].dtype == jtorch.int64
        assert f[0].tolist() == s[0].tolist() and f[1].tolist() == s[1].tolist()


def test_dead_worker_is_reported():
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        list(DataLoader(Dies(), batch_size=1, num_workers=1))
