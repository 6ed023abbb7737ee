"""Packed sequences: PackedSequence, pack/pad helpers (matches `torch.nn.utils.rnn`)."""
from __future__ import annotations

from collections import namedtuple

import numpy as np

import jtorch

_Fields = namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_Fields):
    """Matches `torch.nn.utils.rnn.PackedSequence`."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence(data, batch_sizes) given as one tuple
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self):
        return self

    def cuda(self, *args, **kwargs):
        return self.to("cuda")

    def double(self):
        return self.to(dtype=jtorch.float64)

    def float(self):
        return self.to(dtype=jtorch.float32)

    def half(self):
        return self.to(dtype=jtorch.float16)

    @property
    def is_cuda(self):
        return False

    def is_pinned(self):
        return False


def invert_permutation(permutation):
    """The inverse of an index permutation (None stays None)."""
    if permutation is None:
        return None
    p = np.asarray(permutation.tolist(), np.int64)
    inv = np.empty_like(p)
    inv[p] = np.arange(len(p))
    return jtorch.tensor(inv.tolist(), dtype=jtorch.int64)


def _batch_sizes(lengths):
    """Batch size at each time step for lengths sorted in decreasing order."""
    lengths = np.asarray(lengths, np.int64)
    T = int(lengths[0]) if len(lengths) else 0
    return (lengths[None, :] > np.arange(T)[:, None]).sum(1)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Matches `torch.nn.utils.rnn.pack_padded_sequence`."""
    if isinstance(lengths, jtorch.Tensor):
        lengths = lengths.tolist()
    lengths = np.asarray(lengths, np.int64).reshape(-1)
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` to "
                               "pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
        sorted_indices = None
        order = np.arange(len(lengths))
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = jtorch.tensor(order.tolist(), dtype=jtorch.int64)
    if len(lengths) and lengths.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    if batch_first:
        input = input.transpose(0, 1)
    T, B = input.shape[0], input.shape[1]
    if len(lengths) != B:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(lengths)} (batch_size={B})")
    if lengths.max() > T:
        raise RuntimeError(f"Expected sequence length to be at most {T}, but got {lengths.max()}")
    ls = lengths[order]
    bs = _batch_sizes(ls)
    # Row t*B + order[b] of the (T*B, ...) padded input, for every valid (t, b), time-major.
    rows = [t * B + int(order[b]) for t in range(len(bs)) for b in range(int(bs[t]))]
    flat = input.reshape((T * B,) + tuple(input.shape[2:]))
    data = flat.index_select(0, jtorch.tensor(rows, dtype=jtorch.int64))
    return PackedSequence(data, jtorch.tensor(bs.tolist(), dtype=jtorch.int64), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Matches `torch.nn.utils.rnn.pad_packed_sequence`."""
    data, bs = sequence.data, np.asarray(sequence.batch_sizes.tolist(), np.int64)
    T, B, N = len(bs), int(bs[0]), int(bs.sum())
    if total_length is not None:
        if total_length < T:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {T}")
        T_out = total_length
    else:
        T_out = T
    offs = np.concatenate([[0], np.cumsum(bs)[:-1]])
    idx = np.full((T_out, B), N, np.int64)
    for t in range(T):
        idx[t, :bs[t]] = offs[t] + np.arange(bs[t])
    pad = jtorch.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype)
    ext = jtorch.cat([data, pad], 0)
    out = ext.index_select(0, jtorch.tensor(idx.reshape(-1).tolist(), dtype=jtorch.int64))
    out = out.reshape((T_out, B) + tuple(data.shape[1:]))
    lengths = (bs[None, :] > np.arange(B)[:, None]).sum(1)
    if sequence.unsorted_indices is not None:
        out = out.index_select(1, sequence.unsorted_indices)
        lengths = lengths[np.asarray(sequence.unsorted_indices.tolist(), np.int64)]
    if batch_first:
        out = out.transpose(0, 1)
    return out, jtorch.tensor(lengths.tolist(), dtype=jtorch.int64)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Matches `torch.nn.utils.rnn.pad_sequence`."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, jtorch.Tensor):
        sequences = list(sequences.unbind(0))
    T = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        n = T - s.shape[0]
        if n:
            fill = jtorch.full((n,) + tuple(s.shape[1:]), padding_value, dtype=s.dtype)
            s = jtorch.cat([s, fill] if padding_side == "right" else [fill, s], 0)
        padded.append(s)
    return jtorch.stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Matches `torch.nn.utils.rnn.unpad_sequence`."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    ls = lengths.tolist() if isinstance(lengths, jtorch.Tensor) else list(lengths)
    return [padded_sequences[i, :int(n)] for i, n in enumerate(ls)]


def pack_sequence(sequences, enforce_sorted=True):
    """Matches `torch.nn.utils.rnn.pack_sequence`."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """Matches `torch.nn.utils.rnn.unpack_sequence`."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]
