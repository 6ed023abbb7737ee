"""Names from the torch 2.13 reference lists that jtorch ships late (issue 4): constants, dtypes,
layouts and memory formats, small torch.* functions, Tensor methods, nn modules, autograd names."""
import numpy as np
import pytest

from compat._harness import randn

X4 = randn(2, 3, 4, 5, dtype="float32")
LIMITED = ["uint16", "uint32", "uint64"]
FLOAT8 = ["float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu"]


# ---- constants: dtypes, layouts, memory formats ---------------------------------------------

@pytest.mark.parametrize("name", LIMITED + FLOAT8)
def test_new_dtype_properties(compat, name):
    def run(lib):
        d = getattr(lib, name)
        return repr(d), d.is_floating_point, d.is_signed, d.itemsize, d.is_complex
    compat.value(run)


@pytest.mark.parametrize("name", LIMITED + FLOAT8)
@pytest.mark.parametrize("other", ["bool", "uint8", "int32", "int64", "float16", "float32", "complex64"])
def test_new_dtype_promotion(compat, name, other):
    def run(lib):
        try:
            return str(lib.promote_types(getattr(lib, name), getattr(lib, other)))
        except RuntimeError as e:
            return "RuntimeError: " + str(e)
    compat.value(run)


@pytest.mark.parametrize("name", LIMITED + ["float8_e4m3fn", "float8_e5m2"])
def test_new_dtype_tensors(compat, name):
    def run(lib):
        d = getattr(lib, name)
        t = lib.tensor([1.0, 2.5, 24.0]).to(d)
        return t.dtype, t.float(), repr(t), lib.zeros(2, dtype=d).float(), repr(lib.ones(2, dtype=d))
    compat.value(run)


@pytest.mark.parametrize("name", ["float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e8m0fnu",
                                  "bfloat16", "float16"])
def test_finfo_new_dtypes(compat, name):
    compat.value(lambda lib: repr(lib.finfo(getattr(lib, name))))


@pytest.mark.parametrize("name", LIMITED)
def test_iinfo_unsigned(compat, name):
    compat.value(lambda lib: repr(lib.iinfo(getattr(lib, name))))


def test_uint16_from_numpy(compat):
    compat.value(lambda lib: (lib.from_numpy(np.arange(3, dtype=np.uint16)).dtype,
                              lib.tensor([1, 2], dtype=lib.uint32).numpy().dtype.name))


LAYOUTS = ["strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc", "jagged"]
FORMATS = ["contiguous_format", "channels_last", "channels_last_3d", "preserve_format",
           "legacy_contiguous_format"]


@pytest.mark.parametrize("name", LAYOUTS + FORMATS)
def test_layout_and_memory_format_constants(compat, name):
    def run(lib):
        import copy
        import pickle
        v = getattr(lib, name)
        kind = "layout" if isinstance(v, lib.layout) else "memory_format" if isinstance(v, lib.memory_format) else "?"
        return (repr(v), str(v), kind, pickle.loads(pickle.dumps(v)) is v, copy.deepcopy(v) is v,
                v == v, hash(v) == hash(v))
    compat.value(run)


def test_layout_types_cannot_be_created(compat):
    def run(lib):
        out = []
        for cls in (lib.layout, lib.memory_format):
            try:
                cls()
            except TypeError as e:
                out.append(str(e))
        return out, lib.legacy_contiguous_format is lib.contiguous_format, lib.ones(2).layout is lib.strided
    compat.value(run)


def test_build_flags_are_booleans(compat):
    # torch's CPU wheel has MKL and OpenMP; jtorch answers for XLA (no MKL, no OpenMP), so only the
    # type and the LAPACK/FFT flags are compared.
    compat.value(lambda lib: (type(lib.has_mkl).__name__, type(lib.has_openmp).__name__,
                              lib.has_lapack, lib.has_spectral))


@pytest.mark.parametrize("fmt", ["channels_last", "contiguous_format", "preserve_format"])
def test_contiguous_memory_format(compat, fmt):
    def run(lib, x):
        f = getattr(lib, fmt)
        y = x.contiguous(memory_format=f)
        return (y.stride(), y.is_contiguous(), y.is_contiguous(memory_format=lib.channels_last),
                y.is_contiguous(memory_format=lib.contiguous_format), y * 2)
    compat.same(run, X4)


def test_channels_last_round_trip(compat):
    def run(lib, x):
        y = x.to(memory_format=lib.channels_last)
        z = y.contiguous()
        e = lib.empty(2, 3, 4, 5, memory_format=lib.channels_last)
        return (y.stride(), z.stride(), z.is_contiguous(), e.stride(), e.shape,
                x.permute(0, 2, 3, 1).is_contiguous(), (y.exp() * x).sum())
    compat.same(run, X4)


def test_channels_last_3d(compat):
    def run(lib, x):
        y = x.contiguous(memory_format=lib.channels_last_3d)
        return y.stride(), y.is_contiguous(memory_format=lib.channels_last_3d), y.is_contiguous(), y
    # jtorch's channels-last tensor is a permuted view of a copy: its grad_fn is PermuteBackward0
    # where torch's is CloneBackward0 (the gradients agree).
    compat.same(run, randn(2, 3, 2, 2, 2, dtype="float32"), grad_fn=False)


@pytest.mark.parametrize("shape", [(1, 3, 1, 1), (2, 1, 4, 5), (2, 3, 4), (0, 3, 2, 2)])
def test_is_contiguous_channels_last_edge_shapes(compat, shape):
    compat.value(lambda lib: (lib.zeros(*shape).is_contiguous(memory_format=lib.channels_last),
                              lib.zeros(*shape).is_contiguous(memory_format=lib.channels_last_3d)))


def test_channels_last_wrong_rank_raises(compat):
    def run(lib):
        try:
            lib.zeros(2, 3, 4).contiguous(memory_format=lib.channels_last)
        except RuntimeError as e:
            return str(e)
    compat.value(run)


# ---- autocast state functions ---------------------------------------------------------------

def test_autocast_global_switches(compat):
    def run(lib):
        import warnings
        x = lib.ones(2, 3)
        out = [lib.is_autocast_cache_enabled(), lib.autocast_increment_nesting(),
               lib.autocast_increment_nesting(), lib.autocast_decrement_nesting(),
               lib.autocast_decrement_nesting()]
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out += [lib.get_autocast_cpu_dtype(), lib.is_autocast_cpu_enabled(),
                    lib.get_autocast_gpu_dtype(), lib.get_autocast_ipu_dtype(),
                    lib.get_autocast_xla_dtype(), lib.is_autocast_ipu_enabled()]
            try:
                lib.set_autocast_enabled("cpu", True)
                out += [(x @ x.T).dtype, lib.is_autocast_enabled("cpu")]
                lib.set_autocast_cpu_dtype(lib.float16)
                out += [(x @ x.T).dtype, lib.get_autocast_dtype("cpu")]
                lib.set_autocast_cpu_enabled(False)
                out.append((x @ x.T).dtype)
                with lib.autocast("cpu", dtype=lib.bfloat16):
                    lib.set_autocast_enabled("cpu", False)
                    out.append((x @ x.T).dtype)
                out += [lib.is_autocast_enabled("cpu"), (x @ x.T).dtype]
                lib.set_autocast_enabled(True)  # legacy one-argument form: 'cuda'
                out.append(lib.is_autocast_enabled("cuda"))
            finally:
                lib.set_autocast_enabled("cpu", False)
                lib.set_autocast_enabled("cuda", False)
                lib.set_autocast_dtype("cpu", lib.bfloat16)
            out.append(sorted({type(m.message).__name__ for m in w}))
        lib.set_autocast_cache_enabled(False)
        out.append(lib.is_autocast_cache_enabled())
        lib.set_autocast_cache_enabled(True)
        lib.clear_autocast_cache()
        return out
    compat.value(run)
