"""Views: PyTorch's shared storage emulated over immutable jax arrays.

A view is its storage owner (a root Tensor) plus a chain of steps. Each step has a static
part (hashable, baked into compiled code) and a dynamic part (index starts, passed as traced
ints so `x[i]` in a loop compiles once). Reading applies the chain to the owner's array
(cached per storage version); writing through a view is one functional update of the
owner's array: each step knows how to put a new value for its output back into its input.

Steps (static part):
    ("index", items)       items per input dim: ("i",) int, ("s", size, step) slice, ("n",) new axis
    ("perm", perm)         transpose/permute
    ("reshape", shape)     view/reshape/flatten/squeeze/unsqueeze
    ("expand", shape)      expand/broadcast_to (read-only where it repeats elements)
    ("diag", offset, d1, d2), ("unfold", dim, size, step), ("strided", size, stride, offset)
    ("real",), ("imag",)
    ("bitcast", old, new)  view(dtype): the bytes reinterpreted (numpy dtypes; the last dim
                           scales by the itemsize ratio)
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax


# ---- reading and writing one step -------------------------------------------------------

def _index_plan(shape, items, starts):
    """dynamic_slice starts/sizes, the strided slice and the final shape of an index step."""
    st, sz, strided, final = [], [], [], []
    it = iter(starts)
    d = 0
    for item in items:
        if item[0] == "n":
            final.append(1)
            continue
        s = next(it)
        if item[0] == "i":
            st.append(s)
            sz.append(1)
            strided.append(slice(None))
        else:
            n, k = item[1], item[2]
            st.append(s)
            sz.append((n - 1) * k + 1 if n > 0 else 0)
            strided.append(slice(None, None, k))
            final.append(n)
        d += 1
    for rest in shape[d:]:
        st.append(0)
        sz.append(rest)
        strided.append(slice(None))
        final.append(rest)
    return st, sz, tuple(strided), tuple(final)


def read_step(x, step, dyn, xp=jnp):
    kind = step[0]
    if kind == "index":
        st, sz, strided, final = _index_plan(x.shape, step[1], dyn)
        if xp is np:
            y = x[tuple(slice(s, s + n) for s, n in zip(st, sz))]
        else:
            y = lax.dynamic_slice(x, [jnp.asarray(s, jnp.int64) for s in st], sz)
        return y[strided].reshape(final)
    if kind == "perm":
        return xp.transpose(x, step[1])
    if kind == "reshape":
        return x.reshape(step[1])
    if kind == "expand":
        return xp.broadcast_to(x, step[1])
    if kind == "diag":
        return xp.diagonal(x, step[1], step[2], step[3])
    if kind == "unfold":
        dim, size, k = step[1], step[2], step[3]
        n = (x.shape[dim] - size) // k + 1
        idx = (np.arange(n)[:, None] * k + np.arange(size)[None, :]).reshape(-1)
        y = xp.take(x, idx, axis=dim)
        y = y.reshape(x.shape[:dim] + (n, size) + x.shape[dim + 1:])
        return xp.moveaxis(y, dim + 1, -1)
    if kind == "strided":
        return x.reshape(-1)[_strided_index(step[1], step[2], step[3])]
    if kind == "real":
        return xp.real(x)
    if kind == "imag":
        return xp.imag(x)
    if kind == "bitcast":
        return x.view(step[2])
    raise AssertionError(kind)


def _strided_index(size, stride, offset):
    idx = np.full((), offset, np.int64)
    for n, s in zip(size, stride):
        idx = idx[..., None] + np.arange(n, dtype=np.int64) * s
    return idx


def write_step(x, step, dyn, v):
    """x with the elements that `read_step(x, step)` selects replaced by v."""
    kind = step[0]
    if kind == "bitcast":
        return jnp.asarray(v, step[2]).view(step[1])
    v = v.astype(x.dtype) if kind not in ("real", "imag") else v
    if kind == "index":
        st, sz, strided, final = _index_plan(x.shape, step[1], dyn)
        starts = [jnp.asarray(s, jnp.int64) for s in st]
        region_shape = tuple(len(range(0, n, s.step or 1)) for n, s in zip(sz, strided))
        v = jnp.broadcast_to(v, final).reshape(region_shape)
        if all(s.step in (None, 1) for s in strided):
            return lax.dynamic_update_slice(x, v, starts)
        region = lax.dynamic_slice(x, starts, sz).at[strided].set(v)
        return lax.dynamic_update_slice(x, region, starts)
    if kind == "perm":
        return jnp.transpose(v, np.argsort(step[1]))
    if kind == "reshape":
        return v.reshape(x.shape)
    if kind == "real":
        return lax.complex(v.astype(x.real.dtype), jnp.imag(x))
    if kind == "imag":
        return lax.complex(jnp.real(x), v.astype(x.real.dtype))
    # diag, unfold, strided, expand: scatter through the index map of the step.
    idx = read_step(np.arange(math.prod(x.shape), dtype=np.int64).reshape(x.shape), step, dyn, np)
    return x.reshape(-1).at[idx.reshape(-1)].set(v.reshape(-1)).reshape(x.shape)


def read_chain(x, dyn, steps):
    for step, d in zip(steps, dyn):
        x = read_step(x, step, d)
    return x


def write_chain(x, dyn, v, steps):
    if not steps:
        return jnp.broadcast_to(v, x.shape).astype(x.dtype)
    inner = read_step(x, steps[0], dyn[0])
    return write_step(x, steps[0], dyn[0], write_chain(inner, dyn[1:], v, steps[1:]))


read_chain_jit = jax.jit(read_chain, static_argnums=2)
write_chain_jit = jax.jit(write_chain, static_argnums=3)
write_chain_donate = jax.jit(write_chain, static_argnums=3, donate_argnums=0)


# ---- strides, the way PyTorch reports them ----------------------------------------------

def contiguous_strides(shape):
    out, acc = [], 1
    for n in reversed(shape):
        out.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(out))


def view_strides(shape, stride, new):
    """Strides of `new` as a view of (shape, stride), or None where PyTorch must copy."""
    if math.prod(shape) == 0 or not shape:
        return contiguous_strides(new)
    newstride = [0] * len(new)
    view_d = len(new) - 1
    chunk = stride[-1]
    t_numel = v_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        t_numel *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and stride[d - 1] != t_numel * chunk):
            # `!=` rather than torch's `<` (the same here: v_numel only grows, so past t_numel
            # it never equals it and None follows); symbolic sizes (jtorch.export) can decide it
            while view_d >= 0 and (v_numel != t_numel or new[view_d] == 1):
                newstride[view_d] = v_numel * chunk
                v_numel *= new[view_d]
                view_d -= 1
            if v_numel != t_numel:
                return None
            if d > 0:
                chunk = stride[d - 1]
                t_numel = v_numel = 1
    if view_d != -1:
        return None
    return tuple(newstride)


def meta_step(meta, step, dyn):
    """(shape, stride, offset) after one step."""
    shape, stride, off = meta
    kind = step[0]
    if kind == "index":
        ns, nst = [], []
        it = iter(dyn)
        d = 0
        for item in step[1]:
            if item[0] == "n":
                ns.append(1)
                nst.append(stride[d] * shape[d] if d < len(shape) else 1)
                continue
            s = next(it)
            off += s * stride[d]
            if item[0] == "s":
                ns.append(item[1])
                nst.append(stride[d] * item[2])
            d += 1
        return tuple(ns) + shape[d:], tuple(nst) + stride[d:], off
    if kind == "perm":
        return tuple(shape[p] for p in step[1]), tuple(stride[p] for p in step[1]), off
    if kind == "reshape":
        ns = view_strides(shape, stride, step[1])
        return step[1], ns if ns is not None else contiguous_strides(step[1]), off
    if kind == "expand":
        new = step[1]
        lead = len(new) - len(shape)
        nst = [0] * lead + [0 if (n != o) else s for n, o, s in zip(new[lead:], shape, stride)]
        return tuple(new), tuple(nst), off
    if kind == "diag":
        o, d1, d2 = step[1], step[2], step[3]
        n = max(0, min(shape[d1] + min(o, 0), shape[d2] - max(o, 0)))
        off += o * stride[d2] if o >= 0 else -o * stride[d1]
        keep = [i for i in range(len(shape)) if i not in (d1, d2)]
        return (tuple(shape[i] for i in keep) + (n,),
                tuple(stride[i] for i in keep) + (stride[d1] + stride[d2],), off)
    if kind == "unfold":
        dim, size, k = step[1], step[2], step[3]
        n = (shape[dim] - size) // k + 1
        ns = shape[:dim] + (n,) + shape[dim + 1:] + (size,)
        nst = stride[:dim] + (stride[dim] * k,) + stride[dim + 1:] + (stride[dim],)
        return ns, nst, off
    if kind == "strided":
        return tuple(step[1]), tuple(step[2]), step[3]
    if kind in ("real", "imag"):
        return shape, tuple(2 * s for s in stride), 2 * off + (kind == "imag")
    if kind == "bitcast":
        o, n = step[1].itemsize, step[2].itemsize
        if o == n:
            return meta
        up, down = (o // n, 1) if o > n else (1, n // o)
        return (shape[:-1] + (shape[-1] * up // down,),
                tuple(s * up // down for s in stride[:-1]) + (1,), off * up // down)
    raise AssertionError(kind)


def overlapping(shape, stride) -> bool:
    """True where several elements share one memory location (PyTorch refuses to write there)."""
    return any(s == 0 and n > 1 for n, s in zip(shape, stride))
