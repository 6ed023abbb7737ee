"""The tape: Node (a cached VJP closure plus edges), AccumulateGrad, and backward().

An edge is `(node, output_index)`; leaves that require grad have an AccumulateGrad node.
Edges are captured when an op runs, never Tensor objects, so in-place rebinding of a
tensor's node later does not change graphs built before it.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .anomaly_mode import _state as _ANOMALY

Tensor = None  # set by jtorch._tensor (import cycle)

# Cotangent convention: the tape carries PyTorch's (the conjugate of JAX's for complex
# values; for a real loss, torch's gradient is the direction of steepest ascent, JAX's its
# conjugate). A JAX pullback is wrapped as conj . pb . conj; a custom Function's backward is
# already in torch's convention (`Node.torch_ct`). The dtype test runs at trace time, so real
# cotangents cost nothing in the jitted calls.


def _conj(tree):
    return jax.tree_util.tree_map(lambda a: jnp.conj(a) if jnp.iscomplexobj(a) else a, tree)


def _pb_torch(pb, ct):
    """A JAX pullback applied to a torch-convention cotangent, giving torch-convention grads."""
    return _conj(pb(_conj(ct)))


# Called through one jitted function per pullback structure (the pullback's residual
# arrays are its leaves, so repeated steps hit the same compiled function).
_pb_call = jax.jit(_pb_torch)


def _fill(pb, cts, spec):
    treedef, avals = spec
    full = [c if c is not None else _zeros(*a) for c, a in zip(cts, avals)]
    return pb(jax.tree_util.tree_unflatten(treedef, full))


def _fill_torch(pb, cts, spec):
    return _conj(_fill(pb, _conj(cts), spec))


def _zeros(shape, dtype):
    if np.dtype(dtype).kind in "fcV":
        return jnp.zeros(shape, dtype)
    return np.zeros(shape, jax.dtypes.float0)


_pb_call_multi = jax.jit(_fill_torch, static_argnums=(2,))
# Accumulation into an existing .grad: one cached jitted add (jax's eager `+` costs ~3x more).
_acc_add = jax.jit(jnp.add)


class Node:
    """A backward function (`grad_fn`): the pullback and edges to the inputs' nodes."""

    # Defaults live on the class: a new node sets only what differs (nodes are made per op).
    ctx = saved = out_saved = hooks = prehooks = posthooks = spec = None
    eager = freed = False
    torch_ct = False  # pb takes and gives torch-convention cotangents (custom Function)
    raw_cts = False  # custom Function with set_materialize_grads(False): missing grads stay None

    def __init__(self, pb, edges, out):
        self.pb = pb
        self.edges = edges
        if isinstance(out, (tuple, list)):
            leaves, treedef = jax.tree_util.tree_flatten(out)
            self.spec = (treedef, tuple((tuple(x.shape), np.dtype(x.dtype)) for x in leaves))

    @property
    def metadata(self) -> dict:
        md = self.__dict__.get("_metadata")
        if md is None:
            md = self.__dict__["_metadata"] = {}
        return md

    # PyTorch's grad_fn surface.
    def name(self):
        return type(self).__name__

    @property
    def next_functions(self):
        return tuple((e[0], e[1]) if e is not None else (None, 0) for e in self.edges)

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) after this node runs."""
        if self.posthooks is None:
            self.posthooks = []
        self.posthooks.append(fn)
        return _Handle(self.posthooks, fn)

    def register_prehook(self, fn):
        """fn(grad_outputs) before this node runs; may return replacements."""
        if self.prehooks is None:
            self.prehooks = []
        self.prehooks.append(fn)
        return _Handle(self.prehooks, fn)

    def save_output(self, out):
        # is_leaf: Tensor is a registered pytree node (interop.py); stop at the Tensors.
        t = out if not isinstance(out, (tuple, list)) else jax.tree_util.tree_leaves(
            out, is_leaf=lambda x: hasattr(x, "_owner"))[0]
        o = t._owner()
        self.out_saved = (o, o._sv)

    def add_tensor_hook(self, idx, fn):
        if self.hooks is None:
            self.hooks = {}
        lst = self.hooks.setdefault(idx, [])
        # The retain_grad() hook stays last, so .grad sees what the other hooks returned.
        n = len(lst) - 1 if lst and getattr(lst[-1], "retains_grad", False) else len(lst)
        lst.insert(n, fn)
        return _Handle(lst, fn)

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"


_node_types: dict[str, type] = {}
BACKWARD_CALLS = [0]  # jtorch.compile tells a forward from a whole step by it


def node_type(name: str) -> type:
    """A Node subclass named like PyTorch's grad_fn class (`MulBackward0`), cached by name."""
    cls = _node_types.get(name)
    if cls is None:
        cls = _node_types[name] = type(name, (Node,), {})
    return cls


def rename(t, name: str):
    """Give `t`'s grad_fn PyTorch's name for a function jtorch composes from other ops."""
    if t._node is not None:
        t._node.__class__ = node_type(name)
    return t


class AccumulateGrad:
    """The node of a leaf that requires grad: accumulates into `.grad`."""

    __slots__ = ("variable", "prehooks", "posthooks", "__weakref__")
    edges = ()

    def __init__(self, variable):
        self.variable = variable
        self.prehooks = self.posthooks = None

    def name(self):
        return "torch::autograd::AccumulateGrad"

    next_functions = ()

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"


class _Handle:
    """A removable hook handle (`handle.remove()`)."""

    def __init__(self, lst, fn):
        self._lst, self._fn = lst, fn

    def remove(self):
        if self._fn in self._lst:
            self._lst.remove(self._fn)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _check_saved(node):
    for owner, ver in (node.saved or ()):
        if owner._sv != ver:
            _raise_modified(node, owner, ver)
    if node.out_saved is not None and node.out_saved[0]._sv != node.out_saved[1]:
        _raise_modified(node, *node.out_saved)


def _raise_modified(node, owner, ver):
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{owner._type_str()} {list(owner._sa.shape)}], needed by {node.name()}, is at "
        f"version {owner._sv}; expected version {ver} instead. Hint: clone() the tensor before "
        "modifying it in place, or do the in-place change after backward().")


def _collect(roots):
    """Dependency counts of every node reachable from the roots."""
    deps = {}
    seen = set(roots)
    stack = list(roots)
    while stack:
        for e in stack.pop().edges:
            if e is None:
                continue
            m = e[0]
            if m in deps:
                deps[m] += 1
            else:
                deps[m] = 1
            if m not in seen:
                seen.add(m)
                stack.append(m)
    return deps


def run_backward(roots, grads, retain_graph=False, create_graph=False, capture=None,
                 accumulate=True):
    """Propagate `grads` (one per root edge) to the leaves.

    capture: {(node, idx): slot} -> the gradient arriving there is stored in a returned dict
    (for autograd.grad); accumulate=False leaves `.grad` untouched.
    """
    BACKWARD_CALLS[0] += 1
    root_nodes = []
    buffers = {}
    for (node, idx), g in zip(roots, grads):
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = {}
            root_nodes.append(node)
        buf[idx] = g if idx not in buf else _add(buf[idx], g)
    deps = _collect(root_nodes)
    ready = [n for n in root_nodes if deps.get(n, 0) == 0]
    captured = {}
    add = _add
    while ready:
        node = ready.pop()
        buf = buffers.pop(node, {})
        if type(node) is AccumulateGrad:
            g = buf.get(0)
            if g is None:
                continue
            var = node.variable
            if node.prehooks:
                for h in node.prehooks:
                    r = h(_as_tensor(g))
                    if r is not None:
                        g = _unwrap_grad(r, create_graph)
            key = (node, 0)
            if capture is not None and key in capture:
                captured[capture[key]] = g if key not in captured else add(captured[key], g)
            if accumulate:
                _accumulate(var, g, create_graph)
                if node.posthooks:
                    for h in node.posthooks:
                        h(var)
            continue
        if node.freed:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time.")
        if node.hooks:
            for idx, hs in node.hooks.items():
                if idx in buf:
                    for h in hs:
                        r = h(_as_tensor(buf[idx]))
                        if r is not None:
                            buf[idx] = _unwrap_grad(r, create_graph)
        if node.prehooks:
            for h in node.prehooks:
                r = h(tuple(_as_tensor(buf.get(i)) for i in range(_n_out(node))))
                if r is not None:
                    buf = {i: _unwrap_grad(v, create_graph) for i, v in enumerate(r) if v is not None}
        if capture is not None:
            for idx in list(buf):
                slot = capture.get((node, idx))
                if slot is not None:
                    captured[slot] = buf[idx]
        _check_saved(node)
        in_grads = _call_node(node, buf, create_graph)
        if _ANOMALY["anomaly"] and _ANOMALY["check_nan"]:
            _check_nan(node, in_grads)
        if node.posthooks:
            for h in node.posthooks:
                h(tuple(_as_tensor(g) for g in in_grads),
                  tuple(_as_tensor(buf.get(i)) for i in range(_n_out(node))))
        if not retain_graph and not _saves_nothing(node):
            node.pb = None
            node.ctx = None
            node.freed = True
        for e, g in zip(node.edges, in_grads):
            if e is None:
                continue
            nxt, idx = e
            if g is not None:
                b = buffers.get(nxt)
                if b is None:
                    b = buffers[nxt] = {}
                b[idx] = g if idx not in b else add(b[idx], g)
            d = deps[nxt] - 1
            deps[nxt] = d
            if d == 0:
                ready.append(nxt)
    return captured


def _saves_nothing(node):
    # Like torch, a node of an op that saves no tensors (add, sum, views) can run again.
    ctx = node.ctx
    return (type(ctx) is tuple and len(ctx) == 4 and getattr(ctx[0], "saves", None) == "none"
            and not node.saved and node.out_saved is None)


def _n_out(node):
    return 1 if node.spec is None else len(node.spec[1])


def _add(a, b):
    return a + b


def _as_tensor(g):
    if g is None or isinstance(g, Tensor):
        return g
    return Tensor._from_array(g)


def _unwrap_grad(r, create_graph):
    if isinstance(r, Tensor):
        return r if create_graph else r._value_any()
    return r


def _check_nan(node, grads):
    """detect_anomaly: torch's RuntimeError naming the node whose backward produced NaN."""
    for i, g in enumerate(grads):
        a = g._value_any() if isinstance(g, Tensor) else g
        if a is not None and jnp.issubdtype(a.dtype, jnp.inexact) and bool(jnp.isnan(a).any()):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


def _call_node(node, buf, create_graph):
    if create_graph:
        return _call_differentiably(node, buf)
    if node.spec is None:
        ct = buf.get(0)
        if node.eager:
            return node.pb(ct) if node.torch_ct else _pb_torch(node.pb, ct)
        return _pb_call(node.pb, ct)
    cts = tuple(buf.get(i) for i in range(len(node.spec[1])))
    if node.eager:
        if node.raw_cts:
            return node.pb(cts)
        if node.torch_ct:
            return _fill(node.pb, cts, node.spec)
        return _fill_torch(node.pb, cts, node.spec)
    return _pb_call_multi(node.pb, cts, node.spec)


def _call_differentiably(node, buf):
    """Run a node's backward as recorded jtorch ops, so its result has a graph (create_graph)."""
    from .. import _dispatch
    if node.ctx is None:
        raise RuntimeError(f"{node.name()} does not support create_graph=True (double backward)")
    if callable(node.ctx):  # custom Function nodes
        return node.ctx(buf)
    if node.eager:
        f, inputs = node.ctx
    else:
        op, paths, arrs, kw = node.ctx
        inputs = [Tensor._from_edge(_dispatch._get(arrs, kw, p), e) for p, e in zip(paths, node.edges)]
        f = _op_function(op, paths, arrs, kw)
    n = len(inputs)
    spec = node.spec
    idxs = sorted(buf)
    ct_ts = [buf[i] if isinstance(buf[i], Tensor) else Tensor._from_array(buf[i]) for i in idxs]

    def vjp_fn(*xs):
        primals, cts = xs[:n], xs[n:]
        out, pb = jax.vjp(f, *primals)
        if spec is None:
            return _pb_torch(pb, cts[0])
        leaves = [_zeros(*a) for a in spec[1]]
        for i, c in zip(idxs, cts):
            leaves[i] = c
        return _pb_torch(pb, jax.tree_util.tree_unflatten(spec[0], leaves))
    res = _dispatch.call_fn(vjp_fn, list(inputs) + ct_ts, "BackwardBackward0")
    return list(res)


def _op_function(op, paths, arrs, kw):
    from .. import _dispatch
    body = _dispatch._body(op)

    def f(*primals):
        a, k = list(arrs), dict(kw)
        for p, v in zip(paths, primals):
            _dispatch._put(a, k, p, v)
        return body(*a, **k)
    return f


def _accumulate(var, g, create_graph):
    if isinstance(g, Tensor):
        if not create_graph:
            g = g._value_any()
    old = var._grad
    if old is None:
        if isinstance(g, Tensor):
            var._grad = g
        else:
            dt = var._value_any().dtype
            var._grad = Tensor._from_array(g if g.dtype == dt else g.astype(dt))
        return
    if create_graph or isinstance(g, Tensor):
        var._grad = old + g
    else:
        old._set_array(_acc_add(old._value_any(), g))
