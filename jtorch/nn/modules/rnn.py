"""Recurrent layers: RNN, LSTM, GRU (stacked, bidirectional, packed) and their cells.

A whole stacked layer is one op (`ops/rnn._rnn`, a `lax.scan` per layer and direction), so
its gradient is one `jax.vjp` of the whole recurrence.
"""
from __future__ import annotations

import math
import warnings

import jax.numpy as jnp

from ... import _dispatch, _dtype as D
from ..._creation import empty, zeros
from ..._sampling import rand
from ...autograd.grad_mode import no_grad
from ...ops._registry import REGISTRY
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _empty(shape, device, dtype):
    return Parameter(empty(shape, device=device, dtype=dtype or D.get_default_dtype()))


def _init_uniform(params, bound):
    """uniform_(-bound, bound) on every parameter from one draw.

    One draw (its length rounded up to a power of two) split on the host compiles one
    sampler per size bucket instead of one per parameter shape.
    """
    params = [p for p in params if p.numel() and not p.is_meta]  # meta: no data to draw
    if not params:
        return
    n = sum(p.numel() for p in params)
    u = rand(1 << (n - 1).bit_length(), dtype=params[0].dtype, device=params[0].device).numpy()
    u = u * (2 * bound) - bound
    off = 0
    with no_grad():
        for p in params:
            n = p.numel()
            p._set_array(jnp.asarray(u[off:off + n].reshape(tuple(p.shape)).astype(p.dtype.np)))
            off += n


class RNNBase(Module):
    """Matches `torch.nn.RNNBase`.

    A packed input compiles once per distinct `batch_sizes` (they are static shapes here);
    inter-layer dropout draws from jtorch's generator.
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        if not isinstance(dropout, (int, float)) or isinstance(dropout, bool) \
                or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}")
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError("hidden_size must be an integer greater than zero")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError("num_layers must be an integer greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        gate = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        D = 2 if bidirectional else 1
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for d in range(D):
                in_size = input_size if layer == 0 else real_hidden * D
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                shapes = [("weight_ih", (gate, in_size)), ("weight_hh", (gate, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate,)), ("bias_hh", (gate,))]
                if proj_size > 0:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                names = []
                for base, shape in shapes:
                    setattr(self, base + sfx, _empty(shape, device, dtype))
                    names.append(base + sfx)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    def __getstate__(self):
        # torch's RNNBase.__setstate__ reads `_flat_weights` from a pickled whole model.
        state = super().__getstate__()
        state["_flat_weights"] = self._flat_weights
        return state

    def __setstate__(self, state):
        state = dict(state)
        state.pop("_flat_weights", None)  # a property here (torch pickles it as a list)
        state.pop("_flat_weight_refs", None)
        super().__setstate__(state)

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """No-op (there is no cuDNN weight buffer to compact)."""

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        _init_uniform(list(self.parameters()), stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    def _check_hidden(self, h, want, msg="Expected hidden size {}, got {}"):
        if tuple(h.shape) != want:
            raise RuntimeError(msg.format(want, list(h.shape)))

    def forward(self, input, hx=None):
        packed = isinstance(input, PackedSequence)
        D = 2 if self.bidirectional else 1
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        lstm = self.mode == "LSTM"
        if packed:
            data, batch_sizes, sorted_idx, unsorted_idx = input
            bs = tuple(int(b) for b in batch_sizes.tolist())
            T, B = len(bs), bs[0]
            x = data
        else:
            bs, sorted_idx, unsorted_idx = None, None, None
            if input.dim() not in (2, 3):
                raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got "
                                 f"{input.dim()}D instead")
            batched = input.dim() == 3
            x = input if batched else input.unsqueeze(0 if self.batch_first else 1)
            if hx is not None and not batched:
                hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1)) if lstm else hx.unsqueeze(1)
            T, B = (x.shape[1], x.shape[0]) if self.batch_first else (x.shape[0], x.shape[1])
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.shape[-1]}")
        w0 = self._flat_weights[0]
        if hx is None:
            h0 = zeros(self.num_layers * D, B, real_hidden, dtype=x.dtype)
            c0 = zeros(self.num_layers * D, B, self.hidden_size, dtype=x.dtype) if lstm else None
        else:
            h0, c0 = hx if lstm else (hx, None)
            if sorted_idx is not None:
                h0 = h0.index_select(1, sorted_idx)
                c0 = None if c0 is None else c0.index_select(1, sorted_idx)
            if lstm:
                self._check_hidden(h0, (self.num_layers * D, B, real_hidden),
                                   "Expected hidden[0] size {}, got {}")
                self._check_hidden(c0, (self.num_layers * D, B, self.hidden_size),
                                   "Expected hidden[1] size {}, got {}")
            else:
                self._check_hidden(h0, (self.num_layers * D, B, real_hidden))
        masks = []
        if self.training and self.dropout > 0 and self.num_layers > 1:
            p = self.dropout
            for _ in range(self.num_layers - 1):
                keep = rand(T, B, real_hidden * D, dtype=w0.dtype) >= p
                masks.append(keep.to(w0.dtype) / (1 - p) if p < 1 else keep.to(w0.dtype))
        out, h_n, c_n = _dispatch.apply(
            REGISTRY["_rnn"],
            (x, h0, c0, self._flat_weights, masks, self.mode, self.num_layers, self.bidirectional,
             self.batch_first, self.bias, self.proj_size, bs))
        if unsorted_idx is not None:
            h_n = h_n.index_select(1, unsorted_idx)
            c_n = None if c_n is None else c_n.index_select(1, unsorted_idx)
        if packed:
            out = PackedSequence(out, batch_sizes, sorted_idx, unsorted_idx)
        elif not batched:
            out = out.squeeze(0 if self.batch_first else 1)
            h_n = h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        return out, ((h_n, c_n) if lstm else h_n)


class RNN(RNNBase):
    """Matches `torch.nn.RNN`."""

    def __init__(self, *args, **kwargs):
        nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__(mode, *args, **kwargs)


class LSTM(RNNBase):
    """Matches `torch.nn.LSTM`."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Matches `torch.nn.GRU`."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# ---- cells -------------------------------------------------------------------------------

class RNNCellBase(Module):
    """Matches `torch.nn.RNNCellBase`."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = _empty((num_chunks * hidden_size, input_size), device, dtype)
        self.weight_hh = _empty((num_chunks * hidden_size, hidden_size), device, dtype)
        if bias:
            self.bias_ih = _empty((num_chunks * hidden_size,), device, dtype)
            self.bias_hh = _empty((num_chunks * hidden_size,), device, dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        _init_uniform(list(self.parameters()), stdv)

    def _run(self, name, input, hx, two_states=False):
        if input.dim() not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got "
                             f"{input.dim()}D instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            z = zeros(input.shape[0], self.hidden_size, dtype=input.dtype)
            hx = (z, z) if two_states else z
        elif not batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0)) if two_states else hx.unsqueeze(0)
        h_first = hx[0] if two_states else hx
        if h_first.shape[0] != input.shape[0]:
            raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden0 batch "
                               f"size {h_first.shape[0]}")
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} "
                               f"expected {self.input_size}")
        h = _dispatch.apply(REGISTRY[name], (input, list(hx) if two_states else hx, self.weight_ih,
                                             self.weight_hh, self.bias_ih, self.bias_hh))
        if not batched:
            h = (h[0].squeeze(0), h[1].squeeze(0)) if two_states else h.squeeze(0)
        return tuple(h) if two_states else h


class RNNCell(RNNCellBase):
    """Matches `torch.nn.RNNCell`."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        return self._run(f"rnn_{self.nonlinearity}_cell", input, hx)


class LSTMCell(RNNCellBase):
    """Matches `torch.nn.LSTMCell`."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        return self._run("lstm_cell", input, hx, two_states=True)


class GRUCell(RNNCellBase):
    """Matches `torch.nn.GRUCell`."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        return self._run("gru_cell", input, hx)


__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]
