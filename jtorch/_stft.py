"""Short-time Fourier transforms: `torch.stft` and `torch.istft` (also Tensor methods).

Each is one jax function of the signal and the window run with autograd through
`_dispatch.call_fn`; frame layout, padding, normalization and the window-envelope division
follow torch's definitions.
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from . import _dispatch


def _window(window, n_fft, win_length, dtype):
    """The window as an (n_fft,) array: ones by default, zero-padded on both sides if shorter."""
    w = jnp.ones((win_length,), dtype) if window is None else window
    left = (n_fft - win_length) // 2
    return jnp.pad(w, (left, n_fft - win_length - left))


def _check(n_fft, hop_length, win_length, window, length_of_signal=None):
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    if n_fft <= 0 or (length_of_signal is not None and n_fft > length_of_signal):
        raise RuntimeError(f"stft: expected 0 < n_fft <= {length_of_signal}, but got n_fft={n_fft}")
    if hop <= 0:
        raise RuntimeError(f"stft: expected hop_length > 0, but got hop_length={hop}")
    if not 0 < win <= n_fft:
        raise RuntimeError(f"stft: expected 0 < win_length <= n_fft, but got win_length={win}")
    if window is not None and (window.ndim != 1 or window.shape[0] != win):
        raise RuntimeError(f"stft: expected a 1D window tensor of size equal to win_length={win}, "
                           f"but got window with size {list(window.shape)}")
    return hop, win


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
         pad_mode="reflect", normalized=False, onesided=None, return_complex=None,
         align_to_window=None):
    """Matches `torch.stft` (`align_to_window=True` is not supported)."""
    if align_to_window:
        raise NotImplementedError("jtorch.stft: align_to_window=True is not supported")
    complex_in = input.is_complex() or (window is not None and window.is_complex())
    if return_complex is None:
        if not complex_in:
            raise RuntimeError("stft requires the return_complex parameter be given for real inputs, "
                               "and will further require that return_complex=True in a future "
                               "PyTorch release.")
        return_complex = True
    if input.ndim not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, but got {input.ndim}D tensor")
    if center:
        from .nn import functional as F
        p = n_fft // 2
        x = input if input.ndim == 2 else input.unsqueeze(0)
        x = F.pad(x.unsqueeze(1), (p, p), mode=pad_mode).squeeze(1)
        input = x if input.ndim == 2 else x.squeeze(0)
    hop, win = _check(n_fft, hop_length, win_length, window, input.shape[-1])
    onesided = not complex_in if onesided is None else onesided
    tensors = [input] + ([window] if window is not None else [])

    def f(x, w=None):
        w = _window(w, n_fft, win, x.real.dtype)
        n = 1 + (x.shape[-1] - n_fft) // hop
        idx = jnp.arange(n)[:, None] * hop + jnp.arange(n_fft)[None, :]
        frames = x[..., idx] * w  # (..., n_frames, n_fft)
        y = jnp.fft.rfft(frames, axis=-1) if onesided else jnp.fft.fft(frames, axis=-1)
        if normalized:
            y = y / jnp.sqrt(jnp.asarray(n_fft, x.real.dtype))
        y = jnp.swapaxes(y, -1, -2)
        return y if return_complex else jnp.stack([y.real, y.imag], axis=-1)
    return _dispatch.call_fn(f, tensors, name="StftBackward0")


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
          normalized=False, onesided=None, length=None, return_complex=False):
    """Matches `torch.istft` (complex input of shape (..., n_fft // 2 + 1 or n_fft, frames))."""
    if not input.is_complex():
        raise RuntimeError("istft requires a complex-valued input tensor")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"istft: expected a tensor with 2 or 3 dimensions of complex dtype, but "
                           f"got {input.ndim}")
    hop, win = _check(n_fft, hop_length, win_length, window)
    n_freq = input.shape[-2]
    onesided = (n_freq != n_fft) if onesided is None else onesided
    if onesided and n_freq != n_fft // 2 + 1:
        raise RuntimeError(f"istft: expected the frequency dimension (3rd to the last) of the input "
                           f"tensor to match n_fft / 2 + 1 when onesided=True, but got {n_freq}")
    if not onesided and n_freq != n_fft:
        raise RuntimeError(f"istft: expected the frequency dimension (3rd to the last) of the input "
                           f"tensor to match n_fft when onesided=False, but got {n_freq}")
    if return_complex and onesided:
        raise RuntimeError("cannot have onesided output if window or input is complex")
    n_frames = input.shape[-1]
    tensors = [input] + ([window] if window is not None else [])
    _check_overlap(window, n_fft, win, hop, n_frames, center, length)

    def f(z, w=None):
        rdt = z.real.dtype
        w = _window(w, n_fft, win, rdt if w is None or not jnp.iscomplexobj(w) else w.dtype)
        z = jnp.swapaxes(z, -1, -2)  # (..., frames, freq)
        if normalized:
            z = z * jnp.sqrt(jnp.asarray(n_fft, rdt))
        if return_complex:
            frames = jnp.fft.ifft(z, axis=-1)
        else:  # a real signal: only the first n_fft // 2 + 1 bins are read, as torch
            frames = jnp.fft.irfft(z[..., :n_fft // 2 + 1], n=n_fft, axis=-1)
        frames = frames * w
        total = n_fft + hop * (n_frames - 1)
        idx = (jnp.arange(n_frames)[:, None] * hop + jnp.arange(n_fft)[None, :]).reshape(-1)
        y = jnp.zeros(frames.shape[:-2] + (total,), frames.dtype)
        y = y.at[..., idx].add(frames.reshape(frames.shape[:-2] + (-1,)))
        # torch overlap-adds w**2 (not |w|**2): complex windows give a complex envelope
        env = jnp.zeros((total,), w.dtype).at[idx].add(jnp.tile(w * w, n_frames))
        start = n_fft // 2 if center else 0
        end = total - n_fft // 2 if center else total
        if length is not None:
            end = start + length
        y = y[..., start:end] / env[start:end]  # _check_overlap made sure env > 0 there
        if end > total:  # the frames end before `length`: zeros after, as torch
            y = jnp.pad(y, [(0, 0)] * (y.ndim - 1) + [(0, end - total)])
        return y
    return _dispatch.call_fn(f, tensors, name="IstftBackward0")


def _check_overlap(window, n_fft, win, hop, n_frames, center, length):
    """torch refuses windows whose overlap-added squares vanish inside the output (NOLA)."""
    w = np.ones(win) if window is None else np.asarray(window.detach()._concrete("torch.istft"))
    left = (n_fft - win) // 2
    w = np.pad(w, (left, n_fft - win - left)) ** 2
    total = n_fft + hop * (n_frames - 1)
    env = np.zeros(total, w.dtype)
    for i in range(n_frames):
        env[i * hop:i * hop + n_fft] += w
    start = n_fft // 2 if center else 0
    end = start + length if length is not None else total - (n_fft // 2 if center else 0)
    env = np.abs(env[start:end])
    if env.size and env.min() < 1e-11:
        raise RuntimeError(f"istft(...): window overlap add min: {env.min():g}")
    if end > total:
        import warnings
        warnings.warn("The length of signal is shorter than the length parameter. Result is being "
                      "padded with zeros in the tail. Please check your center and hop_length "
                      "settings.", UserWarning, stacklevel=3)


