"""stft / istft on both libraries: layouts, windows, padding modes, normalization, gradients."""
import numpy as np
import pytest

from compat._harness import randn

X = randn(2, 40)
X1 = randn(33, seed=1)

STFT = {
    "default": dict(n_fft=8, return_complex=True),
    "hop_win": dict(n_fft=8, hop_length=3, win_length=6, return_complex=True, normalized=True),
    "no_center_real_view": dict(n_fft=7, center=False, return_complex=False),
    "two_sided_constant": dict(n_fft=8, onesided=False, return_complex=True, pad_mode="constant"),
}


@pytest.mark.parametrize("name", sorted(STFT))
def test_stft(compat, name):
    kw = STFT[name]
    compat.same(lambda lib, x: lib.stft(x, window=lib.hann_window(kw.get("win_length", kw["n_fft"]),
                                                                  dtype=x.dtype), **kw),
                X, grad=name != "two_sided_constant", grad_fn=False, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("center", [True, False])
def test_istft_round_trip(compat, center):
    def f(lib, x):
        w = lib.hann_window(8, dtype=x.dtype) + 0.1  # no zeros: invertible without centering
        s = lib.stft(x, 8, hop_length=2, window=w, center=center, return_complex=True)
        return [lib.istft(s, 8, hop_length=2, window=w, center=center),
                lib.istft(s, 8, hop_length=2, window=w, center=center, length=30)]
    compat.same(f, X1, grad=True, grad_fn=False, rtol=1e-6, atol=1e-8)


def test_istft_two_sided_real(compat):
    z = (randn(8, 6, seed=2) + 1j * randn(8, 6, seed=3)).astype(np.complex128)
    compat.same(lambda lib, s: lib.istft(s, 8, hop_length=2, onesided=False), z, grad=False,
                rtol=1e-6, atol=1e-8)
