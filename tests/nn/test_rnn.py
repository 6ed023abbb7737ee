"""RNN/LSTM/GRU, their cells and nn.utils.rnn, checked against a plain numpy recurrence."""
import numpy as np
import pytest

import jtorch
from jtorch import nn
from jtorch.nn.utils import rnn as R


def _sig(x):
    return 1 / (1 + np.exp(-x))


def _np_step(mode, x, h, c, w):
    w_ih, w_hh, b_ih, b_hh, w_hr = w
    gi = x @ w_ih.T + (0 if b_ih is None else b_ih)
    gh = h @ w_hh.T + (0 if b_hh is None else b_hh)
    if mode == "LSTM":
        i, f, g, o = np.split(gi + gh, 4, -1)
        c = _sig(f) * c + _sig(i) * np.tanh(g)
        h = _sig(o) * np.tanh(c)
        return (h if w_hr is None else h @ w_hr.T), c
    if mode == "GRU":
        (ir, iz, in_), (hr, hz, hn) = np.split(gi, 3, -1), np.split(gh, 3, -1)
        r, z = _sig(ir + hr), _sig(iz + hz)
        n = np.tanh(in_ + r * hn)
        return (1 - z) * n + z * h, c
    return (np.tanh(gi + gh) if mode == "RNN_TANH" else np.maximum(gi + gh, 0)), c


def _np_rnn(m, x, lengths=None):
    """Reference forward of a jtorch RNN module `m` on time-major numpy `x` (T, B, I)."""
    D = 2 if m.bidirectional else 1
    T, B = x.shape[:2]
    lengths = [T] * B if lengths is None else lengths
    H = m.proj_size or m.hidden_size
    hs, cs = [], []
    for layer in range(m.num_layers):
        outs = []
        for d in range(D):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            g = lambda n: None if not hasattr(m, n + sfx) else getattr(m, n + sfx).detach().numpy()
            w = (g("weight_ih"), g("weight_hh"), g("bias_ih"), g("bias_hh"), g("weight_hr"))
            out = np.zeros((T, B, H))
            hn, cn = np.zeros((B, H)), np.zeros((B, m.hidden_size))
            for b in range(B):
                h, c = np.zeros(H), np.zeros(m.hidden_size)
                steps = range(lengths[b]) if d == 0 else reversed(range(lengths[b]))
                for t in steps:
                    h, c = _np_step(m.mode, x[t, b], h, c, w)
                    out[t, b] = h
                hn[b], cn[b] = h, c
            outs.append(out)
            hs.append(hn)
            cs.append(cn)
        x = np.concatenate(outs, -1)
    return x, np.stack(hs), np.stack(cs)


def _np(t):
    return t.detach().numpy()


CASES = [
    (nn.LSTM, dict(num_layers=2, bidirectional=True, proj_size=2)),
    (nn.GRU, dict(num_layers=2, batch_first=True)),
    (nn.RNN, dict(nonlinearity="relu", bidirectional=True)),
    (nn.RNN, dict(bias=False)),
]


@pytest.mark.parametrize("cls,kw", CASES)
def test_forward_matches_numpy_recurrence(cls, kw):
    jtorch.manual_seed(0)
    m = cls(3, 4, **kw)
    x = np.random.default_rng(0).standard_normal((5, 2, 3)).astype(np.float32)
    xin = jtorch.tensor(x.transpose(1, 0, 2) if m.batch_first else x)
    out, h = m(xin)
    ref_out, ref_h, ref_c = _np_rnn(m, x.astype(np.float64))
    got = _np(out).transpose(1, 0, 2) if m.batch_first else _np(out)
    np.testing.assert_allclose(got, ref_out, rtol=1e-5, atol=1e-5)
    if isinstance(m, nn.LSTM):
        np.testing.assert_allclose(_np(h[0]), ref_h, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(_np(h[1]), ref_c, rtol=1e-5, atol=1e-5)
    else:
        np.testing.assert_allclose(_np(h), ref_h, rtol=1e-5, atol=1e-5)


def test_packed_lstm_matches_per_sequence_reference():
    jtorch.manual_seed(1)
    m = nn.LSTM(3, 4, bidirectional=True)
    x = np.random.default_rng(1).standard_normal((5, 3, 3)).astype(np.float32)
    lengths = [2, 5, 3]
    packed = R.pack_padded_sequence(jtorch.tensor(x), lengths, enforce_sorted=False)
    out, (h, c) = m(packed)
    assert isinstance(out, R.PackedSequence)
    padded, lens = R.pad_packed_sequence(out)
    assert lens.tolist() == lengths
    ref_out, ref_h, ref_c = _np_rnn(m, x.astype(np.float64), lengths)
    np.testing.assert_allclose(_np(padded), ref_out, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(_np(h), ref_h, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(_np(c), ref_c, rtol=1e-5, atol=1e-5)


def test_gradients_match_finite_differences():
    jtorch.manual_seed(2)
    m = nn.GRU(2, 3, bidirectional=True).double()
    x = jtorch.randn(4, 2, 2, dtype=jtorch.float64, requires_grad=True)
    out, h = m(x)
    (out.pow(2).sum() + h.sum()).backward()
    w = m.weight_hh_l0_reverse
    eps = 1e-6
    for idx in [(0, 0), (4, 1), (8, 2)]:
        with jtorch.no_grad():
            base = w[idx].item()
            w[idx] = base + eps
            o1, h1 = m(x)
            f1 = (o1.pow(2).sum() + h1.sum()).item()
            w[idx] = base - eps
            o2, h2 = m(x)
            f2 = (o2.pow(2).sum() + h2.sum()).item()
            w[idx] = base
        assert abs((f1 - f2) / (2 * eps) - w.grad[idx].item()) < 1e-6


def test_parameter_names_shapes_and_init_range():
    m = nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2)
    names = [n for n, _ in m.named_parameters()]
    assert names[:6] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0",
                         "weight_ih_l0_reverse"]
    assert tuple(m.weight_ih_l1.shape) == (20, 4)
    assert tuple(m.weight_hh_l0.shape) == (20, 2)
    assert tuple(m.weight_hr_l1_reverse.shape) == (2, 5)
    bound = 1 / np.sqrt(5)
    assert all(np.abs(_np(p)).max() <= bound for p in m.parameters())
    assert len(m.all_weights) == 4


def test_repr_text():
    assert repr(nn.RNN(3, 4, nonlinearity="relu", num_layers=2, bias=False, batch_first=True,
                       dropout=0.1, bidirectional=True)) == \
        "RNN(3, 4, num_layers=2, bias=False, batch_first=True, dropout=0.1, bidirectional=True)"
    assert repr(nn.LSTM(3, 4, proj_size=2)) == "LSTM(3, 4, proj_size=2)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu", bias=False)) == \
        "RNNCell(3, 4, bias=False, nonlinearity=relu)"
    assert repr(nn.LSTMCell(3, 4)) == "LSTMCell(3, 4)"


def test_errors():
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 1, 4\), got \[1, 2, 4\]"):
        nn.GRU(3, 4)(jtorch.randn(2, 1, 3), jtorch.zeros(1, 2, 4))
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size"):
        nn.GRU(3, 4)(jtorch.randn(2, 1, 5))
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.5)


def test_unbatched_and_given_hidden_state():
    jtorch.manual_seed(3)
    m = nn.LSTM(3, 4, batch_first=True)
    x = jtorch.randn(5, 3)
    h0, c0 = jtorch.randn(1, 4), jtorch.randn(1, 4)
    out, (h, c) = m(x, (h0, c0))
    out_b, (hb, cb) = m(x.unsqueeze(0), (h0.unsqueeze(1), c0.unsqueeze(1)))
    assert tuple(out.shape) == (5, 4) and tuple(h.shape) == (1, 4)
    np.testing.assert_allclose(_np(out), _np(out_b[0]), rtol=1e-6)
    np.testing.assert_allclose(_np(c), _np(cb[:, 0]), rtol=1e-6)


def test_dropout_between_layers_only_in_training():
    jtorch.manual_seed(4)
    m = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = jtorch.randn(4, 2, 3)
    m.eval()
    a, b = m(x)[0], m(x)[0]
    assert np.array_equal(_np(a), _np(b))
    m.train()
    c = m(x)[0]
    assert not np.allclose(_np(a), _np(c))


@pytest.mark.parametrize("cls,mode", [(nn.LSTMCell, "LSTM"), (nn.GRUCell, "GRU"),
                                      (nn.RNNCell, "RNN_TANH")])
def test_cells_match_numpy_step(cls, mode):
    jtorch.manual_seed(5)
    m = cls(3, 4)
    x = np.random.default_rng(5).standard_normal((2, 3))
    h0 = np.random.default_rng(6).standard_normal((2, 4))
    w = (_np(m.weight_ih), _np(m.weight_hh), _np(m.bias_ih), _np(m.bias_hh), None)
    ref_h, ref_c = _np_step(mode, x, h0, h0, w)
    hx = jtorch.tensor(h0, dtype=jtorch.float32)
    got = m(jtorch.tensor(x, dtype=jtorch.float32), (hx, hx) if mode == "LSTM" else hx)
    if mode == "LSTM":
        np.testing.assert_allclose(_np(got[1]), ref_c, rtol=1e-5, atol=1e-5)
        got = got[0]
    np.testing.assert_allclose(_np(got), ref_h, rtol=1e-5, atol=1e-5)


# ---- nn.utils.rnn ---------------------------------------------------------------------------

def test_pack_padded_sequence_layout():
    x = jtorch.arange(12.0).reshape(4, 3, 1)  # time-major; column b holds 3*t + b
    p = R.pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False)
    assert p.batch_sizes.tolist() == [3, 2, 1, 1]
    assert p.sorted_indices.tolist() == [1, 0, 2]
    assert p.unsorted_indices.tolist() == [1, 0, 2]
    assert p.data.reshape(-1).tolist() == [1.0, 0.0, 2.0, 4.0, 3.0, 7.0, 10.0]
    padded, lengths = R.pad_packed_sequence(p, batch_first=True, padding_value=-1.0,
                                            total_length=5)
    assert lengths.tolist() == [2, 4, 1]
    assert padded[:, :, 0].tolist() == [[0.0, 3.0, -1.0, -1.0, -1.0], [1.0, 4.0, 7.0, 10.0, -1.0],
                                        [2.0, -1.0, -1.0, -1.0, -1.0]]


def test_pack_requires_sorted_lengths():
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        R.pack_padded_sequence(jtorch.zeros(4, 3, 1), [2, 4, 1])


def test_pack_gradient_flows_to_valid_positions():
    x = jtorch.ones(3, 2, requires_grad=True)
    p = R.pack_padded_sequence(x, [3, 1])
    p.data.sum().backward()
    assert x.grad.tolist() == [[1.0, 1.0], [1.0, 0.0], [1.0, 0.0]]


def test_pad_sequence_sides_and_roundtrip():
    a, b = jtorch.tensor([1.0, 2.0, 3.0]), jtorch.tensor([4.0])
    assert R.pad_sequence([a, b], batch_first=True).tolist() == [[1.0, 2.0, 3.0], [4.0, 0.0, 0.0]]
    assert R.pad_sequence([a, b], padding_value=9.0, padding_side="left").tolist() == \
        [[1.0, 9.0], [2.0, 9.0], [3.0, 4.0]]
    seqs = [b, a]
    back = R.unpack_sequence(R.pack_sequence(seqs, enforce_sorted=False))
    assert [s.tolist() for s in back] == [[4.0], [1.0, 2.0, 3.0]]
