"""Recurrent op bodies: whole multi-layer RNN/LSTM/GRU layers (one `lax.scan` per layer and
direction) and the single-step cells (`torch.lstm_cell`, `torch.gru_cell`, ...).

Weights come in PyTorch's flat order per layer and direction: w_ih, w_hh, [b_ih, b_hh], [w_hr].
Packed sequences arrive as their flat data plus a static tuple of batch sizes; the body pads
them, runs a masked scan (finished sequences keep their state) and packs the output again.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array, lax

from ._registry import op


def _lin(x, w, b=None):
    # Contract w's second dim directly: `x @ w.T` makes XLA copy the transposed weight.
    y = lax.dot_general(x, w, (((x.ndim - 1,), (1,)), ((), ())))
    return y if b is None else y + b


def _step(mode, xg, h, c, w_hh, b_hh, w_hr):
    """One time step given the input part of the gates `xg`; returns (h, c)."""
    hg = _lin(h, w_hh, b_hh)
    if mode == "LSTM":
        i, f, g, o = jnp.split(xg + hg, 4, axis=-1)
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
        h = jax.nn.sigmoid(o) * jnp.tanh(c)
        return (h if w_hr is None else _lin(h, w_hr)), c
    if mode == "GRU":
        xr, xz, xn = jnp.split(xg, 3, axis=-1)
        hr, hz, hn = jnp.split(hg, 3, axis=-1)
        r, z = jax.nn.sigmoid(xr + hr), jax.nn.sigmoid(xz + hz)
        n = jnp.tanh(xn + r * hn)
        return (1 - z) * n + z * h, c
    a = xg + hg
    return (jnp.tanh(a) if mode == "RNN_TANH" else jax.nn.relu(a)), c


def _scan(mode, x, mask, h0, c0, w):
    """One layer, one direction over time-major `x` (T, B, I); `mask` (T, B) or None."""
    w_ih, w_hh, b_ih, b_hh, w_hr = w
    xg = _lin(x, w_ih, b_ih)  # the input half of every gate, for all steps in one matmul

    def body(carry, inp):
        h, c = carry
        g, m = inp
        h2, c2 = _step(mode, g, h, c, w_hh, b_hh, w_hr)
        if m is not None:
            m = m[:, None]
            h2 = jnp.where(m, h2, h)
            c2 = None if c is None else jnp.where(m, c2, c)
            return (h2, c2), jnp.where(m, h2, 0)
        return (h2, c2), h2
    (h, c), out = lax.scan(body, (h0, c0), (xg, mask))
    return out, h, c


def _weights(flat, has_biases, proj):
    per = 2 + 2 * has_biases + (proj > 0)
    groups = []
    for i in range(0, len(flat), per):
        g = list(flat[i:i + per])
        w_ih, w_hh = g[0], g[1]
        b_ih, b_hh = (g[2], g[3]) if has_biases else (None, None)
        w_hr = g[-1] if proj > 0 else None
        groups.append((w_ih, w_hh, b_ih, b_hh, w_hr))
    return groups


def _packed_index(batch_sizes):
    """(T, B) rows of the flat data for each padded slot (N = padding) and the lengths."""
    bs = np.asarray(batch_sizes, np.int64)
    T, B = len(bs), int(bs[0])
    offs = np.concatenate([[0], np.cumsum(bs)[:-1]])
    n = int(bs.sum())
    b = np.arange(B)[None, :]
    idx = np.where(b < bs[:, None], offs[:, None] + b, n)
    lengths = (bs[:, None] > np.arange(B)[None, :]).sum(0)
    return idx, lengths


@op(promote=None, method=False, public=False, grad_name="MkldnnRnnLayerBackward0")
def _rnn(input: Array, hx: Array, cx: Array, weights: list[Array], dropout_masks: list[Array],
         mode: str, num_layers: int, bidirectional: bool, batch_first: bool, has_biases: bool,
         proj_size: int, batch_sizes):
    """Run a stacked (bi)directional recurrent net; returns (output, h_n, c_n or None).

    `batch_sizes` is None for padded input (T, B, I) (or (B, T, I) when batch_first), else
    the static batch sizes of a packed input whose flat data is `input`.
    """
    if batch_sizes is not None:
        idx, lengths = _packed_index(batch_sizes)
        x = jnp.concatenate([input, jnp.zeros((1,) + input.shape[1:], input.dtype)])[idx]
        T = x.shape[0]
        mask = jnp.asarray(np.arange(T)[:, None] < lengths[None, :])
        t = np.arange(T)[:, None]
        rev = jnp.asarray(np.where(t < lengths[None, :], lengths[None, :] - 1 - t, t))
    else:
        x = jnp.swapaxes(input, 0, 1) if batch_first else input
        mask = rev = None
    D = 2 if bidirectional else 1
    groups = _weights(weights, has_biases, proj_size)
    hs, cs = [], []
    for layer in range(num_layers):
        outs = []
        for d in range(D):
            i = layer * D + d
            c0 = None if cx is None else cx[i]
            xin = x if d == 0 else _reverse(x, rev)
            o, h, c = _scan(mode, xin, mask, hx[i], c0, groups[i])
            outs.append(o if d == 0 else _reverse(o, rev))
            hs.append(h)
            cs.append(c)
        x = outs[0] if D == 1 else jnp.concatenate(outs, axis=-1)
        if dropout_masks and layer < num_layers - 1:
            x = x * dropout_masks[layer]
    h_n = jnp.stack(hs)
    c_n = None if cx is None else jnp.stack(cs)
    if batch_sizes is not None:
        valid = np.asarray(idx).reshape(-1) < int(np.sum(batch_sizes))
        out = x.reshape((-1,) + x.shape[2:])[np.nonzero(valid)[0]]
    else:
        out = jnp.swapaxes(x, 0, 1) if batch_first else x
    return out, h_n, c_n


def _reverse(x, rev):
    if rev is None:
        return jnp.flip(x, axis=0)
    return jnp.take_along_axis(x, rev[:, :, None], axis=0)


# ---- single-step cells (torch.rnn_tanh_cell, ...) -------------------------------------------

@op(promote=None, method=False, grad_name="TanhBackward0")
def rnn_tanh_cell(input: Array, hx: Array, w_ih: Array, w_hh: Array, b_ih: Array = None,
                  b_hh: Array = None):
    """Matches `torch.rnn_tanh_cell`."""
    return _step("RNN_TANH", _lin(input, w_ih, b_ih), hx, None, w_hh, b_hh, None)[0]


@op(promote=None, method=False, grad_name="ReluBackward0")
def rnn_relu_cell(input: Array, hx: Array, w_ih: Array, w_hh: Array, b_ih: Array = None,
                  b_hh: Array = None):
    """Matches `torch.rnn_relu_cell`."""
    return _step("RNN_RELU", _lin(input, w_ih, b_ih), hx, None, w_hh, b_hh, None)[0]


@op(promote=None, method=False, grad_name="AddBackward0")
def gru_cell(input: Array, hx: Array, w_ih: Array, w_hh: Array, b_ih: Array = None,
             b_hh: Array = None):
    """Matches `torch.gru_cell`."""
    return _step("GRU", _lin(input, w_ih, b_ih), hx, None, w_hh, b_hh, None)[0]


@op(promote=None, method=False, grad_name="MulBackward0")
def lstm_cell(input: Array, hx: list[Array], w_ih: Array, w_hh: Array, b_ih: Array = None,
              b_hh: Array = None):
    """Matches `torch.lstm_cell` (`hx` is `(h, c)`; returns `(h', c')`)."""
    h, c = hx
    return _step("LSTM", _lin(input, w_ih, b_ih), h, c, w_hh, b_hh, None)
