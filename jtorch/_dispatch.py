"""apply(): the single dispatch point every op goes through.

unwrap Tensors -> run a cached `jax.jit` of the op body (promotion happens at trace time)
-> wrap. With grad on and an input requiring grad, the cached jit returns (output, pullback);
the pullback is a pytree, so it comes out of jit and is later called through one cached
jitted apply (autograd/engine.py). With grad off the body's outputs pass through
`lax.stop_gradient`, so jtorch code inside an outer JAX transformation respects no_grad.
"""
from __future__ import annotations

import functools
import inspect

import jax
import jax.numpy as jnp

from . import _arg_types, _first_shape, _jax_errors, _long_lists, _promote
from ._compiled import audit as _audit, deferred as _deferred
from .autograd import engine
from .autograd.grad_mode import ENABLED, INFERENCE, _MODE
from .ops._registry import REGISTRY, Op
from . import _dtype as D

_get_mode = _MODE.get
Tensor = None  # set by _tensor (import cycle)
_EMPTY: dict = {}
AUTOCAST = None  # {op name: dtype} while a torch.autocast region is active (amp/autocast_mode.py)
DISPATCH_MODES: list = []  # TorchDispatchMode stack (utils/_python_dispatch.py)
SAVED_TENSOR_HOOKS: list = []  # saved_tensors_hooks stack (autograd/graph.py)
_SCALARS = (bool, int, float, complex)
_JOINS = frozenset(("cat", "stack"))
_HOST_FIRST = _first_shape.OPS


def _body(op: Op):
    """The traced body: bind, promote, run."""
    fn, sig, kind, names = op.fn, op.sig, op.promote, op.value_names
    if kind is None:
        # A fresh function each build: jax caches traces by function identity, and a rebuild
        # (clear_caches after set_default_dtype) must retrace.
        return functools.wraps(fn)(lambda *args, **kwargs: fn(*args, **kwargs))

    @functools.wraps(fn)
    def body(*args, **kwargs):
        bound = sig.bind(*args, **kwargs)
        _promote.promote(kind, bound, names)
        return fn(*bound.args, **bound.kwargs)
    return body


def _get(args, kwargs, p):
    if type(p) is int:
        return args[p]
    if type(p) is str:
        return kwargs[p]
    c = args[p[0]] if type(p[0]) is int else kwargs[p[0]]
    return c[p[1]]


def _put(args, kwargs, p, v):
    if type(p) is int:
        args[p] = v
    elif type(p) is str:
        kwargs[p] = v
    else:
        holder = args if type(p[0]) is int else kwargs
        c = list(holder[p[0]])
        c[p[1]] = v
        holder[p[0]] = c


def _build(op: Op):
    body = _body(op)
    statics = op.static_names

    def nograd(*args, **kwargs):
        return jax.tree_util.tree_map(jax.lax.stop_gradient, body(*args, **kwargs))
    functools.update_wrapper(nograd, op.fn)

    def with_vjp(paths, *args, **kwargs):
        args, kwargs = list(args), dict(kwargs)

        def f(*primals):
            a, k = list(args), dict(kwargs)
            for p, v in zip(paths, primals):
                _put(a, k, p, v)
            return body(*a, **k)
        return jax.vjp(f, *[_get(args, kwargs, p) for p in paths])
    params = [inspect.Parameter("_paths", inspect.Parameter.POSITIONAL_ONLY)]
    params += list(op.sig.parameters.values())
    with_vjp.__signature__ = inspect.Signature(params)
    op.jit_plain = jax.jit(body, static_argnames=statics)
    op.jit_nograd = jax.jit(nograd, static_argnames=statics)
    # In-place variant: the first input's buffer is donated, so XLA writes the result into it.
    first = next(iter(op.sig.parameters), None)
    op.jit_donate = jax.jit(nograd, static_argnames=statics, donate_argnums=(0,)) \
        if first in op.value_names else op.jit_nograd
    # Given both static_argnums and static_argnames, jax.jit maps neither onto the other, so
    # static parameters that may come positionally (x.sum(1)) are listed by number too.
    nums = (0,) + tuple(i + 1 for i, p in enumerate(op.sig.parameters.values())
                        if p.name in statics and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
    op.jit_vjp = jax.jit(with_vjp, static_argnums=nums, static_argnames=statics)
    op.node_cls = engine.node_type(op.grad_name)


def clear_caches():
    """Drop every compiled op (after a change of global state they bake in, like the default dtype)."""
    for op in REGISTRY.values():
        op.jit_plain = op.jit_nograd = op.jit_vjp = op.jit_donate = None


def _hashable(v):
    if isinstance(v, list) or type(v) is tuple:  # tuples may hold lists: dims=([1], [0])
        return tuple(_hashable(e) for e in v)
    if isinstance(v, dict):
        return {k: _hashable(e) for k, e in v.items()}
    return v


def _broadcast_error(err, arrs, kw):
    """JAX's shape-mismatch TypeError/ValueError as PyTorch's RuntimeError, naming the sizes;
    any other error passes unchanged."""
    if "broadcast" not in str(err).lower():
        return err
    shapes = [tuple(a.shape) for a in list(arrs) + list(kw.values()) if hasattr(a, "shape")]
    acc = shapes[0] if shapes else ()
    for sh in shapes[1:]:
        n = max(len(acc), len(sh))
        a, b = (1,) * (n - len(acc)) + acc, (1,) * (n - len(sh)) + sh
        for d in reversed(range(n)):
            if a[d] != b[d] and a[d] != 1 and b[d] != 1:
                return RuntimeError(f"The size of tensor a ({a[d]}) must match the size of tensor b "
                                    f"({b[d]}) at non-singleton dimension {d}")
        acc = tuple(max(x, y) if min(x, y) != 0 else 0 for x, y in zip(a, b))
    return RuntimeError(str(err))


def _retry_hashable(err, op, fn, args, kwargs, skip=0):
    """The error path of a compiled call: a static argument given as a list is retried as a
    tuple; any other error is raised as torch's (`_jax_errors`: nothing from inside JAX reaches
    the user). `skip`: leading arguments that are not the op's (the vjp's paths)."""
    if not isinstance(err, ValueError) or "hashable" not in str(err):
        _raise(err, op, args[skip:], kwargs)
    # A static argument came as a list (e.g. dim=[0, 1]); tuples hash.
    try:
        return fn(*[_hashable(a) for a in args], **{k: _hashable(v) for k, v in kwargs.items()})
    except Exception as e:  # noqa: BLE001
        _raise(e, op, args[skip:], kwargs)


def _raise(err, op, arrs, kw):
    new = _broadcast_error(err, arrs, kw) if isinstance(err, (TypeError, ValueError)) else err
    new = _jax_errors.torch_error(new, op.name, op, arrs, kw)
    if new is err:
        _jax_errors.unchain(err)
        raise err
    raise new from None


def _meta_result(e, op, args, kwargs, arrs, kw, mode):
    """The result for meta inputs (jax.jit refuses a `_meta.MetaArray`: TypeError, or ValueError
    when a static argument is also a list), computed by `_meta.apply`; None when none is meta."""
    if isinstance(e, TypeError) or "hashable" in str(e):
        from . import _meta
        if _meta.has_meta(arrs, kw):
            try:
                return _meta.apply(op, args, kwargs, arrs, kw, mode)
            except Exception as err:  # noqa: BLE001 (JAX's errors as torch's, as eagerly)
                _raise(err, op, arrs, kw)
    return None


def apply(op: Op, args, kwargs=_EMPTY):
    """Run `op` on Tensors/numbers; return Tensor(s) with autograd nodes when recording."""
    if DISPATCH_MODES:
        from .utils._python_dispatch import _dispatch_to_mode
        return _dispatch_to_mode(op, args, kwargs)
    if op.jit_plain is None:
        _build(op)
    if _audit.LOG is not None:  # a compiled function is being traced: note what it reads
        _audit.note_args(args, kwargs)
    if AUTOCAST is not None and op.name in AUTOCAST:
        args, kwargs = _autocast_args(AUTOCAST[op.name], args, kwargs)
    mode = _get_mode()
    rec = mode & ENABLED and op.diff
    out_t = None
    if kwargs and "out" in kwargs:
        kwargs = dict(kwargs)
        out_t = kwargs.pop("out")
    arrs = list(args)
    paths = edges = None
    T = Tensor
    for i, a in enumerate(args):
        if isinstance(a, T):
            arrs[i] = a._sa if a._st is None else a._value()
            if rec and a._rg:
                if paths is None:
                    paths, edges, inputs = [], [], []
                paths.append(i)
                edges.append(a._edge())
                inputs.append(a)
        elif type(a) is list or type(a) is tuple:
            if len(a) >= _long_lists.LONG and i == 0 and op.name in _JOINS and out_t is None:
                res = _long_lists.join(op, args, kwargs, mode, mode & ENABLED)
                if res is not None:  # a long list joined on the host, in linear time
                    return res
            if a and any(isinstance(e, T) for e in a):
                arrs[i] = [_unwrap(e) for e in a]
                if rec:
                    for j, e in enumerate(a):
                        if isinstance(e, T) and e._rg:
                            if paths is None:
                                paths, edges, inputs = [], [], []
                            paths.append((i, j))
                            edges.append(e._edge())
                            inputs.append(e)
            elif not _arg_types.INT_LIKE.isdisjoint(map(type, a)):  # jit: by value only
                arrs[i] = _arg_types.static_key(op, i, a)
    if kwargs:
        kw = {}
        for k, a in kwargs.items():
            if isinstance(a, T):
                kw[k] = a._sa if a._st is None else a._value()
                if rec and a._rg:
                    if paths is None:
                        paths, edges, inputs = [], [], []
                    paths.append(k)
                    edges.append(a._edge())
                    inputs.append(a)
            elif (type(a) is tuple or type(a) is list) and \
                    not _arg_types.INT_LIKE.isdisjoint(map(type, a)):
                kw[k] = _arg_types.static_key(op, k, a)
            else:
                kw[k] = a if k != "dtype" else D.as_dtype(a)  # dtype=float/int/bool
    else:
        kw = kwargs
    if op.check is not None:
        op.check(arrs, kw)
        if _deferred.LOG is not None:  # traced arguments: the compiled program checks them
            _deferred.note(op.check, arrs, kw)
    if paths is None:
        f = op.jit_plain if mode & ENABLED else op.jit_nograd
        try:
            # data movement at a signature seen only a few times: numpy, no compile (_first_shape)
            out = _first_shape.run(op, arrs, kw) if op in _HOST_FIRST else None
            if out is None:
                out = f(*arrs, **kw)
        except Exception as e:  # noqa: BLE001 (the error path: meta inputs, list statics, JAX's errors)
            meta = _meta_result(e, op, args, kwargs, arrs, kw, mode)
            if meta is not None:
                return meta if out_t is None else _into_out(op, args, kwargs, out_t, meta)
            out = _retry_hashable(e, op, f, arrs, kw)
        res = _wrap_out(out, None, mode)
    else:
        paths = tuple(paths)
        try:
            out, pb = op.jit_vjp(paths, *arrs, **kw)
        except Exception as e:  # noqa: BLE001 (the error path, as above)
            meta = _meta_result(e, op, args, kwargs, arrs, kw, mode)
            if meta is not None:
                return meta if out_t is None else _into_out(op, args, kwargs, out_t, meta)
            out, pb = _retry_hashable(e, op, op.jit_vjp, [paths] + arrs, kw, 1)
        cls = op.node_cls if op.grad_names is None else engine.node_type(op.grad_names(args, kwargs))
        node = cls(pb, tuple(edges), out)
        node.ctx = (op, paths, arrs, kw)
        if op.saves == "inputs":
            node.saved = tuple((o, o._sv) for o in (t._owner() for t in inputs))
        res = _wrap_out(out, node, mode)
        if op.saves == "output":
            node.save_output(res)
        if SAVED_TENSOR_HOOKS:
            from .autograd.graph import _pack
            _pack(node, op.saves, inputs, res)
    if out_t is not None:
        return _into_out(op, args, kwargs, out_t, res)
    return res


def _into_out(op, args, kwargs, out_t, res):
    """`out=`: check what torch checks, then write `res` into `out_t`."""
    if op.name in EXACT_OUT:
        _check_out_dtype(out_t, res)
    if op.name in NO_OVERLAP_OUT:
        from ._checks import no_out_overlap
        no_out_overlap(out_t, list(args) + list(kwargs.values()))
    return Tensor._write_out(out_t, res)


# Ops whose `out=` may not share memory with an input (torch raises "unsupported operation").
NO_OVERLAP_OUT = frozenset({"gather", "index_select", "take", "cat", "kthvalue", "bernoulli"})


# Ops whose `out=` must have the result's dtype (torch casts into `out` only for elementwise
# and reduction kernels; these raise instead).
EXACT_OUT = frozenset({
    "gather", "index_select", "take", "mm", "matmul", "bmm", "cross", "linalg_cross", "tril", "triu",
    "sort", "topk", "_max_dim", "_min_dim", "aminmax", "amax", "amin", "argmax", "argmin", "diag",
    "index_add", "scatter", "complex", "polar", "kthvalue", "median", "cummax", "cummin", "where",
    "clamp"})


def _check_out_dtype(out, res):
    if isinstance(out, (tuple, list)):
        for o, r in zip(out, res):
            _check_out_dtype(o, r)
        return
    if out.dtype is not res.dtype:
        raise RuntimeError(f"Expected out tensor to have dtype {res.dtype}, but got {out.dtype} "
                           "instead; pass an out tensor of the result's dtype")


def _autocast_args(dtype, args, kwargs):
    """Cast floating (non-float64) Tensor arguments to the autocast dtype, differentiably."""
    cast = REGISTRY["_cast"]

    def c(a):
        if isinstance(a, Tensor):
            d = a.dtype
            if d.is_floating_point and d is not dtype and d.itemsize != 8:
                return apply(cast, (a,), {"dtype": dtype})
        elif type(a) is list or type(a) is tuple:
            return type(a)(c(e) for e in a)
        return a
    return [c(a) for a in args], {k: c(v) for k, v in kwargs.items()}


def _unwrap(e):
    if isinstance(e, Tensor):
        return e._sa if e._st is None else e._value()
    return e


def _wrap_out(out, node, mode):
    if isinstance(out, (tuple, list)):
        leaves, tdef = jax.tree_util.tree_flatten(out)
        ts = [_wrap_one(x, node, i, mode) for i, x in enumerate(leaves)]
        return jax.tree_util.tree_unflatten(tdef, ts)
    return _wrap_one(out, node, 0, mode)


_DIFF_KINDS = frozenset("fcV")  # float, complex, bfloat16 ('V' kind in numpy)


def _wrap_one(x, node, i, mode):
    t = Tensor._from_array(x)
    if node is not None and x.dtype.kind in _DIFF_KINDS:
        t._node = node
        t._onr = i
        t._rg = True
    if mode & INFERENCE:
        t._inf = True
    return t


def call_fn(fn, tensors, name="FunctionBackward0"):
    """Run an uncached jax function of Tensors with autograd (rare paths: create_graph, ...).

    Slower than `apply` (eager `jax.vjp`), but any jax function of the inputs works.
    """
    mode = _get_mode()
    arrs = [_unwrap(t) for t in tensors]
    diff = [i for i, t in enumerate(tensors)
            if mode & ENABLED and isinstance(t, Tensor) and t._rg]
    if not diff:
        out = fn(*arrs)
        if not mode & ENABLED:
            out = jax.tree_util.tree_map(jax.lax.stop_gradient, out)
        return _wrap_out(out, None, mode)

    def f(*primals):
        a = list(arrs)
        for i, v in zip(diff, primals):
            a[i] = v
        return fn(*a)
    out, pb = jax.vjp(f, *[arrs[i] for i in diff])
    node = engine.node_type(name)(pb, tuple(tensors[i]._edge() for i in diff), out)
    node.eager = True
    node.ctx = (f, [tensors[i] for i in diff])
    return _wrap_out(out, node, mode)


def array_of(x):
    """The jax array behind a Tensor (or `jnp.asarray` of anything else)."""
    if isinstance(x, Tensor):
        return x._sa if x._st is None else x._value()
    return jnp.asarray(x)
