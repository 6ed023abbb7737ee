"""Reference-list names shipped late (issue 4): control flow, runtime facts, bytes, removed
functions, native nn entry points, symbolic helpers, autocast switches."""
import warnings

import numpy as np
import pytest

import jtorch as torch


def test_cond_compiles_both_branches():
    lin = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(lin.parameters(), lr=0.1)
    seen = []

    def step(x):
        opt.zero_grad()
        y = lin(x).sum()
        out = torch.cond(y > 0, lambda a: a * 2, lambda a: a - 1, (y,))
        out.backward()
        opt.step()
        return out

    cstep = torch.compile(step)
    x = torch.ones(4, 3)
    with torch.no_grad():
        lin.weight.fill_(1.0)
        lin.bias.fill_(0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback to eager would warn
        for _ in range(4):
            seen.append(cstep(x).item())
    # y = 4 * (3w + b). Step 1: y = 12 > 0, out = 24, grads 8 -> w = 0.2, b = -0.8. Then y < 0:
    # out = y - 1, grads 4: y = -0.8 -> -1.8; w = -0.2, b = -1.2: y = -7.2 -> -8.2; y = -13.6 -> -14.6.
    assert seen == pytest.approx([24.0, -1.8, -8.2, -14.6], rel=1e-5)


def test_cond_traced_matches_eager():
    import jax

    def f(xa):
        x = torch.Tensor._from_array(xa)
        r = torch.cond(x.sum() > 0, lambda a: (a * 2, a + 1), lambda a: (a - 1, a * 0), (x,))
        i, w = torch.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * 2), (torch.tensor(0), x))
        return r[0]._data, r[1]._data, w._data, i._data

    for v in ([1.0, 2.0], [-1.0, -2.0]):
        x = torch.tensor(v)
        a, b, w, i = jax.jit(f)(x._data)
        eager = f(x._data)
        for got, exp in zip((a, b, w, i), eager):
            np.testing.assert_allclose(np.asarray(got), np.asarray(exp))
        assert int(i) == 3


def test_cond_gradient_reaches_closed_over_parameters():
    lin = torch.nn.Linear(3, 1)
    x = torch.ones(2, 3)
    y = torch.cond(x.sum() > 0, lambda a: lin(a) * 3, lambda a: lin(a), (x,))
    y.sum().backward()
    assert torch.allclose(lin.weight.grad, torch.full((1, 3), 6.0))

    def step(x):  # traced: both branches run, `where` picks; the gradient still reaches lin
        lin.zero_grad()
        torch.cond(x.sum() > 0, lambda a: lin(a) * 3, lambda a: lin(a), (x,)).sum().backward()
        return lin.weight.grad.clone()

    cstep = torch.compile(step)
    for _ in range(3):
        g = cstep(x)
    assert torch.allclose(g, torch.full((1, 3), 6.0))
    assert torch.allclose(cstep(-x), torch.full((1, 3), -2.0))


def test_frombuffer_copies():
    b = bytearray(np.arange(4, dtype=np.float32).tobytes())
    t = torch.frombuffer(b, dtype=torch.float32, count=2, offset=4)
    assert t.tolist() == [1.0, 2.0]
    t[0] = 9.0
    assert np.frombuffer(b, np.float32)[1] == 1.0  # jtorch copies (torch would share)
    with pytest.raises(ValueError):
        torch.frombuffer(b"abc", dtype=torch.float32)


def test_removed_functions_name_linalg():
    with pytest.raises(RuntimeError, match="torch.linalg.solve"):
        torch.solve(torch.eye(2), torch.eye(2))
    with pytest.raises(RuntimeError, match="torch.linalg.eig"):
        torch.eye(2).eig()


def test_symbolic_helpers_are_plain_python():
    assert torch.sym_int(-2.5) == -2 and torch.sym_max(1, 2.0) == 2.0
    assert isinstance(torch.sym_max(1, 2.0), float) and torch.sym_sum([1, 2]) == 3
    assert not isinstance(3, torch.SymInt)
    with pytest.raises(RuntimeError, match="Invalid value range"):
        torch.sym_constrain_range(5, min=0, max=3)


def test_streams_are_cpu_handles():
    s = torch.Stream()
    assert s.query() and s.device.type == "cpu"
    with pytest.raises(RuntimeError, match="doesn't support events"):
        torch.Event().record()


def test_native_norm_statistics():
    x = torch.randn(4, 3, 2)
    out, mean, invstd = torch.native_batch_norm(x, None, None, None, None, True, 0.1, 1e-5)
    assert torch.allclose(mean, x.mean((0, 2)))
    assert torch.allclose(invstd, (x.var((0, 2), unbiased=False) + 1e-5).rsqrt())
    out, mean, rstd = torch.native_layer_norm(x, [2], None, None, 1e-5)
    assert mean.shape == (4, 3, 1) and torch.allclose(out, torch.nn.functional.layer_norm(x, [2]))
    _, m, r = torch.native_group_norm(x, None, None, 4, 3, 2, 3, 1e-5)
    assert m.shape == (4, 3) and r.requires_grad is False


def test_segment_reduce_and_conv_tbc():
    d = torch.tensor([1.0, 2, 3, 4, 5])
    assert torch.segment_reduce(d, "sum", lengths=torch.tensor([2, 0, 3])).tolist() == [3.0, 0.0, 12.0]
    assert torch.segment_reduce(d, "max", offsets=torch.tensor([0, 2, 5])).tolist() == [2.0, 5.0]
    x, w, b = torch.randn(5, 2, 3), torch.randn(2, 3, 4), torch.zeros(4)
    ref = torch.nn.functional.conv1d(x.permute(1, 2, 0), w.permute(2, 1, 0)).permute(2, 0, 1)
    assert torch.allclose(torch.conv_tbc(x, w, b), ref, atol=1e-6)


def test_functional_gru_matches_module():
    torch.manual_seed(0)
    m = torch.nn.GRU(3, 4, batch_first=True)
    x, h = torch.randn(2, 5, 3), torch.zeros(1, 2, 4)
    out, hn = torch.gru(x, h, list(m._flat_weights), True, 1, 0.0, False, False, True)
    ref, href = m(x, h)
    assert torch.allclose(out, ref) and torch.allclose(hn, href)


def test_global_autocast_switch():
    x = torch.ones(2, 3)
    try:
        torch.set_autocast_enabled("cpu", True)
        assert (x @ x.T).dtype is torch.bfloat16
    finally:
        torch.set_autocast_enabled("cpu", False)
    assert (x @ x.T).dtype is torch.float32
    with pytest.warns(DeprecationWarning):
        assert torch.get_autocast_cpu_dtype() is torch.bfloat16


def test_deterministic_debug_mode():
    try:
        torch.set_deterministic_debug_mode("error")
        assert torch.get_deterministic_debug_mode() == 2 and torch.are_deterministic_algorithms_enabled()
    finally:
        torch.set_deterministic_debug_mode(0)
    assert not torch.are_deterministic_algorithms_enabled()


def test_autograd_compat_names():
    A = torch.autograd
    assert int(A.DeviceType.CUDA) == 1 and A.ProfilerActivity.CPU != 0
    with pytest.raises(RuntimeError, match="torch.tensor"):
        A.variable(1)
    with A.enforce_grad_layout_policy(False):
        pass
    assert A.grad_mode.set_multithreading_enabled is A.set_multithreading_enabled


def test_hash_tensor_xors_bit_patterns():
    assert int(torch.hash_tensor(torch.tensor([1, 2, 3])).item()) == 0
    assert torch.hash_tensor(torch.tensor([5])).dtype is torch.uint64


def test_ormqr_applies_q():
    a_in = torch.randn(4, 3, dtype=torch.float64)
    a, tau = torch.geqrf(a_in)
    q = torch.ormqr(a, tau, torch.eye(4, dtype=torch.float64))
    assert torch.allclose(q.T @ q, torch.eye(4, dtype=torch.float64), atol=1e-10)
    r = torch.ormqr(a, tau, a_in, transpose=True)  # Q^T A = R (upper triangular)
    assert torch.allclose(r.tril(-1), torch.zeros(4, 3, dtype=torch.float64), atol=1e-10)


def test_dense_answers_sparse_queries():
    x = torch.ones(2, 3)
    assert x.to_dense() is x and x.sparse_dim() == 0 and x.dense_dim() == 2
    with pytest.raises(RuntimeError, match="sparse"):
        x.indices()


def test_grouped_mm_groups_rows():
    F = torch.nn.functional
    a, b = torch.randn(6, 4), torch.randn(2, 4, 3)
    out = F.grouped_mm(a, b, offs=torch.tensor([2, 6], dtype=torch.int32))
    assert torch.allclose(out[:2], a[:2] @ b[0], atol=1e-6) and torch.allclose(out[2:], a[2:] @ b[1], atol=1e-6)
    assert torch.allclose(F.grouped_mm(b.transpose(1, 2), b), torch.bmm(b.transpose(1, 2), b))


def test_future_callbacks():
    f = torch.Future()
    seen = []
    f.add_done_callback(lambda fut: seen.append(fut.value()))
    g = f.then(lambda fut: fut.value() + 1)
    f.set_result(1)
    assert seen == [1] and g.wait() == 2 and torch.wait(torch.fork(lambda: 3)) == 3
    e = torch.Future()
    e.set_exception(ValueError("x"))
    with pytest.raises(ValueError):
        e.wait()
