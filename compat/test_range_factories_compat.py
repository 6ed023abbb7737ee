"""arange/linspace/logspace with integer dtypes round as torch does (issue 16): truncated bounds
and steps, torch's element counts, wrapping, overflow errors and its two-sided ramp."""
import pytest

INTS = ["int64", "int32", "int16", "int8", "uint8"]
ARANGE = [(2.5,), (1.9,), (0, 1, 0.3), (0.5, 3.7, 0.9), (-2.5, 3.2, 1.5), (5.5, 0.2, -1.3), (0, 10, 2.7),
          (0.2, 3.9, 1.0), (-0.5, 3, 1.5), (0.5, -3.5, -1.5), (0, 300, 100.5), (0, 1, 0.0), (0.9, 0.5, 1),
          (-3, 3.5, 1.5), (0, 1e10, 3e9)]
LINSPACE = [(0, 10, 4), (0, 1, 5), (-3.7, 4.2, 6), (2.5, -1.5, 5), (0, 10, 1), (3.9, 1, 1), (3.9, 1, 0),
            (1.5, 1.5, 3), (0, 9, 7), (10, 0, 4), (0, 10, 7), (0, 300, 4), (0, 200, 4), (-0.5, 3, 3),
            (255.5, 3, 3), (127.9, 3, 3), (-128.5, 3, 3), (-3, 3, 1), (-3, 3, 3)]
LOGSPACE = [((0, 2, 3), 10.0), ((0, 2, 5), 2), ((0.5, 2.5, 4), 10.0), ((0.5, 2.5, 4), 2.5), ((-1, 2, 4), 10.0),
            ((2, 0, 5), 2), ((2.9, 0.5, 4), 3), ((2.9, 0.5, 1), 3), ((0, 3, 4), 10.0), ((300, 2, 3), 1),
            ((0, 2, 3), -2), ((0, 2, 3), 0.5), ((-1, 2, 1), 10.0)]


def _compiled(lib, fn):
    return lib.compile(fn) if lib.__name__ == "jtorch" else fn


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("args", ARANGE, ids=str)
def test_arange_int(compat, args, dtype):
    compat.value(lambda lib: lib.arange(*args, dtype=getattr(lib, dtype)))


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("args", LINSPACE, ids=str)
def test_linspace_int(compat, args, dtype):
    compat.value(lambda lib: lib.linspace(*args, dtype=getattr(lib, dtype)))


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
@pytest.mark.parametrize("args,base", LOGSPACE, ids=str)
def test_logspace_int(compat, args, base, dtype):
    compat.value(lambda lib: lib.logspace(*args, base=base, dtype=getattr(lib, dtype)))


@pytest.mark.parametrize("name", ["arange", "linspace", "logspace"])
def test_bool_refused(compat, name):
    compat.value(lambda lib: getattr(lib, name)(0, 3, 3, dtype=lib.bool))


def test_compiled(compat):
    """The same counts and values inside a compiled step (three calls: eager, traced, cached)."""
    def step(lib, x):
        return [x + lib.arange(2.5, dtype=lib.int64).sum(), lib.arange(-2.5, 3.2, 1.5, dtype=lib.int32),
                lib.linspace(-3.7, 4.2, 6, dtype=lib.int64), lib.logspace(0.5, 2.5, 4, base=2.5, dtype=lib.int64)]

    def run(lib):
        f = _compiled(lib, lambda x: step(lib, x))
        return [f(lib.tensor([1, 2])) for _ in range(3)]
    compat.value(run)
