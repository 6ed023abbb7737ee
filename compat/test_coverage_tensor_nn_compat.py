"""Names from the torch 2.13 reference lists that jtorch ships late (issue 4), part 2: native nn
entry points, Tensor methods and dunders, nn modules and init aliases, and a few ops."""
import numpy as np
import pytest

from compat._harness import randn

def _copy_params(lib, m, seed=20):
    for i, p in enumerate(m.parameters()):  # the same weights in both libraries
        with lib.no_grad():
            p.copy_(lib.tensor(randn(*p.shape, seed=seed + i, dtype="float32") * 0.5))
    return m


# ---- native nn entry points -----------------------------------------------------------------

X432 = randn(4, 3, 2)


def test_native_batch_norm_train(compat):
    def run(lib, x):
        rm, rv = lib.zeros(3, dtype=lib.float64), lib.ones(3, dtype=lib.float64)
        out, mean, invstd = lib.native_batch_norm(x, None, None, rm, rv, True, 0.1, 1e-5)
        return out, mean, invstd, rm, rv
    compat.same(run, X432, grad_fn=False)


def test_native_batch_norm_eval(compat):
    def run(lib, x):
        rm, rv = lib.zeros(3, dtype=lib.float64), lib.ones(3, dtype=lib.float64) * 2
        return lib.native_batch_norm(x, None, None, rm, rv, False, 0.1, 1e-5)
    compat.same(run, X432, grad_fn=False)


def test_native_layer_and_group_norm(compat):
    def run(lib, x):
        return (lib.native_layer_norm(x, [2], None, None, 1e-5),
                lib.native_group_norm(x, None, None, 4, 3, 2, 3, 1e-5))
    compat.same(run, X432, grad_fn=False)


def test_native_dropout(compat):
    def run(lib, x):
        out, mask = lib.native_dropout(x, 0.5, False)
        lib.manual_seed(0)
        o2, m2 = lib.native_dropout(x, 0.5, True)
        kept = (o2 == 0) | lib.isclose(o2, x * 2)
        return out, mask, m2.dtype, bool(kept.all()), bool(((o2 != 0) == m2).all())
    compat.same(run, X432, grad_fn=False)


def test_convolution(compat):
    def run(lib, x, w, wt):
        return (lib.convolution(x, w, None, [1, 1], [1, 0], [1, 1], False, [0, 0], 1),
                lib.convolution(x, wt, None, [2, 1], [0, 0], [1, 1], True, [1, 0], 1),
                lib.convolution(x[:, :, 0], w[:, :, 0], None, [1], [0], [1], False, [0], 1))
    compat.same(run, randn(1, 2, 4, 4), randn(3, 2, 2, 2, seed=1), randn(2, 3, 2, 2, seed=2),
                rtol=1e-5)


def test_conv_tbc(compat):
    def run(lib, x, w, b):
        return lib.conv_tbc(x, w, b, 1), lib.nn.functional.conv_tbc(x, w, b)
    # jtorch's conv_tbc is conv1d between permutes: its node is PermuteBackward0.
    compat.same(run, randn(5, 2, 3), randn(2, 3, 4, seed=1), randn(4, seed=2), rtol=1e-5,
                grad_fn=False)


def test_grid_sampler_codes(compat):
    def run(lib, x, theta):
        g = lib.affine_grid_generator(theta, [1, 1, 3, 3], False)
        return (g, lib.grid_sampler(x, g, 0, 0, False), lib.grid_sampler_2d(x, g, 1, 1, True),
                lib.grid_sampler(x, g, 0, 2, True))
    theta = np.array([[[0.9, 0.1, 0.05], [-0.1, 0.8, 0.1]]])
    compat.same(run, randn(1, 1, 4, 4), theta, rtol=1e-5)


@pytest.mark.parametrize("mode", [0, 1, 2])
def test_embedding_bag_native(compat, mode):
    def run(lib, w):
        idx, offs = lib.tensor([0, 1, 2, 4, 3]), lib.tensor([0, 2])
        out = lib.embedding_bag(w, idx, offs, False, mode, False, None, False)
        # torch's float64 'sum' path fills offset2bag where its float32 path leaves it empty.
        return out if mode else (out[0], out[2], out[3])
    compat.same(run, randn(5, 3), grad_fn=False)


def test_embedding_renorm_(compat):
    def run(lib):
        w = lib.tensor(randn(5, 3))
        r = lib.embedding_renorm_(w, lib.tensor([0, 1, 1]), 0.5, 2.0)
        return r is w, w
    compat.value(run)


@pytest.mark.parametrize("reduce", ["sum", "mean", "max", "min", "prod"])
def test_segment_reduce(compat, reduce):
    def run(lib, d):
        lengths = lib.tensor([2, 0, 3])
        return (lib.segment_reduce(d, reduce, lengths=lengths),
                lib.segment_reduce(d, reduce, offsets=lib.tensor([0, 2, 5])),
                lib.segment_reduce(d, reduce, lengths=lengths, initial=0.5))
    compat.same(run, randn(5, 2), grad_fn=False, rtol=1e-5)


@pytest.mark.parametrize("name", ["rnn_tanh", "rnn_relu", "gru", "lstm"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_functional_rnns(compat, name, bidirectional):
    def run(lib, x):
        cls = {"rnn_tanh": lib.nn.RNN, "rnn_relu": lib.nn.RNN, "gru": lib.nn.GRU, "lstm": lib.nn.LSTM}[name]
        kw = {"nonlinearity": "relu"} if name == "rnn_relu" else {}
        lib.manual_seed(0)
        m = cls(3, 4, num_layers=2, bidirectional=bidirectional, batch_first=True, **kw).double()
        for i, p in enumerate(m.parameters()):  # the same weights in both libraries
            with lib.no_grad():
                p.copy_(lib.tensor(randn(*p.shape, seed=10 + i) * 0.3))
        D = 2 if bidirectional else 1
        h = lib.zeros(2 * D, 2, 4, dtype=lib.float64)
        hx = [h, h] if name == "lstm" else h
        params = list(m._flat_weights)
        fn = getattr(lib, name)
        out = fn(x, hx, params, True, 2, 0.0, False, bidirectional, True)
        ref = m(x, (h, h) if name == "lstm" else h)
        return out, ref[0]
    compat.same(run, randn(2, 5, 3), grad_fn=False, rtol=1e-5)


# ---- Tensor methods and dunders -------------------------------------------------------------

def test_python_callbacks(compat):
    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0])
        out = [x.clone().apply_(lambda v: v * 2), x.clone().map_(lib.tensor([1.0]), lambda a, b: a + b),
               x.clone().map2_(x, x, lambda a, b, c: a + b * c)]
        try:
            x.clone().requires_grad_().apply_(lambda v: v)
        except RuntimeError as e:
            out.append(str(e))
        return out
    compat.value(run)


def test_resize_family(compat):
    def run(lib):
        import warnings
        x = lib.tensor([1.0, 2.0, 3.0])
        out = [x.clone().resize_(2), x.clone().resize_(1, 3), x.clone().resize_(4)[:3],
               x.clone().resize_as_(lib.ones(2)), x.clone().resize_(2, 2).shape]
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out += [x.resize(3, 1), x.resize_as(lib.ones(1, 3))]
            out.append([str(m.message) for m in w])
        for f in (lambda: x.clone().requires_grad_().resize_(2), lambda: x.resize(2)):
            try:
                f()
            except RuntimeError as e:
                out.append(str(e).split(".")[0])
        return out
    compat.value(run)


def test_set_and_is_set_to(compat):
    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0])
        z = lib.zeros(2)
        z.set_(x)
        same = (z.is_set_to(x), z.data_ptr() == x.data_ptr(), lib.zeros(2).is_set_to(x))
        x.add_(1)
        e = lib.zeros(3).set_()
        w = lib.arange(6.0).reshape(2, 3)
        s = lib.zeros(1).set_(w.untyped_storage())
        w.add_(1)
        return z, same, e.shape, x[1:].is_set_to(x), s
    compat.value(run)


def test_storage_handles(compat):
    def run(lib):
        import warnings
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            x = lib.arange(4.0)
            st = x.storage()
            out = [st.size(), len(st), st[1], st.dtype, st.element_size(), st.nbytes(), st.tolist(),
                   st.data_ptr() == x.data_ptr(), lib.is_storage(st), lib.is_storage(x.untyped_storage()),
                   lib.is_storage(x), isinstance(st, lib.FloatStorage), isinstance(st, lib.TypedStorage),
                   x[1:].storage().size()]
            st[1] = 9.0
            out.append(x)
            s = lib.FloatStorage([1.0, 2.0])
            out += [s.tolist(), s.dtype, lib.DoubleStorage(2).size(), lib.TypedStorage(2, dtype=lib.float64).tolist(),
                    repr(lib.FloatStorage([1.0, 2.0])), lib.ones(2).storage_type().__name__,
                    lib.ones(2, dtype=lib.int64).storage_type().__name__, lib.Storage.__name__,
                    issubclass(lib.UntypedStorage, lib.StorageBase), lib.UntypedStorage(4).size()]
            out.append(sorted({type(m.message).__name__ for m in w}))
        return out
    compat.value(run)


def test_misc_tensor_methods(compat):
    def run(lib):
        import warnings
        x = lib.ones(2, 3, 4, 5)
        out = [x.dim_order(), x.permute(2, 0, 1, 3).dim_order(),
               x.contiguous(memory_format=lib.channels_last).dim_order(), x.const_data_ptr() == x.data_ptr(),
               x.grad_dtype, x.name, x.share_memory_() is x, lib.zeros(3).module_load(lib.ones(3))]
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out += [x.volatile, [str(m.message) for m in w]]
        try:
            x.reinforce(1)
        except RuntimeError as e:
            out.append(str(e).split("\n")[0])
        return out
    compat.value(run)


def test_as_subclass(compat):
    def run(lib):
        class S(lib.Tensor):
            pass
        x = lib.tensor([1.0, 2.0])
        s = x.as_subclass(S)
        y = lib.tensor([1.0, 2.0], requires_grad=True)
        g = (y * 2).as_subclass(S)
        return type(s).__name__, s is x, lib.equal(s, x), s.data_ptr() == x.data_ptr(), g.requires_grad
    compat.value(run)


def test_dunders(compat):
    def run(lib):
        import numpy
        x = lib.tensor([1.0, 2.0, 3.0])
        out = [x.__contains__(1.0), 2.5 in x, lib.tensor(1.0) in x, list(reversed(lib.arange(3))),
               lib.arange(6).reshape(2, 3).__reversed__(), lib.tensor(3.7).__long__(),
               lib.tensor([3]).__nonzero__(), lib.tensor(0.0).__nonzero__(),
               type(numpy.sin(x)).__name__, numpy.sin(x)]
        for f in (lambda: "a" in x, lambda: x.__delitem__(0)):
            try:
                f()
            except (RuntimeError, TypeError) as e:
                out.append(type(e).__name__ + ": " + str(e))
        # jtorch's AttributeError here is its UnsupportedError subclass (the Tensor fallback).
        out.append(hasattr(x, "__cuda_array_interface__"))
        return out
    compat.value(run)


def test_torch_function_default(compat):
    def run(lib):
        class S(lib.Tensor):
            pass
        r = lib.Tensor.__torch_function__(lib.add, (lib.Tensor,), (lib.ones(2), lib.ones(2)))
        s = S.__torch_function__(lib.add, (S,), (lib.ones(2), lib.ones(2)))
        return type(r).__name__, r, type(s).__name__
    compat.value(run)


# ---- nn modules and init aliases --------------------------------------------------------------



@pytest.mark.parametrize("name,shape", [("LazyBatchNorm1d", (4, 3)), ("LazyBatchNorm2d", (4, 3, 2, 2)),
                                        ("LazyBatchNorm3d", (2, 3, 2, 2, 2)),
                                        ("LazyInstanceNorm1d", (2, 3, 4)), ("LazyInstanceNorm2d", (2, 3, 4, 4)),
                                        ("LazyInstanceNorm3d", (2, 3, 2, 2, 2))])
def test_lazy_norms(compat, name, shape):
    def run(lib, x):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = getattr(lib.nn, name)(affine=True, track_running_stats=True)
        before = (repr(m), m.has_uninitialized_params())
        y = m(x)
        sd = m.state_dict()
        return (before, type(m).__name__, repr(m), y, sorted(sd), m.running_mean, m.running_var,
                m.num_batches_tracked)
    compat.same(run, randn(*shape, dtype="float32"), rtol=1e-5)


def test_sync_batchnorm_single_process(compat):
    def run(lib, x):
        m = lib.nn.SyncBatchNorm(3)
        y = m(x)
        m.eval()
        z = m(x)
        seq = lib.nn.Sequential(lib.nn.Conv2d(3, 3, 1), lib.nn.BatchNorm2d(3))
        s = lib.nn.SyncBatchNorm.convert_sync_batchnorm(seq)
        try:
            m(lib.ones(3))
        except ValueError as e:
            err = str(e)
        return repr(m), y, z, m.running_mean, repr(s), s[1].weight is seq[1].weight, err
    compat.same(run, randn(4, 3, 2, 2, dtype="float32"), rtol=1e-5)


def test_cross_map_lrn2d(compat):
    def run(lib, x):
        m = lib.nn.CrossMapLRN2d(3, alpha=0.5, beta=0.75, k=1.0)
        return repr(m), m(x), lib.nn.CrossMapLRN2d(2)(x), lib.nn.CrossMapLRN2d(5, alpha=1.0)(x)
    compat.same(run, randn(2, 5, 3, 3, dtype="float32"), rtol=1e-5)


def test_adaptive_log_softmax(compat):
    def run(lib, x):
        lib.manual_seed(0)
        m = _copy_params(lib, lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4, 8], div_value=2.0, head_bias=True))
        t = lib.tensor([0, 3, 5, 9, 8, 4])
        out = m(x, t)
        single = m(x[0], t[0])
        errs = []
        for bad in (lib.tensor([0, 3, 5, 9, 8, 10]),):
            try:
                m(x, bad)
            except RuntimeError as e:
                errs.append(str(e))
        return (repr(m), type(out).__name__, out.output, out.loss, single.output, m.log_prob(x),
                m.predict(x), errs, m.head_size, m.shortlist_size, m.n_clusters, m.cutoffs)
    compat.same(run, randn(6, 8, dtype="float32"), rtol=1e-5, grad_fn=False)


@pytest.mark.parametrize("name", ["eye", "dirac"])
def test_init_deprecated_aliases(compat, name):
    def run(lib):
        import warnings
        w = lib.empty(3, 3) if name == "eye" else lib.empty(2, 2, 3)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            getattr(lib.nn.init, name)(w)
        return w, [type(m.message).__name__ + ": " + str(m.message) for m in rec]
    compat.value(run)



# ---- more ops ------------------------------------------------------------------------------------

# ---- more torch.* / Tensor names ------------------------------------------------------------

def test_hash_tensor(compat):
    def run(lib):
        x = lib.arange(6.0).reshape(2, 3)
        out = [lib.hash_tensor(x), lib.hash_tensor(x, [1]), lib.hash_tensor(x, [0], keepdim=True),
               lib.hash_tensor(lib.tensor([True, False])), lib.hash_tensor(lib.tensor([1, 2], dtype=lib.int32)),
               lib.hash_tensor(lib.tensor([1.5], dtype=lib.float16)), x.hash_tensor()]
        for f in (lambda: lib.hash_tensor(lib.zeros(0)), lambda: lib.hash_tensor(lib.tensor([1 + 1j]))):
            try:
                f()
            except (RuntimeError, NotImplementedError) as e:
                out.append(type(e).__name__)
        return [str(v) if not isinstance(v, str) else v for v in out]  # uint64 values as text
    compat.value(run)


@pytest.mark.parametrize("left,transpose", [(True, False), (True, True), (False, False), (False, True)])
def test_ormqr(compat, left, transpose):
    def run(lib, a_in, c):
        a, tau = lib.geqrf(a_in)
        other = c if left else c.T
        return lib.ormqr(a, tau, other, left, transpose), a.ormqr(tau, other, left=left, transpose=transpose)
    compat.same(run, randn(4, 3), randn(4, 2, seed=1), grad=False)


def test_dense_tensor_sparse_queries(compat):
    def run(lib):
        x = lib.arange(6.0).reshape(2, 3)
        out = [x.to_dense() is x, x.to_dense(dtype=lib.float64).dtype, x.sparse_dim(), x.dense_dim()]
        for n in ("is_coalesced", "coalesce", "indices", "values", "crow_indices", "col_indices",
                  "ccol_indices", "row_indices"):
            try:
                getattr(x, n)()
            except RuntimeError as e:
                out.append(str(e))
        return out
    compat.value(run)


def test_batch_norm_update_stats(compat):
    def run(lib, x):
        rm, rv = lib.zeros(3, dtype=lib.float64), lib.ones(3, dtype=lib.float64)
        m, v = lib.batch_norm_update_stats(x, rm, rv, 0.1)
        m2, v2 = lib.batch_norm_update_stats(x.reshape(2, 3, 2), None, None, 0.1)
        return m, v, rm, rv, m2, v2
    compat.same(run, randn(4, 3), grad=False)


def test_grouped_mm(compat):
    def run(lib, a3, b3, a2, b2, k2):
        F = lib.nn.functional
        offs = lib.tensor([4, 8], dtype=lib.int32)
        out = [F.grouped_mm(a3, b3), F.grouped_mm(a2, b3, offs=offs), F.grouped_mm(a3, b2, offs=offs),
               F.grouped_mm(k2, b2.T.contiguous(), offs=offs),
               F.grouped_mm(a2, b3, offs=lib.tensor([4, 6], dtype=lib.int32))[:6]]
        for f in (lambda: F.grouped_mm(a3, b3, out_dtype=lib.float64),
                  lambda: F.grouped_mm(a3, b3, bias=lib.ones(2, 4))):
            try:
                f()
            except RuntimeError as e:
                out.append(str(e))
        return out
    # torch's CPU kernel wants 16-byte aligned strides: float32 dims are multiples of 4.
    compat.same(run, randn(2, 4, 4, dtype="float32"), randn(2, 4, 4, seed=1, dtype="float32"),
                randn(8, 4, seed=2, dtype="float32"), randn(4, 8, seed=3, dtype="float32"),
                randn(4, 8, seed=4, dtype="float32"), rtol=1e-5, grad=False)


def test_grad_dtype(compat):
    def run(lib):
        x = lib.ones(2, requires_grad=True)
        out = [x.grad_dtype]
        x.grad_dtype = lib.float64
        x.grad = lib.ones(2, dtype=lib.float64)
        out += [x.grad_dtype, x.grad.dtype]
        z = lib.ones(2, requires_grad=True)
        z.grad_dtype = None
        z.grad = lib.ones(2, dtype=lib.float64)
        out += [z.grad_dtype, z.grad.dtype]
        for f in (lambda: setattr(lib.ones(2, requires_grad=True), "grad", lib.ones(2, dtype=lib.float64)),
                  lambda: setattr(lib.ones(2, dtype=lib.float64), "grad", lib.ones(2, dtype=lib.float16)),
                  lambda: setattr(lib.ones(2), "grad_dtype", "a")):
            try:
                f()
            except RuntimeError as e:
                out.append(str(e).split(". ")[0])
        return out
    compat.value(run)
