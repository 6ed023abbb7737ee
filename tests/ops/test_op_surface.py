"""The op surface without torch: sorting, misc, data-dependent shapes, linalg, fft, special,
unsupported names. Expected values were produced by torch 2.13 (see compat/ for live checks)."""
import math

import numpy as np
import pytest

import jtorch

nan = math.nan


def close(t, expected, **kw):
    np.testing.assert_allclose(np.asarray(t.detach().numpy()), np.asarray(expected), equal_nan=True,
                               rtol=1e-5, atol=1e-6, **kw)


def test_sort_puts_nan_last_and_first_when_descending():
    x = jtorch.tensor([[3.0, 1.0, nan, 1.0], [2.0, -1.0, 0.0, 2.0]])
    v, i = jtorch.sort(x, 1)
    close(v, [[1, 1, 3, nan], [-1, 0, 2, 2]])
    assert i.tolist() == [[1, 3, 0, 2], [1, 2, 0, 3]]
    v, i = x.sort(1, descending=True)
    close(v, [[nan, 3, 1, 1], [2, 2, 0, -1]])
    assert i.tolist() == [[2, 0, 1, 3], [0, 3, 2, 1]]
    assert type(jtorch.sort(x)).__name__ == "sort" and hasattr(jtorch.sort(x), "indices")


def test_topk_median_mode():
    r = jtorch.topk(jtorch.tensor([1.0, 3.0, 3.0, 2.0]), 2)
    close(r.values, [3, 3])
    assert r.indices.tolist() == [1, 2]
    close(jtorch.median(jtorch.tensor([4.0, 1.0, 3.0, 2.0])), 2.0)
    m = jtorch.mode(jtorch.tensor([2, 1, 2, 1, 3]))
    assert (m.values.item(), m.indices.item()) == (1, 3)


def test_searchsorted_bucketize():
    s = jtorch.searchsorted(jtorch.tensor([1, 3, 5]), jtorch.tensor([0, 3, 6]), right=True)
    assert s.tolist() == [0, 2, 3] and s.dtype == jtorch.int64
    b = jtorch.bucketize(jtorch.tensor([0.5, 3.0, 9.0]), jtorch.tensor([1.0, 3.0, 5.0]))
    assert b.tolist() == [0, 1, 3]


def test_data_dependent_shapes():
    u, inv, cnt = jtorch.unique(jtorch.tensor([3, 1, 3, 2]), return_inverse=True, return_counts=True)
    assert (u.tolist(), inv.tolist(), cnt.tolist()) == ([1, 2, 3], [2, 0, 2, 1], [1, 1, 2])
    assert jtorch.nonzero(jtorch.tensor([[0, 2], [3, 0]])).tolist() == [[0, 1], [1, 0]]
    assert jtorch.bincount(jtorch.tensor([0, 1, 1, 3])).tolist() == [1, 2, 0, 1]
    x = jtorch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    jtorch.masked_select(x, x > 0).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 1.0]


def test_data_dependent_shape_under_trace_names_the_op():
    import jax
    from jtorch.compile_errors import UntraceableError

    def f(a):
        return jtorch.nonzero(jtorch.Tensor._from_array(a))._data
    with pytest.raises(UntraceableError, match="torch.nonzero"):
        jax.jit(f)(np.ones(3, np.float32))


def test_misc_ops():
    assert jtorch.diff(jtorch.tensor([1, 4, 9, 16])).tolist() == [3, 5, 7]
    v, i = jtorch.cummax(jtorch.tensor([1.0, 3.0, 2.0, 3.0]), 0)
    assert v.tolist() == [1, 3, 3, 3] and i.tolist() == [0, 1, 1, 3]
    assert jtorch.kron(jtorch.tensor([[1, 2]]), jtorch.tensor([[1], [10]])).tolist() == [[1, 2], [10, 20]]
    assert jtorch.rot90(jtorch.tensor([[1, 2], [3, 4]])).tolist() == [[2, 4], [1, 3]]
    close(jtorch.histc(jtorch.tensor([1.0, 2.0, 1.0, 4.0]), bins=4, min=0, max=4), [0, 2, 1, 1])
    close(jtorch.quantile(jtorch.tensor([1.0, 2.0, 3.0, 4.0]), 0.25), 1.75)


def test_linalg():
    a = jtorch.tensor([[2.0, 1.0], [1.0, 3.0]])
    close(jtorch.linalg.det(a), 5.0)
    close(jtorch.linalg.inv(a), [[0.6, -0.2], [-0.2, 0.4]])
    close(jtorch.linalg.eigvalsh(jtorch.tensor([[2.0, 1.0], [1.0, 2.0]])), [1.0, 3.0])
    with pytest.raises(jtorch.linalg.LinAlgError):
        jtorch.linalg.inv(jtorch.zeros(2, 2))
    assert issubclass(jtorch.linalg.LinAlgError, RuntimeError)


def test_fft_and_special():
    f = jtorch.fft.fft(jtorch.tensor([1.0, 2.0, 3.0, 4.0]))
    assert f.dtype == jtorch.complex64
    close(f, [10, -2 + 2j, -2, -2 - 2j])
    close(jtorch.special.ndtr(jtorch.tensor([0.0, 1.0])), [0.5, 0.8413447])
    close(jtorch.special.chebyshev_polynomial_t(jtorch.tensor([0.5]), 3), [-1.0])


def test_unsupported_names_raise_naming_the_api():
    with pytest.raises(NotImplementedError, match=r"torch\.quantize_per_tensor is not supported"):
        jtorch.quantize_per_tensor
    with pytest.raises(NotImplementedError, match=r"torch\.Tensor\.q_scale is not supported"):
        jtorch.ones(2).q_scale  # (to_sparse, probed here before, exists since jtorch.sparse)
    assert not hasattr(jtorch, "quantize_per_tensor")  # feature probes still work
    with pytest.raises(AttributeError):
        jtorch.not_a_torch_name


def test_finfo_iinfo_and_legacy_types():
    assert jtorch.finfo(jtorch.float32).eps == 1.1920928955078125e-07
    assert jtorch.finfo(jtorch.bfloat16).eps == 0.0078125
    assert jtorch.iinfo(jtorch.int64).max == 9223372036854775807
    assert isinstance(jtorch.ones(2), jtorch.FloatTensor) and not isinstance(jtorch.ones(2), jtorch.LongTensor)
    assert jtorch.LongTensor([1, 2]).dtype == jtorch.int64 and jtorch.FloatTensor(2, 3).shape == (2, 3)


def test_tensor_method_forms():
    x = jtorch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.gather(1, jtorch.tensor([[1], [0]])).tolist() == [[2.0], [3.0]]
    assert x.where(x > 2, 0.0).tolist() == [[0.0, 0.0], [3.0, 4.0]]
    assert x.clone().triu_().tolist() == [[1.0, 2.0], [0.0, 4.0]]
    assert jtorch.polygamma(1, jtorch.tensor([1.0])).item() == pytest.approx(1.6449340668482264)


def test_derived_names():
    x = jtorch.tensor([[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]])
    g0, g1 = jtorch.gradient(x)
    assert g0.tolist() == [[2.0, 3.0, 5.0], [2.0, 3.0, 5.0]] and g1.tolist() == [[1.0, 1.5, 2.0], [2.0, 3.0, 4.0]]
    h = jtorch.histogram(x, 2)
    assert h.hist.tolist() == [4.0, 2.0] and h.bin_edges.tolist() == [1.0, 5.0, 9.0]
    close(jtorch.hann_window(4), [0.0, 0.5, 1.0, 0.5])
    y = x.clone()
    assert jtorch.exp_(y) is y
    assert jtorch.transpose_copy(x, 0, 1).shape == (3, 2) and x.sum_to_size(1, 3).tolist() == [[4.0, 7.0, 13.0]]
