"""Names from the torch 2.13 reference lists that jtorch ships late (issue 4): constants, dtypes,
layouts and memory formats, small torch.* functions, Tensor methods, nn modules, autograd names."""
import numpy as np
import pytest

from compat._harness import randn

X4 = randn(2, 3, 4, 5, dtype="float32")
LIMITED = ["uint16", "uint32", "uint64"]
FLOAT8 = ["float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu"]


def _copy_params(lib, m, seed=20):
    for i, p in enumerate(m.parameters()):  # the same weights in both libraries
        with lib.no_grad():
            p.copy_(lib.tensor(randn(*p.shape, seed=seed + i, dtype="float32") * 0.5))
    return m


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


# ---- torch.* functions ----------------------------------------------------------------------

X23 = randn(2, 3)


def _quiet(fn):
    def run(lib, *a):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(lib, *a)
    return run


@pytest.mark.parametrize("name,fn", [
    ("adjoint", lambda lib, x: lib.adjoint(x)),
    ("fill", lambda lib, x: lib.fill(x, 2.5)),
    ("fill_tensor", lambda lib, x: lib.fill(x, lib.tensor(3.0, dtype=lib.float64))),
    ("frobenius_norm", lambda lib, x: lib.frobenius_norm(x, [0, 1])),
    ("frobenius_norm_keepdim", lambda lib, x: lib.frobenius_norm(x, 1, True)),
    ("nuclear_norm", lambda lib, x: lib.nuclear_norm(x)),
    ("nuclear_norm_keepdim", lambda lib, x: lib.nuclear_norm(x, keepdim=True)),
    ("nuclear_norm_dim", lambda lib, x: lib.nuclear_norm(x.expand(4, 2, 3), (1, 2))),
    ("norm_except_dim0", lambda lib, x: lib.norm_except_dim(x, 2, 0)),
    ("norm_except_dim1", lambda lib, x: lib.norm_except_dim(x, 2, 1)),
    ("norm_except_all", lambda lib, x: lib.norm_except_dim(x, 2, -1)),
    ("norm_except_p1", lambda lib, x: lib.norm_except_dim(x, 1, 0)),
])
def test_math_functions(compat, name, fn):
    # Values and gradients are compared; node names are not: these are compositions in jtorch
    # (frobenius_norm's node is LinalgVectorNormBackward0 where torch's is NormBackward1).
    compat.same(_quiet(fn), X23, rtol=1e-5, grad_fn=False)


def test_deprecated_norms_warn_once(compat):
    def run(lib):
        import warnings
        x = lib.ones(2, 2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lib.frobenius_norm(x, [0, 1])
            lib.nuclear_norm(x)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.frobenius_norm(x, [0, 1])
            lib.nuclear_norm(x)
        return [type(m.message).__name__ for m in w]
    compat.value(run)


def test_binomial(compat):
    def run(lib):
        lib.manual_seed(0)
        s = lib.binomial(lib.tensor([5.0, 10.0, 3.0]), lib.tensor([0.5, 0.0, 1.0]))
        try:
            lib.binomial(lib.tensor([5, 10]), lib.tensor([0.5, 0.5]))
        except ValueError as e:
            err = str(e)
        return s.dtype, s.shape, s[1:], bool(((s >= 0) & (s <= 5)).all()), err
    compat.value(run)


@pytest.mark.parametrize("name", ["lstsq", "solve", "symeig", "eig", "matrix_rank"])
def test_removed_linalg_functions(compat, name):
    def run(lib):
        a = lib.eye(2)
        out = []
        for call in (lambda: getattr(lib, name)(a, a), lambda: getattr(a, name)(a)):
            try:
                call()
            except (RuntimeError, AttributeError) as e:
                out.append((type(e).__name__, str(e).split(".")[0]))
        return out
    compat.value(run)


def test_config_functions(compat):
    def run(lib):
        out = [lib.is_warn_always_enabled(), lib.get_deterministic_debug_mode()]
        try:
            lib.set_deterministic_debug_mode("warn")
            out += [lib.get_deterministic_debug_mode(), lib.are_deterministic_algorithms_enabled(),
                    lib.is_deterministic_algorithms_warn_only_enabled()]
            lib.set_deterministic_debug_mode(2)
            out += [lib.get_deterministic_debug_mode(), lib.is_deterministic_algorithms_warn_only_enabled()]
            for bad in ("x", 3):
                try:
                    lib.set_deterministic_debug_mode(bad)
                except RuntimeError as e:
                    out.append(str(e))
        finally:
            lib.set_deterministic_debug_mode("default")
        out.append(lib.get_deterministic_debug_mode())
        lib.set_warn_always(True)
        out.append(lib.is_warn_always_enabled())
        lib.set_warn_always(False)
        out += [lib.init_num_threads(), type(lib.set_flush_denormal(False)).__name__]
        return out
    compat.value(run)


def test_sym_functions(compat):
    def run(lib):
        out = [lib.sym_int(3.7), lib.sym_int(-3.7), lib.sym_float(3), lib.sym_max(1, 2.5),
               lib.sym_max(2, 1.0), lib.sym_min(1, 2), lib.sym_min(1, 2.0), lib.sym_not(True),
               lib.sym_ite(True, 1, 2), lib.sym_sqrt(4), lib.sym_sum([1, 2, 3]), lib.sym_sum([]),
               lib.sym_sum((1.5, 2)), isinstance(3, lib.SymInt), isinstance(2.0, lib.SymFloat),
               isinstance(True, lib.SymBool), lib.sym_constrain_range(5, min=0, max=7)]
        for f in (lambda: lib.sym_constrain_range(5, min=0, max=3),
                  lambda: lib.sym_constrain_range_for_size(-1)):
            try:
                f()
            except RuntimeError as e:
                out.append(str(e))
        return [type(v).__name__ + ":" + str(v) for v in out]
    compat.value(run)


def test_runtime_facts(compat):
    def run(lib):
        x = lib.ones(2)
        return (lib.get_device(x), lib.is_distributed(x), lib.is_vulkan_available(),
                lib.get_device_module("cpu").__name__.split(".")[-1],
                lib.get_device_module().__name__.split(".")[-1],
                lib.get_file_path("a", "b").endswith("/a/b"),
                issubclass(lib.OutOfMemoryError, RuntimeError),
                issubclass(lib.AcceleratorError, RuntimeError), lib.GradScaler is lib.amp.GradScaler)
    compat.value(run)


def test_get_device_module_rejects_non_device(compat):
    def run(lib):
        try:
            lib.get_device_module(3)
        except RuntimeError as e:
            return str(e)
    compat.value(run)


def test_cpu_stream_and_event(compat):
    def run(lib):
        s, e = lib.Stream(), lib.Event()
        out = [repr(s), s.device_type, s.device_index, s.stream_id, str(s.device), s.query(),
               s.synchronize(), s == lib.Stream(), repr(e), str(e.device), e.event_id, e.query(),
               e.synchronize(), e.wait(), repr(lib.Event(enable_timing=True))]
        for f in (lambda: e.record(), lambda: s.record_event(), lambda: e.elapsed_time(e)):
            try:
                f()
            except (RuntimeError, ValueError) as err:
                out.append(type(err).__name__ + ": " + str(err))
        return out
    compat.value(run)


def test_frombuffer(compat):
    def run(lib):
        b = bytearray(np.arange(4, dtype=np.float32).tobytes())
        out = [lib.frombuffer(b, dtype=lib.float32), lib.frombuffer(b, dtype=lib.float32, count=2, offset=4),
               lib.frombuffer(b"\x01\x02", dtype=lib.uint8),
               lib.frombuffer(bytearray(8), dtype=lib.float32, requires_grad=True).requires_grad]
        for f in (lambda: lib.frombuffer(b"abc", dtype=lib.float32),
                  lambda: lib.frombuffer(b"", dtype=lib.float32)):
            try:
                f()
            except ValueError as e:
                out.append(str(e))
        return out
    compat.value(run)


def test_from_file(compat, tmp_path):
    path = str(tmp_path / "data.bin")
    np.arange(6, dtype=np.float32).tofile(path)

    def run(lib):
        out = [lib.from_file(path, size=6, dtype=lib.float32), lib.from_file(path, False, 4, dtype=lib.float32),
               lib.from_file(path, size=0, dtype=lib.float32)]
        try:
            lib.from_file(path, size=10, dtype=lib.float32)
        except RuntimeError as e:
            out.append(type(e).__name__)
        return out
    compat.value(run)


def test_set_default_tensor_type(compat):
    def run(lib):
        import warnings
        out = []
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                lib.set_default_tensor_type(lib.DoubleTensor)
                out += [lib.get_default_dtype(), lib.tensor([1.0]).dtype]
                lib.set_default_tensor_type("torch.FloatTensor")
                out.append(lib.get_default_dtype())
                for bad in (lib.LongTensor, "torch.cuda.FloatTensor"):
                    try:
                        lib.set_default_tensor_type(bad)
                    except TypeError as e:
                        out.append(str(e))
            finally:
                lib.set_default_dtype(lib.float32)
        out.append(sorted({type(m.message).__name__ for m in w}))
        return out
    compat.value(run)


def test_cond_and_while_loop_eager(compat):
    def run(lib, x):
        a = lib.cond(x.sum() > 0, lambda v: v * 2, lambda v: v - 1, (x,))
        b = lib.cond(True, lambda v: (v * 2, v + 1), lambda v: (v - 1, v), (x,))
        c = lib.cond(lib.tensor(False), lambda v: [v * 2], lambda v: [v - 1], [x])
        i, w = lib.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * 2), (lib.tensor(0), x))
        return a, type(b).__name__, b[0], type(c).__name__, c[0], i, w
    # Eager cond/while_loop run the Python branch or loop op by op: results carry the last op's
    # node (MulBackward0) where torch's are CondAutogradOpBackward/WhileLoopAutogradOpBackward;
    # values and gradients agree.
    compat.same(run, randn(3), grad_fn=False)


def test_cond_gradient_to_closed_over_parameters(compat):
    def run(lib):
        lib.manual_seed(0)
        lin = _copy_params(lib, lib.nn.Linear(3, 2))
        x = lib.ones(2, 3)
        y = lib.cond(x.sum() > 0, lambda a: lin(a) * 3, lambda a: lin(a), (x,))
        y.sum().backward()
        return y.detach(), lin.weight.grad, lin.bias.grad
    compat.value(run)


# ---- autograd names -------------------------------------------------------------------------

def test_autograd_names(compat):
    def run(lib):
        A = lib.autograd
        out = [[(k, int(v)) for k, v in E.__members__.items()]
               for E in (A.DeviceType, A.ProfilerActivity, A.ProfilerState)]
        out += [repr(A.DeviceType.CPU), str(A.ProfilerActivity.CUDA), A.ProfilerActivity.CPU == 0,
                A.grad_mode.set_multithreading_enabled is A.set_multithreading_enabled,
                A.grad_mode.enforce_grad_layout_policy is A.enforce_grad_layout_policy]
        x = lib.ones(2, requires_grad=True)
        with A.enforce_grad_layout_policy(False):
            (x * 2).sum().backward()

        @A.enforce_grad_layout_policy(False)
        def f():
            return 1
        out += [x.grad, f()]
        try:
            A.variable(1)
        except RuntimeError as e:
            out.append(str(e))
        return out
    compat.value(run)


def test_small_torch_functions(compat):
    def run(lib):
        out = [lib.resize_as_(lib.zeros(3), lib.ones(2, 2)).shape]
        lib.set_anomaly_enabled(True)
        out.append(lib.is_anomaly_enabled())
        lib.set_anomaly_enabled(False, False)
        out += [lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()]
        lib.set_anomaly_enabled(False, True)
        with lib.DisableTorchFunctionSubclass():
            out.append((lib.ones(2) + 1).sum())
        with lib.DisableTorchFunction():
            out.append(lib.ones(1).item())
        return out
    compat.value(run)


def test_strided_layout_round_trips_through_save(compat, tmp_path):
    # A checkpoint written by torch with a layout in it loads as jtorch's layout object.
    torch = pytest.importorskip("torch")
    import jtorch
    path = tmp_path / "l.pt"
    torch.save({"layout": torch.strided}, path)
    assert jtorch.load(path, weights_only=False)["layout"] is jtorch.strided


def test_sparse_layout_factories(compat):
    def run(lib):
        t = lib.zeros(2, 3, layout=lib.strided)
        try:
            s = lib.zeros(2, 3, layout=lib.sparse_coo)
            sparse = str(s.layout)
        except NotImplementedError:
            sparse = "torch.sparse_coo"  # jtorch refuses sparse tensors with the not-supported error
        return str(t.layout), sparse
    compat.value(run)


@pytest.mark.parametrize("name", LIMITED + ["float8_e4m3fn", "float8_e5m2"])
def test_new_dtypes_checkpoint_both_ways(tmp_path, name):
    # torch writes these dtypes as untyped storages with a _rebuild_tensor_v3 record.
    torch = pytest.importorskip("torch")
    import jtorch
    vals = [1.0, 2.0, 3.0]
    torch.save({"t": torch.tensor(vals).to(getattr(torch, name))}, tmp_path / "a.pt")
    t = jtorch.load(tmp_path / "a.pt")["t"]
    assert t.dtype is getattr(jtorch, name) and t.float().tolist() == vals
    jtorch.save({"t": jtorch.tensor(vals).to(getattr(jtorch, name))}, tmp_path / "b.pt")
    u = torch.load(tmp_path / "b.pt")["t"]
    assert u.dtype is getattr(torch, name) and u.float().tolist() == vals


def test_memory_format_errors_and_preserve(compat):
    def run(lib):
        x = lib.ones(2, 3, 4, 5)
        out = [x.is_contiguous(memory_format=lib.preserve_format),
               x.contiguous(memory_format=lib.preserve_format).stride(),
               x.is_contiguous(memory_format=lib.channels_last_3d)]
        for f in (lambda: x.to(memory_format=lib.channels_last_3d),
                  lambda: lib.empty(2, 3, memory_format=lib.channels_last),
                  lambda: x.contiguous(memory_format="x")):
            try:
                f()
            except (RuntimeError, TypeError) as e:
                out.append(type(e).__name__ + (": " + str(e) if isinstance(e, RuntimeError) else ""))
        return out
    compat.value(run)


def test_fork_wait_future(compat):
    def run(lib):
        def f(a, b=1):
            return a + b

        def g():
            raise ValueError("boom")
        fu = lib.fork(f, 1, b=2)
        out = [type(fu).__name__, fu.done(), lib.wait(fu), fu.value()]
        try:
            lib.fork(g)
        except ValueError as e:
            out.append(str(e))
        h = lib.Future([])
        out.append(h.done())
        h.set_result(5)
        out += [h.wait(), h.then(lambda x: x.value() * 2).wait(), h.value()]
        try:
            h.set_result(6)
        except RuntimeError as e:
            out.append(str(e).split(".")[0])
        for bad in (lambda: lib.wait(3),):
            try:
                bad()
            except TypeError as e:
                out.append(type(e).__name__)
        return out
    compat.value(run)
