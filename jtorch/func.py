"""torch.func on JAX's transformations.

Each transform runs the user's torch-style function on Tensors that wrap JAX tracers (with
grad mode on, as torch.func does) and hands the arrays to the matching JAX transform. The
result is computed through `_dispatch.call_fn`, so when an input Tensor itself requires grad
the result stays connected to jtorch's tape autograd. Transforms compose (`jacrev(grad(f))`).
"""
from __future__ import annotations


import jax
import jax.numpy as jnp

from . import _dispatch
from ._tensor import Tensor
from .autograd.engine import _conj, _pb_torch  # JAX's reverse mode gives conjugates of torch's
from .autograd.grad_mode import enable_grad

__all__ = ["functional_call", "grad", "grad_and_value", "vjp", "jvp", "linearize", "jacrev",
           "jacfwd", "hessian", "vmap", "stack_module_state", "functionalize"]


def _is_t(x):
    return isinstance(x, Tensor)


class _IDict(dict):
    """A dict as JAX sees it inside torch.func: flattened in insertion order, as torch's pytree
    does (JAX sorts plain dicts' keys, so results would come back reordered)."""


jax.tree_util.register_pytree_node(_IDict, lambda d: (list(d.values()), tuple(d.keys())),
                                   lambda keys, vals: _IDict(zip(keys, vals)))


def _convert(tree, src, dst):
    if type(tree) is src:
        return dst((k, _convert(v, src, dst)) for k, v in tree.items())
    if type(tree) is list:
        return [_convert(v, src, dst) for v in tree]
    if type(tree) is tuple:
        return tuple(_convert(v, src, dst) for v in tree)
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):  # a namedtuple
        return type(tree)(*(_convert(v, src, dst) for v in tree))
    return tree


def _wrap(tree):
    """jax arrays (tracers included) -> Tensors; other leaves unchanged; dicts as torch's."""
    out = jax.tree_util.tree_map(lambda x: Tensor._from_array(x) if isinstance(x, jax.Array) else x,
                                 tree, is_leaf=_is_t)
    return _convert(out, _IDict, dict)


def _unwrap(tree):
    """Tensors -> their jax arrays; other leaves unchanged; dicts keep their order under JAX."""
    return jax.tree_util.tree_map(lambda x: x._data if _is_t(x) else x, _convert(tree, dict, _IDict),
                                  is_leaf=_is_t)


def _through_tape(jfn, inputs):
    """`jfn(arrays of inputs)` -> pytree of Tensors, differentiable by jtorch's tape autograd."""
    leaves, tdef = jax.tree_util.tree_flatten(_convert(inputs, dict, _IDict), is_leaf=_is_t)
    idx = [i for i, x in enumerate(leaves) if _is_t(x)]
    out_def = []

    def fn(*arrs):
        ls = list(leaves)
        for i, a in zip(idx, arrs):
            ls[i] = a
        out = jfn(jax.tree_util.tree_unflatten(tdef, ls))
        flat, od = jax.tree_util.tree_flatten(out)
        out_def.append(od)
        return tuple(flat)
    res = _dispatch.call_fn(fn, [leaves[i] for i in idx], "FuncBackward0")
    return _convert(jax.tree_util.tree_unflatten(out_def[-1], list(res)), _IDict, dict)


def _argnums(argnums, n):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums:
        raise RuntimeError("argnums must be non-empty")
    for a in nums:
        if not isinstance(a, int) or not -n <= a < n:
            raise RuntimeError(f"Got argnums={argnums}, but only {n} positional inputs")
    return tuple(a % n for a in nums)


def _split_aux(out, has_aux, name):
    if not has_aux:
        return out, None
    if not isinstance(out, tuple) or len(out) != 2:
        raise RuntimeError(f"{name}(f, ...)(*args): output of function f should be a tuple: "
                           "(output, aux) if has_aux is True")
    return out


def _diff_fn(func, args, kwargs, nums, has_aux, name, check_scalar=False):
    """A jax function of the arrays at `nums` returning (output arrays, aux arrays)."""
    def f(*diff):
        a = list(args)
        for i, v in zip(nums, diff):
            a[i] = v
        with enable_grad():
            out = func(*_wrap(tuple(a)), **kwargs)
        out, aux = _split_aux(out, has_aux, name)
        if check_scalar:
            if not _is_t(out):
                raise RuntimeError(f"{name}_and_value(f)(*args): Expected f(*args) to return a "
                                   f"Tensor, got {type(out)}")
            if out.dim() != 0:
                raise RuntimeError(f"{name}_and_value(f)(*args): Expected f(*args) to return a "
                                   f"scalar Tensor, got tensor with {out.dim()} dims. Maybe you "
                                   "wanted to use the vjp or jacrev APIs instead?")
        return _unwrap(out), _unwrap(aux)
    return f


# ---- grad ---------------------------------------------------------------------------------

def grad_and_value(func, argnums=0, has_aux=False):
    """Matches `torch.func.grad_and_value`."""
    def wrapper(*args, **kwargs):
        nums = _argnums(argnums, len(args))

        def jfn(arrs):
            # The other arguments come in as arrays too, so a Tensor among them that requires
            # grad stays connected to the tape through `_through_tape`.
            f = _diff_fn(func, arrs, kwargs, nums, has_aux, "grad", check_scalar=True)
            (value, aux), g = _value_and_grad(f, len(nums))(*[arrs[i] for i in nums])
            return _conj(g), value, aux
        g, value, aux = _through_tape(jfn, list(args))
        g = g[0] if isinstance(argnums, int) else g
        return (g, (value, aux)) if has_aux else (g, value)
    return wrapper


def _value_and_grad(f, n):
    # One trace: the output and aux come out of the same call as the gradient.
    def g(*d):
        out, aux = f(*d)
        return out, (out, aux)
    vg = jax.grad(g, argnums=tuple(range(n)), has_aux=True)

    def run(*d):
        grads, (out, aux) = vg(*d)
        return (out, aux), grads
    return run


def grad(func, argnums=0, has_aux=False):
    """Matches `torch.func.grad`."""
    gv = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, v = gv(*args, **kwargs)
        return (g, v[1]) if has_aux else g
    return wrapper


# ---- vjp / jvp / linearize ----------------------------------------------------------------

def vjp(func, *primals, has_aux=False):
    """Matches `torch.func.vjp`: returns `(output, vjp_fn[, aux])`; `vjp_fn(cotangents)` gives a tuple."""
    n = len(primals)
    f = _diff_fn(func, primals, {}, tuple(range(n)), has_aux, "vjp")
    out_aux = _through_tape(lambda arrs: f(*arrs), list(primals))
    # The pullback is built from the same function; calling it re-traces f once with jax.vjp.

    def vjp_fn(cotangents, retain_graph=True, create_graph=False):
        # As torch's autograd, cast each cotangent to its output's dtype.
        cotangents = jax.tree_util.tree_map(
            lambda c, o: c.to(o.dtype) if _is_t(c) and _is_t(o) and c.dtype != o.dtype else c,
            cotangents, out_aux[0], is_leaf=_is_t)

        def jfn(arrs):
            p, ct = arrs
            _, pb, _ = jax.vjp(f, *p, has_aux=True)
            return tuple(_pb_torch(pb, ct))
        return tuple(_through_tape(jfn, [list(primals), cotangents]))
    out, aux = out_aux
    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """Matches `torch.func.jvp`: returns `(output, jvp_out[, aux])`."""
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the "
                           f"same length but got {len(primals)} primals and {len(tangents)} tangents")
    n = len(primals)
    f = _diff_fn(func, primals, {}, tuple(range(n)), has_aux, "jvp")

    def jfn(arrs):
        p, t = arrs
        (out, aux), (tout, _) = jax.jvp(f, tuple(p), tuple(t))
        return out, tout, aux
    out, tout, aux = _through_tape(jfn, [list(primals), list(tangents)])
    return (out, tout, aux) if has_aux else (out, tout)


def linearize(func, *primals):
    """Matches `torch.func.linearize`: returns `(output, jvp_fn)`."""
    n = len(primals)
    f = _diff_fn(func, primals, {}, tuple(range(n)), False, "linearize")
    out, lin = jax.linearize(lambda *p: f(*p)[0], *_unwrap(primals))
    out = _wrap(out)

    def jvp_fn(*tangents):
        return _wrap(lin(*_unwrap(tangents)))
    return out, jvp_fn


# ---- jacobians ----------------------------------------------------------------------------

def _refuse_complex(tree, name, what):
    for i, a in enumerate(jax.tree_util.tree_leaves(tree)):
        if jnp.iscomplexobj(a):
            raise RuntimeError(f"{name}: Expected all {what} to be real but received complex "
                               f"tensor at flattened input idx: {i}")


def _jac(jax_jac, name, real_only=True):
    """real_only: torch.func's jacobians refuse complex inputs and outputs; the reverse-mode
    jacobian of torch.autograd.functional takes complex inputs (rows in torch's convention)."""
    def make(func, argnums=0, has_aux=False, **_):
        def wrapper(*args, **kwargs):
            nums = _argnums(argnums, len(args))

            def jfn(arrs):
                g = _diff_fn(func, arrs, kwargs, nums, has_aux, name)

                def f(*d):
                    out, aux = g(*d)
                    _refuse_complex(out, name, "outputs")
                    return out, aux
                diff = [arrs[i] for i in nums]
                if real_only:
                    _refuse_complex(diff, name, "inputs")
                jac, aux = jax_jac(f, argnums=tuple(range(len(nums))), has_aux=True)(*diff)
                jac = _conj(jac)
                if isinstance(argnums, int):
                    jac = jax.tree_util.tree_map(lambda t: t[0], jac,
                                                 is_leaf=lambda x: isinstance(x, tuple))
                return jac, aux
            jac, aux = _through_tape(jfn, list(args))
            return (jac, aux) if has_aux else jac
        return wrapper
    return make


_jacrev = _jac(jax.jacrev, "jacrev")
_jacfwd = _jac(jax.jacfwd, "jacfwd")
_jacrev_complex_in = _jac(jax.jacrev, "jacrev", real_only=False)


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """Matches `torch.func.jacrev`; `chunk_size` is accepted and ignored (XLA batches the rows)."""
    return _jacrev(func, argnums, has_aux)


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """Matches `torch.func.jacfwd`."""
    return _jacfwd(func, argnums, has_aux)


def hessian(func, argnums=0):
    """Matches `torch.func.hessian` (forward-over-reverse, as in PyTorch)."""
    return jacfwd(jacrev(func, argnums), argnums)


# ---- functional_call ----------------------------------------------------------------------
# One implementation, shared with torch.nn.utils.stateless (torch.func's is the same function).
from .nn.utils.stateless import functional_call  # noqa: E402


# ---- vmap ---------------------------------------------------------------------------------

def _leaf_axes(in_dims, args):
    """Per-Tensor-leaf axes of `args` (in flatten order), `in_dims` being a prefix tree."""
    axes = []

    def visit(d, sub):
        for leaf in jax.tree_util.tree_leaves(sub, is_leaf=_is_t):
            axes.append(d)
        return d
    is_dim = lambda x: x is None or isinstance(x, int)  # noqa: E731
    if is_dim(in_dims):
        in_dims = (in_dims,) * len(args)
    if len(in_dims) != len(args):
        raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible "
                         f"with the structure of `inputs`: {len(in_dims)} in_dims for "
                         f"{len(args)} positional inputs")
    jax.tree_util.tree_map(visit, tuple(in_dims), tuple(args), is_leaf=is_dim)
    return axes


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """Matches `torch.func.vmap`.

    `randomness`: 'error' raises when the function draws random numbers, 'same' gives every
    batch element the same draws, 'different' gives each its own (a split of the generator key).
    """
    if randomness not in ("error", "same", "different"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")
    from .random import default_generator as gen

    def wrapper(*args, **kwargs):
        args = _convert(args, dict, _IDict)  # dicts in insertion order, as torch's pytree
        leaves, tdef = jax.tree_util.tree_flatten(args, is_leaf=_is_t)
        all_axes = _leaf_axes(_convert(in_dims, dict, _IDict), args)
        idx = [i for i, x in enumerate(leaves) if _is_t(x)]
        axes = [all_axes[i] for i in idx]
        sizes = {leaves[i].shape[a] for i, a in zip(idx, axes) if a is not None}
        if not sizes:
            raise ValueError("vmap(f, in_dims=..., ...)(<inputs>): at least one input must be a "
                             "Tensor mapped over a dimension (in_dims not None)")
        if len(sizes) > 1:
            raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                             f"dimension, got sizes {sorted(sizes)} for the mapped dimension")
        batch = sizes.pop()

        def f(key, *arrs):
            ls = list(leaves)
            for i, a in zip(idx, arrs):
                ls[i] = Tensor._from_array(a)
            before, gen._key = gen._key, key
            try:
                with enable_grad():
                    out = func(*_convert(jax.tree_util.tree_unflatten(tdef, ls), _IDict, dict),
                               **kwargs)
                if randomness == "error" and gen._key is not key:
                    raise RuntimeError("vmap: called random operation while in randomness error "
                                       "mode. Please either use the 'same' or 'different' "
                                       "randomness flags on vmap or perform the randomness "
                                       "operation out of vmap")
            finally:
                gen._key = before
            return _unwrap(out)

        def run(*arrs):
            if randomness == "error":
                key = gen._key
            else:
                key, gen._key = jax.random.split(gen._key)
            if randomness == "different":
                keys = jax.random.split(key, batch)
                return _chunked(f, (keys,) + arrs, (0,) + tuple(axes), out_dims, batch, chunk_size)
            return _chunked(f, (key,) + arrs, (None,) + tuple(axes), out_dims, batch, chunk_size)
        ts = [leaves[i] for i in idx]
        out_def = []

        def fn(*arrs):
            flat, od = jax.tree_util.tree_flatten(run(*arrs))
            out_def.append(od)
            return tuple(flat)
        res = _dispatch.call_fn(fn, ts, "VmapBackward0")
        return _convert(jax.tree_util.tree_unflatten(out_def[-1], list(res)), _IDict, dict)
    return wrapper


def _chunked(f, arrs, axes, out_dims, batch, chunk_size):
    out_dims = _convert(out_dims, dict, _IDict)
    vf = jax.vmap(f, in_axes=axes, out_axes=out_dims)
    if chunk_size is None or chunk_size >= batch:
        return vf(*arrs)
    outs = []
    for s in range(0, batch, chunk_size):
        part = [a if ax is None else jax.lax.slice_in_dim(a, s, min(s + chunk_size, batch), axis=ax)
                for a, ax in zip(arrs, axes)]
        outs.append(vf(*part))
    flat0, od = jax.tree_util.tree_flatten(outs[0])
    dims = jax.tree_util.tree_leaves(
        jax.tree_util.tree_map(lambda d, o: jax.tree_util.tree_map(lambda _: d, o), out_dims,
                               outs[0], is_leaf=lambda x: x is None or isinstance(x, int))
        if not isinstance(out_dims, int) else jax.tree_util.tree_map(lambda _: out_dims, outs[0]))
    cat = [jnp.concatenate([jax.tree_util.tree_leaves(o)[k] for o in outs], axis=d)
           for k, d in enumerate(dims)]
    return jax.tree_util.tree_unflatten(od, cat)


def stack_module_state(models):
    """Matches `torch.func.stack_module_state`: (params, buffers) stacked along a new dim 0."""
    import jtorch
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if any(m.training != models[0].training for m in models):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")

    def stack(named):
        names = [n for n, _ in named(models[0])]
        return {n: jtorch.stack([dict(named(m))[n].detach() for m in models])
                for n in names}
    params = stack(lambda m: m.named_parameters())
    for p in params.values():
        p.requires_grad_(True)
    return params, stack(lambda m: m.named_buffers())


def functionalize(func, *, remove="mutations"):
    """Matches `torch.func.functionalize`: JAX programs are already functional, so it returns `func`."""
    return func
