"""jtorch.utils.data against torch 2.13: collate results, deterministic loaders, samplers, errors."""
import collections

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.utils.data  # noqa: E402

import jtorch  # noqa: E402
import jtorch.utils.data  # noqa: E402,F401

P = collections.namedtuple("P", "a b")


def _plain(x, lib):
    """A comparable form: tensors become (dtype name, shape, values); containers keep their type."""
    if isinstance(x, lib.Tensor):
        v = x.float() if x.dtype == lib.bfloat16 else x
        return ("T", str(x.dtype), tuple(x.shape), np.asarray(v).tolist())
    if isinstance(x, dict):
        return (type(x).__name__, {k: _plain(v, lib) for k, v in x.items()})
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, [_plain(v, lib) for v in x])
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_plain(v, lib) for v in x])
    return x


def _both(fn):
    return _plain(fn(torch), torch), _plain(fn(jtorch), jtorch)


BATCHES = {
    "floats": lambda lib: [1.5, 2.0], "ints": lambda lib: [1, 2], "bools": [True, False],
    "np_f32_scalars": [np.float32(1), np.float32(2)], "np_i32_scalars": [np.int32(1), np.int32(3)],
    "np_0d": [np.array(1.0), np.array(2.0)], "np_bool": [np.bool_(True), np.bool_(False)],
    "np_arrays": [np.arange(6, dtype=np.int16).reshape(2, 3)] * 2,
    "np_f64": [np.linspace(0, 1, 3), np.linspace(1, 2, 3)], "strings": ["a", "b"], "bytes": [b"a", b"b"],
    "dicts": [{"x": 1, "y": "q", "z": np.ones(2, np.float32)}, {"x": 2, "y": "r", "z": np.zeros(2, np.float32)}],
    "tuples": [(1, 2.0), (3, 4.0)], "lists": [[1, 2], [3, 4]], "namedtuples": [P(1, 2.0), P(3, 4.0)],
    "ordered": [collections.OrderedDict(a=1, b=2.5)], "nested": [{"a": [(1, np.ones(1))]}, {"a": [(2, np.zeros(1))]}],
}


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_default_collate(name):
    batch = BATCHES[name]
    got = _both(lambda lib: lib.utils.data.default_collate(batch(lib) if callable(batch) else batch))
    assert got[1] == got[0]


@pytest.mark.parametrize("batch", [[torch.ones(2), torch.zeros(2)], [torch.arange(3), torch.arange(3)]],
                         ids=["float", "long"])
def test_default_collate_tensors(batch):
    want = _plain(torch.utils.data.default_collate(batch), torch)
    got = _plain(jtorch.utils.data.default_collate([jtorch.tensor(b.numpy()) for b in batch]), jtorch)
    assert got == want


@pytest.mark.parametrize("data", [1.5, np.float32(2), np.arange(3), "a", (np.arange(2), 3), [np.arange(2)],
                                  {"a": np.ones(2)}, P(np.ones(1), 2)], ids=str)
def test_default_convert(data):
    got = _both(lambda lib: lib.utils.data.default_convert(data))
    assert got[1] == got[0]


@pytest.mark.parametrize("batch", [[None, None], [np.array(["a"]), np.array(["b"])], [[1, 2], [3]],
                                   [np.ones(2), np.ones(3)], [object(), object()]],
                         ids=lambda b: "objects" if type(b[0]) is object else str(b))  # no addresses: xdist workers must agree
def test_default_collate_errors(batch):
    errs = []
    for lib in (torch, jtorch):
        with pytest.raises(Exception) as info:
            lib.utils.data.default_collate(batch)
        errs.append((info.type, str(info.value)))
    assert errs[1] == errs[0]


class ArrayDataset:
    """A numpy-backed map-style dataset (plain class: works for both libraries)."""

    def __init__(self, n):
        self.x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
        self.y = np.arange(n) % 4

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i], {"id": int(i)}


LOADERS = {
    "bs4": dict(batch_size=4), "drop_last": dict(batch_size=4, drop_last=True),
    "no_batch": dict(batch_size=None), "collate_fn": dict(batch_size=3, collate_fn=lambda b: len(b)),
    "bs1": dict(),
}


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_deterministic_loaders(name):
    ds = ArrayDataset(10)
    got = _both(lambda lib: [b for b in lib.utils.data.DataLoader(ds, **LOADERS[name])])
    assert got[1] == got[0]
    assert len(jtorch.utils.data.DataLoader(ds, **LOADERS[name])) == len(torch.utils.data.DataLoader(ds, **LOADERS[name]))


def test_samplers_and_splits():
    for lib in (torch, jtorch):
        d = lib.utils.data
        yield_ = [list(d.SequentialSampler(range(5))), list(d.BatchSampler(range(10), 4, False)),
                  len(d.BatchSampler(range(10), 4, True)),
                  [len(s) for s in d.random_split(range(11), [0.5, 0.5])],
                  [len(s) for s in d.random_split(range(7), [0.1, 0.2, 0.7])]]
        for reps, rank, drop in [(3, 1, False), (4, 3, False), (4, 3, True), (5, 4, False)]:
            s = d.DistributedSampler(range(10), reps, rank, shuffle=False, drop_last=drop)
            yield_.append((list(s), len(s)))
        if lib is torch:
            want = yield_
    assert yield_ == want


@pytest.mark.parametrize("kw", [dict(batch_size=None, drop_last=True), dict(sampler=[0, 1], shuffle=True),
                                dict(num_workers=-1), dict(prefetch_factor=2), dict(persistent_workers=True),
                                dict(batch_sampler=[[0]], batch_size=2)], ids=str)
def test_loader_argument_errors(kw):
    errs = []
    for lib in (torch, jtorch):
        with pytest.raises(ValueError) as info:
            lib.utils.data.DataLoader(range(4), **kw)
        errs.append(str(info.value))
    assert errs[1] == errs[0]


class Sharded:
    """An iterable dataset that splits its range between workers (plain class, both libraries)."""

    def __init__(self, n, lib):
        self.n, self.lib = n, lib

    def __iter__(self):
        info = (torch if self.lib == "torch" else jtorch).utils.data.get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))


class TorchSharded(Sharded, torch.utils.data.IterableDataset):
    pass


class JtorchSharded(Sharded, jtorch.utils.data.IterableDataset):
    pass


def test_iterable_workers_order_matches_torch():
    want = _plain(list(torch.utils.data.DataLoader(TorchSharded(7, "torch"), batch_size=2, num_workers=2,
                                                   drop_last=True)), torch)
    got = _plain(list(jtorch.utils.data.DataLoader(JtorchSharded(7, "jtorch"), batch_size=2, num_workers=2,
                                                   drop_last=True)), jtorch)
    assert got == want
