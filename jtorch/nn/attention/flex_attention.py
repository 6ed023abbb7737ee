"""torch.nn.attention.flex_attention: attention with a user `score_mod` and `mask_mod`.

jtorch computes it densely: the mods are called once on broadcast index tensors
(`b` [B,1,1,1], `h` [1,H,1,1], `q_idx` [1,1,L,1], `kv_idx` [1,1,1,S]) instead of being
vmapped per element, so they must be written with tensor ops (as torch's are: no Python
branching on the indices). A `BlockMask` keeps its `mask_mod` and is applied exactly; its
block-sparse tables are not built (no kernel would read them).
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple


_DEFAULT_SPARSE_BLOCK_SIZE = 128
_LARGE_SPARSE_BLOCK_SIZE = 1 << 30


class AuxRequest(NamedTuple):
    """Matches `torch.nn.attention.flex_attention.AuxRequest`."""
    lse: bool = False
    max_scores: bool = False


class AuxOutput(NamedTuple):
    """Matches `torch.nn.attention.flex_attention.AuxOutput`."""
    lse: object = None
    max_scores: object = None


def _idx(B, H, L, S, device=None):
    import jtorch
    ar = lambda n: jtorch.arange(n, device=device)  # noqa: E731
    return (ar(B).view(B, 1, 1, 1), ar(H).view(1, H, 1, 1), ar(L).view(1, 1, L, 1),
            ar(S).view(1, 1, 1, S))


def noop_mask(b, h, q_idx, kv_idx):
    """Matches `torch.nn.attention.flex_attention.noop_mask`: attends everywhere."""
    import jtorch
    return jtorch.ones((), dtype=jtorch.bool, device=b.device)


def and_masks(*mask_mods: Callable) -> Callable:
    """Matches `torch.nn.attention.flex_attention.and_masks`."""
    if not all(callable(m) for m in mask_mods):
        raise RuntimeError(f"All inputs should be callable mask_mods: {mask_mods}")

    def mask(b, h, q_idx, kv_idx):
        out = noop_mask(b, h, q_idx, kv_idx)
        for m in mask_mods:
            out = out & m(b, h, q_idx, kv_idx)
        return out
    return mask


def or_masks(*mask_mods: Callable) -> Callable:
    """Matches `torch.nn.attention.flex_attention.or_masks`."""
    if not all(callable(m) for m in mask_mods):
        raise RuntimeError(f"All inputs should be callable mask_mods: {mask_mods}")

    def mask(b, h, q_idx, kv_idx):
        out = ~noop_mask(b, h, q_idx, kv_idx)
        for m in mask_mods:
            out = out | m(b, h, q_idx, kv_idx)
        return out
    return mask


def create_mask(mod_fn: Callable, B, H, Q_LEN: int, KV_LEN: int, device=None):
    """Matches `torch.nn.attention.flex_attention.create_mask`: the dense bool mask [B,H,Q,KV]."""
    import jtorch
    B, H = B or 1, H or 1
    b, h, q, kv = _idx(B, H, Q_LEN, KV_LEN, device)
    if _is_score_mod(mod_fn):
        out = mod_fn(jtorch.zeros((), device=device), b, h, q, kv)
        return jtorch.where(jtorch.isneginf(out), False, True).expand(B, H, Q_LEN, KV_LEN)
    return jtorch.as_tensor(mod_fn(b, h, q, kv), device=device).bool().expand(B, H, Q_LEN, KV_LEN)


def _is_score_mod(fn) -> bool:
    import inspect
    try:
        n = sum(p.default is inspect.Parameter.empty
                for p in inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    return n == 5


class BlockMask:
    """Matches `torch.nn.attention.flex_attention.BlockMask` (see the module note)."""

    def __init__(self, mask_mod: Callable, B: int, H: int, Q_LEN: int, KV_LEN: int,
                 BLOCK_SIZE=(_DEFAULT_SPARSE_BLOCK_SIZE, _DEFAULT_SPARSE_BLOCK_SIZE), device=None):
        self.mask_mod = mask_mod
        self.seq_lengths = (Q_LEN, KV_LEN)
        self.BLOCK_SIZE = BLOCK_SIZE
        self._shape = (B, H, Q_LEN, KV_LEN)
        self.device = device

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return self._shape

    def dense_mask(self):
        """The exact [B, H, Q_LEN, KV_LEN] bool mask (jtorch-only helper)."""
        return create_mask(self.mask_mod, *self._shape, device=self.device)

    def to_dense(self):
        """Matches `BlockMask.to_dense`: which (q block, kv block) pairs attend anywhere."""
        import jtorch
        B, H, L, S = self._shape
        bq, bk = self.BLOCK_SIZE
        nq, nk = -(-L // bq), -(-S // bk)
        m = self.dense_mask()
        m = jtorch.nn.functional.pad(m, (0, nk * bk - S, 0, nq * bq - L))
        return m.view(B, H, nq, bq, nk, bk).any(5).any(3).to(jtorch.int32)

    def to(self, device) -> "BlockMask":
        return BlockMask(self.mask_mod, *self._shape, BLOCK_SIZE=self.BLOCK_SIZE, device=device)

    def __repr__(self):
        return f"BlockMask(shape={self._shape}, mask_mod={getattr(self.mask_mod, '__name__', self.mask_mod)})"


def create_block_mask(mask_mod: Callable, B, H, Q_LEN: int, KV_LEN: int, device=None,
                      BLOCK_SIZE=_DEFAULT_SPARSE_BLOCK_SIZE, _compile=False, separate_full_blocks=True,
                      compute_dq_write_order=False, dq_kv_order=True) -> BlockMask:
    """Matches `torch.nn.attention.flex_attention.create_block_mask` (no block tables)."""
    if _is_score_mod(mask_mod):
        raise AssertionError("create_block_mask requires a mask_mod function (4 arguments), "
                             "not a score_mod (5 arguments)")
    bs = BLOCK_SIZE if isinstance(BLOCK_SIZE, tuple) else (BLOCK_SIZE, BLOCK_SIZE)
    return BlockMask(mask_mod, B or 1, H or 1, Q_LEN, KV_LEN, BLOCK_SIZE=bs, device=device)


def flex_attention(query, key, value, score_mod=None, block_mask=None, scale=None,
                   enable_gqa=False, return_lse=False, kernel_options=None, *, return_aux=None):
    """Matches `torch.nn.attention.flex_attention.flex_attention` (dense; see the module note)."""
    import jtorch
    if query.dim() != 4 or key.dim() != 4 or value.dim() != 4:
        raise ValueError("NYI: query, key, and value must be 4D tensors")
    B, Hq, L, E = query.shape
    Hkv, S = key.shape[1], key.shape[2]
    if Hq != Hkv:
        if not enable_gqa:
            raise ValueError(f"Expect query and key/value to have the same number of heads but got "
                             f"Hq={Hq} and Hkv={Hkv}. Try setting enable_gqa=True for GQA.")
        if Hq % Hkv:
            raise ValueError(f"Expect number of query heads to be a multiple of kv heads for GQA but "
                             f"got Hq={Hq} and Hkv={Hkv}.")
        key = key.repeat_interleave(Hq // Hkv, dim=1)
        value = value.repeat_interleave(Hq // Hkv, dim=1)
    scale = 1.0 / math.sqrt(E) if scale is None else scale
    s = jtorch.matmul(query, key.transpose(-2, -1)) * scale
    b, h, q, kv = _idx(B, Hq, L, S, query.device)
    if score_mod is not None:
        s = score_mod(s, b, h, q, kv)
    if block_mask is not None:
        if tuple(block_mask.seq_lengths) != (L, S):
            raise ValueError(f"block_mask was created for block_mask.shape={block_mask.shape} but "
                             f"got q_len={L} and kv_len={S}.")
        keep = jtorch.as_tensor(block_mask.mask_mod(b, h, q, kv)).bool()
        s = s.masked_fill(~keep, float("-inf"))
    m = s.amax(-1, keepdim=True).detach()
    m = jtorch.where(jtorch.isinf(m), jtorch.zeros_like(m), m)
    e = jtorch.exp(s - m)
    denom = e.sum(-1, keepdim=True)
    out = jtorch.matmul(e / jtorch.where(denom == 0, jtorch.ones_like(denom), denom), value)
    out = out.to(query.dtype)
    want_lse = return_lse or (return_aux is not None and return_aux.lse)
    lse = (jtorch.log(denom) + m).squeeze(-1).float() if want_lse else None
    if return_aux is not None:
        mx = s.amax(-1).float() if return_aux.max_scores else None
        return out, AuxOutput(lse=lse, max_scores=mx)
    return (out, lse) if return_lse else out
