"""stft / istft: values recorded from torch 2.13, round trips, torch's argument errors."""
import numpy as np
import pytest

import jtorch


def test_stft_values_and_round_trip():
    x = jtorch.arange(12.0)
    s = jtorch.stft(x, 4, hop_length=2, window=jtorch.ones(4), return_complex=True, center=False)
    assert s.shape == (3, 5)
    np.testing.assert_allclose(s[:, 0].numpy(), [6, -2 + 2j, -2])  # recorded from torch
    y = jtorch.istft(s, 4, hop_length=2, window=jtorch.ones(4), center=False, length=10)
    np.testing.assert_allclose(y.numpy(), np.arange(10.0), atol=1e-5)
    with pytest.warns(UserWarning, match="padded with zeros"):
        y = jtorch.istft(s, 4, hop_length=2, window=jtorch.ones(4), center=False, length=14)
    np.testing.assert_allclose(y.numpy(), list(range(12)) + [0, 0], atol=1e-5)


def test_centered_hann_round_trip_and_real_view():
    x = jtorch.randn(2, 40, dtype=jtorch.float64)
    w = jtorch.hann_window(8, dtype=jtorch.float64)
    s = jtorch.stft(x, 8, window=w, return_complex=True)
    assert s.shape == (2, 5, 21)
    np.testing.assert_allclose(jtorch.istft(s, 8, window=w).numpy(), x.numpy(), atol=1e-12)
    r = x.stft(8, window=w, return_complex=False)
    assert r.shape == (2, 5, 21, 2) and r.dtype is jtorch.float64


def test_gradient_flows_to_signal():
    x = jtorch.randn(32, requires_grad=True)
    jtorch.stft(x, 8, window=jtorch.hann_window(8), return_complex=True).abs().sum().backward()
    assert x.grad.shape == (32,) and bool(jtorch.isfinite(x.grad).all())


def test_errors():
    with pytest.raises(RuntimeError, match="return_complex"):
        jtorch.stft(jtorch.randn(16), 4)
    with pytest.raises(RuntimeError):
        jtorch.stft(jtorch.randn(16), 4, win_length=5, return_complex=True)
    s = jtorch.stft(jtorch.randn(40), 8, window=jtorch.hann_window(8, periodic=False), return_complex=True)
    with pytest.raises(RuntimeError, match="overlap add"):
        jtorch.istft(s, 8, window=jtorch.hann_window(8, periodic=False), length=45)
