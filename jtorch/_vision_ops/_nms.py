"""torchvision's nms in JAX: greedy suppression in decreasing score order."""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import Array


def nms_keep(dets: Array, scores: Array, iou_threshold):
    """(order, keep mask in that order): boxes sorted by decreasing score, and which survive."""
    order = jnp.argsort(-scores, stable=True)
    b = dets[order]
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    lt = jnp.maximum(b[:, None, :2], b[None, :, :2])
    rb = jnp.minimum(b[:, None, 2:], b[None, :, 2:])
    wh = jnp.clip(rb - lt, 0)
    inter = wh[..., 0] * wh[..., 1]
    iou = inter / (area[:, None] + area[None, :] - inter)
    n = b.shape[0]
    later = jnp.arange(n)[None, :] > jnp.arange(n)[:, None]
    suppresses = (iou > iou_threshold) & later  # i (kept) removes later j with IoU above threshold

    def step(i, keep):
        return jnp.where(keep[i], keep & ~suppresses[i], keep)
    keep = jax.lax.fori_loop(0, n, step, jnp.ones((n,), bool))
    return order, keep
