"""Dynamic dimensions for `jtorch.export`: `Dim`, `Dim.AUTO/STATIC/DYNAMIC`, `dims`.

Matches `torch.export.dynamic_shapes`. A dynamic dimension becomes a `jax.export` symbolic
size and its range the symbol's constraints, so XLA compiles the one exported program for
every size in the range. Ranges start at 1 (torch 2.13 reports 2, yet runs its programs at 1).
"""
from __future__ import annotations

import inspect
import math

import jax

_INF = math.inf


class _DimHint:
    """Matches torch's `_DimHint`: `Dim.AUTO`, `Dim.STATIC`, `Dim.DYNAMIC`."""

    def __init__(self, kind: str):
        self.kind = kind

    def __repr__(self):
        return f"DimHint({self.kind})"

    def __call__(self, min=None, max=None):  # torch allows Dim.DYNAMIC(min=..., max=...)
        h = _DimHint(self.kind)
        h.min, h.max = min, max
        return h

    min = max = None


class Dim:
    """Matches `torch.export.Dim(name, *, min=None, max=None)`; `2 * d`, `d + 1` make derived dims."""

    AUTO = _DimHint("AUTO")
    STATIC = _DimHint("STATIC")
    DYNAMIC = _DimHint("DYNAMIC")

    def __init__(self, name: str, *, min: int | None = None, max: int | None = None):
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"Dim name must be a valid identifier, got {name!r}")
        lo = 0 if min is None else min
        hi = _INF if max is None else max
        assert lo <= hi, f"Cannot create Dim with inconsistent min={min}, max={max}"
        self.__name__ = name
        self.min, self.max = lo, hi

    def __repr__(self):
        parts = [repr(self.__name__)]
        if self.min != 2:
            parts.append(f"min={self.min}")
        if self.max != _INF:
            parts.append(f"max={self.max}")
        return f"Dim({', '.join(parts)})"

    def __mul__(self, k):
        return _derive(self, k, 0)

    __rmul__ = __mul__

    def __add__(self, k):
        return _derive(self, 1, k)

    __radd__ = __add__

    def __sub__(self, k):
        return _derive(self, 1, -k)


class _DerivedDim(Dim):
    """`a * root + b`: matches torch's `_DerivedDim`."""

    def __init__(self, root: Dim, a: int, b: int):
        self.root, self.a, self.b = root, a, b
        self.__name__ = _expr_text(root.__name__, a, b)
        self.min = a * root.min + b
        self.max = a * root.max + b if root.max != _INF else _INF

    def __repr__(self):
        return self.__name__


def _derive(dim, a, b):
    if not isinstance(a, int) or not isinstance(b, int) or isinstance(a, bool) or a <= 0:
        raise NotImplementedError(f"Dim arithmetic supports a positive int multiplier and an int "
                                  f"offset (2 * d + 1), got {a!r} and {b!r}")
    if isinstance(dim, _DerivedDim):
        return _DerivedDim(dim.root, dim.a * a, dim.b * a + b)
    return _DerivedDim(dim, a, b)


def _expr_text(name, a, b):
    s = name if a == 1 else f"{a}*{name}"
    return s if b == 0 else f"{s} + {b}" if b > 0 else f"{s} - {-b}"


def dims(*names: str, min: int | None = None, max: int | None = None) -> tuple[Dim, ...]:
    """Matches `torch.export.dims`."""
    return tuple(Dim(n, min=min, max=max) for n in names)


# ---- resolving `dynamic_shapes` against the example inputs -----------------------------------

class DimPlan:
    """Per flat input tensor, per dimension: an int (static) or the jax symbolic expression, plus
    the root symbols' names, ranges and which roots came from AUTO hints (free to specialise)."""

    def __init__(self, leaves, per_dim, roots, auto):
        self.leaves = leaves      # [(path, example array)]
        self.per_dim = per_dim    # [[None | (root name, a, b)]] per leaf, per dimension
        self.roots = roots        # {name: (lo, hi)}; hi is math.inf when unbounded
        self.auto = auto          # root names that may be specialised silently (Dim.AUTO)

    def specs(self, static=()):
        """`jax.ShapeDtypeStruct`s of the flat inputs; roots in `static` use the example sizes."""
        live = [n for n in self.roots if n not in static]
        syms = {}
        if live:
            cons = []
            for n in live:
                lo, hi = self.roots[n]
                cons.append(f"{n} >= {lo}")
                if hi != _INF:
                    cons.append(f"{n} <= {hi}")
            syms = dict(zip(live, jax.export.symbolic_shape(", ".join(live), constraints=cons)))
        out = []
        for (path, a), dims_ in zip(self.leaves, self.per_dim):
            shape = []
            for size, d in zip(a.shape, dims_):
                if d is None or d[0] in static:
                    shape.append(size)
                else:
                    shape.append(d[1] * syms[d[0]] + d[2])
            out.append(jax.ShapeDtypeStruct(tuple(shape), a.dtype))
        return out

    def describe(self, static=()):
        """JSON-able plan: per leaf per dim, an int or [root, a, b]; the roots' ranges."""
        per = [[int(s) if d is None or d[0] in static else list(d) for s, d in zip(a.shape, ds)]
               for (_, a), ds in zip(self.leaves, self.per_dim)]
        roots = {n: [lo, None if hi == _INF else hi] for n, (lo, hi) in self.roots.items()
                 if n not in static}
        return {"dims": per, "roots": roots, "paths": [p for p, _ in self.leaves]}


def plan(sig_names, args, kwargs, leaves, dynamic_shapes) -> DimPlan:
    """Match `dynamic_shapes` (dict by argument name, or tuple/list in argument order) to the
    input tensors; `leaves` are (path, array) of the flat input tensors, in flattening order."""
    per_path = {}
    if dynamic_shapes is not None:
        if isinstance(dynamic_shapes, dict):
            bound = dict(zip(sig_names, args))
            bound.update(kwargs)
            unknown = [k for k in dynamic_shapes if k not in bound]
            if unknown:
                raise _user_error(f"dynamic_shapes has keys {unknown} that are not arguments of "
                                  f"forward (its arguments: {list(bound)})")
            pairs = [(k, dynamic_shapes[k], bound[k]) for k in bound if k in dynamic_shapes]
        elif isinstance(dynamic_shapes, (tuple, list)):
            values = [(n, a) for n, a in zip(sig_names, args)] + list(kwargs.items())
            if len(dynamic_shapes) != len(values):
                raise _user_error(f"dynamic_shapes has {len(dynamic_shapes)} entries but forward "
                                  f"was given {len(values)} inputs; give one entry per input "
                                  "(None for static ones)")
            pairs = [(n, s, v) for (n, v), s in zip(values, dynamic_shapes)]
        else:
            raise _user_error("dynamic_shapes must be a dict (by argument name), a tuple or a "
                              f"list, got {type(dynamic_shapes).__name__}")
        for name, spec, value in pairs:
            _walk(name, spec, value, per_path)
    roots, auto, per_dim, anon = {}, set(), [], {}
    for path, a in leaves:
        spec = per_path.get(path)
        ds = []
        for i, size in enumerate(a.shape):
            d = None if spec is None else spec.get(i)
            ds.append(_root_of(d, f"{path}.size()[{i}]", int(size), roots, auto, anon))
        if spec is not None:
            bad = [i for i in spec if not isinstance(i, int) or not -len(a.shape) <= i < len(a.shape)]
            if bad:
                raise _user_error(f"dynamic_shapes for {path} names dimension(s) {bad}, but it has "
                                  f"{len(a.shape)} dimensions")
        per_dim.append(ds)
    return DimPlan(leaves, per_dim, roots, auto)


def _walk(path, spec, value, out):
    from .._tensor import Tensor
    if spec is None:
        return
    if isinstance(value, Tensor):
        if isinstance(spec, dict):
            out[path] = {(i if i >= 0 else i + value.dim()) if isinstance(i, int) else i: d
                         for i, d in spec.items()}
        elif isinstance(spec, (tuple, list)):
            if len(spec) != value.dim():
                raise _user_error(f"dynamic_shapes for {path} has {len(spec)} entries but the "
                                  f"tensor has {value.dim()} dimensions")
            out[path] = dict(enumerate(spec))
        else:
            raise _user_error(f"dynamic_shapes for tensor {path} must be a dict or a tuple of "
                              f"dims, got {spec!r}")
    elif isinstance(value, (tuple, list)):
        if not isinstance(spec, (tuple, list)) or len(spec) != len(value):
            raise _user_error(f"dynamic_shapes for {path} must be a tuple/list of "
                              f"{len(value)} entries, as the input is")
        for i, (s, v) in enumerate(zip(spec, value)):
            _walk(f"{path}[{i}]", s, v, out)
    elif isinstance(value, dict):
        if not isinstance(spec, dict):
            raise _user_error(f"dynamic_shapes for {path} must be a dict, as the input is")
        for k, v in value.items():
            if k in spec:
                _walk(f"{path}[{k!r}]", spec[k], v, out)


def _root_of(d, where, size, roots, auto, anon):
    """None (static) or (root name, a, b) for one dimension's spec `d`; records the root."""
    if d is None or d is Dim.STATIC or isinstance(d, _DimHint) and d.kind == "STATIC":
        return None
    if isinstance(d, int) and not isinstance(d, bool):
        if d != size:
            raise _user_error(f"dynamic_shapes says {where} is {d}, but the example input has {size}")
        return None
    if isinstance(d, _DimHint):  # AUTO / DYNAMIC: one anonymous symbol per example size
        if size < 2:  # torch specialises sizes 0 and 1
            return None
        name = anon.setdefault((d.kind, size), f"s{len(anon)}")
        if d.kind == "AUTO":
            auto.add(name)
        lo = 1 if d.min is None else max(1, d.min)
        hi = _INF if d.max is None else d.max
        roots[name] = (lo, hi)
        return (name, 1, 0)
    if not isinstance(d, Dim):
        raise _user_error(f"dynamic_shapes entry for {where} must be a Dim, Dim.AUTO/STATIC/"
                          f"DYNAMIC, an int or None, got {d!r}")
    root, a, b = (d.root, d.a, d.b) if isinstance(d, _DerivedDim) else (d, 1, 0)
    name = root.__name__
    rng = (max(1, root.min), root.max)
    if name in roots and roots[name] != rng:
        raise _user_error(f"Found different definitions {roots[name]} and {rng} for the same "
                          f"symbolic dimension {name}!")
    roots[name] = rng
    val = size - b
    if val % a or not rng[0] <= val // a <= rng[1]:
        raise _user_error(f"Received user-specified dim hint for {where} ({d!r}) that does not "
                          f"fit the example input size {size} (range {rng[0]}..{rng[1]} for {name})")
    return (name, a, b)


def _user_error(msg):
    from ._errors import UserError
    return UserError(msg)


def _arg_names(fn):
    """Positional parameter names of `fn` (forward's), for naming inputs as torch does."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    names = []
    for p in params:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind == p.VAR_POSITIONAL:
            names.extend(f"{p.name}_{i}" for i in range(64))
    return names


class ShapesCollection:
    """Matches `torch.export.ShapesCollection`: dynamic shapes given per tensor object
    (`sc[x] = {0: batch}`), turned into export's `dynamic_shapes` by `dynamic_shapes()`."""

    def __init__(self):
        self._shapes = {}  # id(tensor) -> (tensor, spec): tensors are not hashable by value

    def __setitem__(self, t, shape):
        self._shapes[id(t)] = (t, shape)

    def __getitem__(self, t):
        if id(t) not in self._shapes:
            self._shapes[id(t)] = (t, {})
        return self._shapes[id(t)][1]

    def __len__(self):
        return len(self._shapes)

    def __contains__(self, t):
        return id(t) in self._shapes

    def dynamic_shapes(self, m, args, kwargs=None):
        """A dict by forward's argument names, mirroring the inputs' structure."""
        from .._tensor import Tensor

        def spec(v):
            if isinstance(v, Tensor):
                return self._shapes[id(v)][1] if id(v) in self._shapes else None
            if isinstance(v, (tuple, list)):
                return type(v)(spec(x) for x in v)
            if isinstance(v, dict):
                return {k: spec(x) for k, x in v.items()}
            return None
        names = _arg_names(m.forward)
        out = {(names[i] if i < len(names) else f"args_{i}"): spec(a) for i, a in enumerate(args)}
        out.update({k: spec(v) for k, v in (kwargs or {}).items()})
        return out
