"""View-making functions (view, reshape, transpose, ...) and autograd through views."""
from __future__ import annotations

import math

from . import _dispatch, _dtype as D, _layout, _view
from ._tensor import Tensor, _wrap_dim
from .autograd import engine
from .autograd.grad_mode import ENABLED, _MODE
from ._callforms import sizes_arg
from ._checks import int_arg, int_list, sizes_args, wrap_dims as _wrap_dims
from .ops._registry import REGISTRY

_STEP, _READ, _WRITE = REGISTRY["_view_step"], REGISTRY["_view_read"], REGISTRY["_view_write"]


def make_view(t: Tensor, step, dyn=(), name="ViewBackward0") -> Tensor:
    """A tensor sharing t's storage: t's chain plus one step."""
    res = _dispatch.apply(_STEP, (t, dyn), {"step": step})
    owner = t._owner()
    steps, dyns = t._vw if t._vw is not None else ((), ())
    res._st = owner
    res._vw = (steps + (step,), dyns + (tuple(dyn),))
    res._a, res._av, res._sa = res._sa, owner._sv, None
    res._base = t._base if t._base is not None else t
    res._nv = owner._sv
    if res._node is not None:
        res._node.__class__ = engine.node_type(name)
    elif t._rg and not _MODE.get() & ENABLED:
        res._nograd_view = True
    if t._inf:
        res._inf = True
    return res


def _relative(view: Tensor, base: Tensor):
    nb = len(base._vw[0]) if base._vw is not None else 0
    if base._st is base and (view._vw[0][:nb], view._vw[1][:nb]) != base._vw:
        # `view` was taken before its root `base` changed its own layout (t_(), squeeze_(), ...):
        # undo the root's layout steps, then take the view's own from the storage
        undo = _undo_layout(base)
        return undo + view._vw[0], ((),) * len(undo) + view._vw[1]
    return view._vw[0][nb:], view._vw[1][nb:]


def _undo_layout(t: Tensor):
    """Steps from t's value back to its storage's layout (t's steps are perms and reshapes)."""
    meta = (tuple(t._sa.shape), _view.contiguous_strides(tuple(t._sa.shape)), 0)
    undo = []
    for step, d in zip(*t._vw):
        if step[0] == "perm":
            undo.append(("perm", tuple(sorted(range(len(step[1])), key=step[1].__getitem__))))
        elif step[0] == "reshape":
            undo.append(("reshape", tuple(meta[0])))
        else:
            raise RuntimeError("a view taken before as_strided_() on its base cannot be "
                               "differentiated through; take the view after the in-place op")
        meta = _view.meta_step(meta, step, d)
    return tuple(reversed(undo))


def _rebase_on_write(view: Tensor, base: Tensor, new: Tensor):
    """An in-place write through a view: the base's history becomes CopySlices(old, new)."""
    steps, dyn = _relative(view, base)
    r = _dispatch.apply(_WRITE, (base, new, dyn), {"steps": steps})
    base._node, base._onr, base._rg = r._node, r._onr, True
    view._nv = -1  # the view's own grad_fn is regenerated from the base on next use


def _regenerate_view_node(view: Tensor):
    base = view._base
    steps, dyn = _relative(view, base)
    r = _dispatch.apply(_READ, (base, dyn), {"steps": steps})
    if r._node is not None:
        r._node.__class__ = engine.node_type("AsStridedBackward0")
        view._node, view._onr, view._rg = r._node, r._onr, True
        view._nv = view._owner()._sv


# ---- the public view functions -----------------------------------------------------------

def _shape_arg(shape, fn="view", arg="size"):
    """Sizes given as varargs or one sequence, parsed as torch's parser does (`_checks.int_list`:
    TypeError for floats, strings, None; symbolic sizes of jtorch.export stay symbolic)."""
    return sizes_args(fn, arg, shape)


def _infer(shape, numel):
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if neg:
        rest = math.prod(s for s in shape if s != -1)
        if rest == 0 or numel % rest:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape[neg[0]] = numel // rest
    if math.prod(shape) != numel or any(s < 0 for s in shape):
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


def view(self: Tensor, *shape, dtype=None, size=None) -> Tensor:
    """Matches `Tensor.view` (shape form and `view(dtype)`)."""
    if not shape and dtype is None and size is None:
        raise TypeError("view() received an invalid combination of arguments - got (), but expected "
                        "one of:\n * (torch.dtype dtype)\n * (tuple of ints size)\n")
    if dtype is not None or size is not None:
        if shape or (dtype is None) == (size is None):
            raise TypeError("view() takes either a shape or dtype=, not both")
        shape = (dtype,) if dtype is not None else (size,)
    if len(shape) == 1 and type(shape[0]) is type:  # view(bool): Python types stand for dtypes
        shape = (D.as_dtype(shape[0]),)
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)) and hasattr(shape[0], "np"):
        return _view_dtype(self, shape[0])
    new = _infer(_shape_arg(shape), self.numel())
    sh, st, _ = self._meta()
    if _view.view_strides(sh, st, new) is None:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least "
                           "one dimension spans across two contiguous subspaces). Use .reshape(...) "
                           "instead.")
    return make_view(self, ("reshape", new))


def _view_dtype(self, dtype):
    """`view(dtype)`: the same bytes read as another dtype (a view; not differentiable)."""
    if dtype is self.dtype:
        return self
    o, n = self.dtype.itemsize, dtype.itemsize
    if o != n:
        from ._tensor import _type_name
        what = f"to view {_type_name(self.dtype)} as {_type_name(dtype)} (different element sizes)"
        if self.dim() == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {what}")
        shape, stride, off = self._meta()
        if stride[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got {stride[-1]}")
        if n > o:
            r = n // o
            if shape[-1] % r:
                raise RuntimeError(f"self.size(-1) must be divisible by {r} {what}, but got "
                                   f"{shape[-1]}")
            if off % r:
                raise RuntimeError(f"self.storage_offset() must be divisible by {r} {what}, but "
                                   f"got {off}")
            for d, s in enumerate(stride[:-1]):
                if s % r:
                    raise RuntimeError(f"self.stride({d}) must be divisible by {r} {what}, but "
                                       f"got {s}")
    import numpy as np
    return make_view(self.detach(), ("bitcast", np.dtype(self.dtype.np), np.dtype(dtype.np)))


def view_as(self, other):
    return view(self, other.shape)


@sizes_arg("shape")
def reshape(self: Tensor, *shape) -> Tensor:
    """Matches `Tensor.reshape` (a view where PyTorch returns one, else a copy)."""
    new = _infer(_shape_arg(shape, "reshape", "shape"), self.numel())
    sh, st, _ = self._meta()
    if _view.view_strides(sh, st, new) is not None:
        return make_view(self, ("reshape", new), name="ViewBackward0")
    return _dispatch.apply(REGISTRY["_reshape_copy"], (self,), {"shape": new})


def reshape_as(self, other):
    return reshape(self, other.shape)


def flatten(self, start_dim=0, end_dim=-1):
    n = self.ndim
    if n == 0:
        return reshape(self, (1,))
    s, e = _wrap_dim(start_dim, n), _wrap_dim(end_dim, n)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return self
    sh = self.shape
    return reshape(self, sh[:s] + (math.prod(sh[s:e + 1]),) + sh[e + 1:])


def unflatten(self, dim, sizes):
    d = _wrap_dim(dim, self.ndim)
    sh = self.shape
    sizes = list(sizes)
    if -1 in sizes:
        i = sizes.index(-1)
        sizes[i] = sh[d] // max(1, math.prod(s for s in sizes if s != -1))
    return view(self, sh[:d] + tuple(sizes) + sh[d + 1:]) if self.is_contiguous() \
        else reshape(self, sh[:d] + tuple(sizes) + sh[d + 1:])


ALL_DIMS = object()  # squeeze(x): every size-1 dim; squeeze(x, None) is no overload of torch's


def squeeze(self, dim=ALL_DIMS):
    sh = self.shape
    if dim is None:
        raise TypeError("squeeze() received an invalid combination of arguments - got (Tensor, "
                        "NoneType), but expected one of: (Tensor input), (Tensor input, int dim), "
                        "(Tensor input, tuple of ints dim)")
    if dim is ALL_DIMS:
        dims = [i for i, s in enumerate(sh) if s == 1]
    else:
        many = isinstance(dim, (tuple, list))
        dims = _wrap_dims(int_list("squeeze", "dim", dim), len(sh)) if many else \
            (_wrap_dim(dim, len(sh)),)
        dims = [d for d in dims if sh[d] == 1] if sh else []
    # PyTorch names the node by overload: squeeze() 0, squeeze(int) 1, squeeze(dims) 2.
    name = "SqueezeBackward" + ("0" if dim is ALL_DIMS else "2" if isinstance(dim, (tuple, list))
                                else "1")
    new = tuple(s for i, s in enumerate(sh) if i not in dims)
    return make_view(self, ("reshape", new), name=name)


def unsqueeze(self, dim):
    sh = self.shape
    d = _wrap_dim(dim, len(sh) + 1)
    return make_view(self, ("reshape", sh[:d] + (1,) + sh[d:]), name="UnsqueezeBackward0")


@sizes_arg("dims")
def permute(self, *dims):
    dims = _shape_arg(dims, "permute", "dims")
    n = self.ndim
    if len(dims) != n:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not "
                           f"match the length of the desired ordering of dimensions i.e. input.dim() "
                           f"= {n} is not equal to len(dims) = {len(dims)}")
    perm = tuple(_wrap_dim(d, n) for d in dims)
    if len(set(perm)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return make_view(self, ("perm", perm), name="PermuteBackward0")


def transpose(self, dim0, dim1):
    n = self.ndim
    perm = list(range(n))
    if n == 0:
        _wrap_dim(dim0, 0), _wrap_dim(dim1, 0)  # dims -1 and 0 only
        return make_view(self, ("perm", ()), name="TransposeBackward0")
    a, b = _wrap_dim(dim0, n), _wrap_dim(dim1, n)
    perm[a], perm[b] = perm[b], perm[a]
    return make_view(self, ("perm", tuple(perm)), name="TransposeBackward0")


swapaxes = swapdims = transpose


def t(self):
    if self.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
    return make_view(self, ("perm", tuple(reversed(range(self.ndim)))), name="TBackward0")


def T(self):
    return make_view(self, ("perm", tuple(reversed(range(self.ndim)))), name="PermuteBackward0")


def mT(self):
    if self.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.")
    return transpose(self, -2, -1)


def _conj(t):
    if not t.dtype.is_complex:
        return t
    from ._dispatch import apply
    from .ops._registry import REGISTRY
    return apply(REGISTRY["conj"], (t,))


def H(self):
    if self.ndim == 0:
        return _conj(self)
    if self.ndim != 2:
        more = " For batches of matrices, consider using tensor.mH" if self.ndim > 2 else ""
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self.ndim}-D tensor.{more}")
    return _conj(transpose(self, 0, 1))


def mH(self):
    if self.ndim < 2:
        raise RuntimeError("tensor.mH is only supported on matrices or batches of matrices. Got "
                           f"{self.ndim}-D tensor.")
    return _conj(transpose(self, -2, -1))


def movedim(self, source, destination):
    n = self.ndim
    source = list(source) if isinstance(source, (tuple, list)) else [source]
    destination = list(destination) if isinstance(destination, (tuple, list)) else [destination]
    if len(source) != len(destination):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({source} dims) should "
                           f"contain the same number of dims as destination ({destination} dims)")
    src = [_wrap_dim(s, n) for s in source]
    dst = [_wrap_dim(d, n) for d in destination]
    for name, given, ds in (("source", source, src), ("destination", destination, dst)):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({given})")
    order = [i for i in range(n) if i not in src]
    perm = [None] * n
    for s, d in zip(src, dst):
        perm[d] = s
    it = iter(order)
    perm = tuple(p if p is not None else next(it) for p in perm)
    return make_view(self, ("perm", perm), name="PermuteBackward0")


moveaxis = movedim


@sizes_arg("size")
def expand(self, *sizes):
    sizes = _shape_arg(sizes, "expand", "size")
    sh = self.shape
    if len(sizes) < len(sh):
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(sh)}}}, size=[{len(sizes)}]): the number "
                           f"of sizes provided ({len(sizes)}) must be greater or equal to the number "
                           f"of dimensions in the tensor ({len(sh)})")
    lead = len(sizes) - len(sh)
    new = list(sizes[:lead])
    for s, o in zip(sizes[lead:], sh):
        if s == -1:
            s = o
        elif o != 1 and s != o:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size "
                               f"({o}) at non-singleton dimension {len(new)}.  Target sizes: "
                               f"{list(sizes)}.  Tensor sizes: {list(sh)}")
        new.append(s)
    return make_view(self, ("expand", tuple(new)), name="ExpandBackward0")


def expand_as(self, other):
    return expand(self, other.shape)


def broadcast_to(self, size):
    if not isinstance(size, (tuple, list)):  # int[] without a length: no bare int
        raise TypeError(f"broadcast_to(): argument 'size' (position 2) must be tuple of ints, not "
                        f"{type(size).__name__}")
    return expand(self, int_list("broadcast_to", "size", size, 2))


def narrow(self, dim, start, length):
    return _narrow(self, dim, start, length, "SliceBackward0")  # torch narrows by slicing


def _narrow(self, dim, start, length, name):
    if self.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, self.ndim)
    n = self.shape[d]
    if isinstance(start, Tensor) and (start.ndim or start.dtype.np.kind not in "iu"):
        raise RuntimeError("start must be an 0-dim integral Tensor.")
    start, length = int_arg("narrow", "start", start, 2), int_arg("narrow", "length", length, 3)
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start < 0:
        start += n
    if not 0 <= start <= n or length < 0 or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return index_view(self, (("a",),) * d + (("s", int(length), 1),), (start,), name)


def select(self, dim, index):
    return _select(self, dim, index, "SelectBackward0")


def _select(self, dim, index, name):
    d = _wrap_dim(dim, self.ndim)
    n = self.shape[d]
    i = int_arg("select", "index", index, 2)
    if not -n <= i < n:
        raise IndexError(f"select(): index {i} out of range for tensor of size {list(self.shape)} "
                         f"at dimension {d}")
    return index_view(self, (("a",),) * d + (("i",),), (i % n,), name)


def index_view(self, items, starts, name="SliceBackward0"):
    """A basic-indexing view; ("a",) items mean 'all of this dim' and are expanded here."""
    out_items, out_starts = [], []
    it = iter(starts)
    sh = self.shape
    d = 0
    for item in items:
        if item[0] == "a":
            out_items.append(("s", sh[d], 1))
            out_starts.append(0)
            d += 1
        elif item[0] == "n":
            out_items.append(item)
        else:
            out_items.append(item)
            out_starts.append(next(it))
            d += 1
    return make_view(self, ("index", tuple(out_items)), tuple(out_starts), name)


def unbind(self, dim=0):
    d = _wrap_dim(dim, self.ndim)
    return tuple(_select(self, d, i, "UnbindBackward0") for i in range(self.shape[d]))


def split(self, split_size_or_sections=None, dim=0, *, split_size=None):
    if split_size is not None:  # Tensor.split's own name for it
        if split_size_or_sections is not None:
            raise TypeError("split() got multiple values for argument 'split_size'")
        split_size_or_sections = split_size
    if split_size_or_sections is None:
        raise TypeError('split() missing 1 required positional arguments: "split_size"')
    d = _wrap_dim(dim, self.ndim)
    n = self.shape[d]
    by_size = not isinstance(split_size_or_sections, (tuple, list))
    if by_size:
        s = int_arg("split", "split_size", split_size_or_sections, 2)
        if s < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={s}")
        if s == 0 and n:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        sizes = [min(s, n - i) for i in range(0, n, s)] if n else [0]
    else:
        sizes = list(int_list("split_with_sizes", "split_sizes", split_size_or_sections, 2))
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input "
                               f"tensor's size at dimension {d}), but got split_sizes={sizes}")
    name = "SplitBackward0" if by_size else "SplitWithSizesBackward0"
    out, start = [], 0
    for s in sizes:
        out.append(_narrow(self, d, start, s, name))
        start += s
    return tuple(out)


def chunk(self, chunks, dim=0):
    chunks = int_arg("chunk", "chunks", chunks, 2)
    d = _wrap_dim(dim, self.ndim)
    n = self.shape[d]
    size = -(-n // chunks) if chunks > 0 else 0
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0")
    return split(self, max(size, 1), d) if n else split(self, 1, d) or (self,)


def diagonal(self, offset=0, dim1=0, dim2=1):
    n = self.ndim
    d1, d2 = _wrap_dim(dim1, n), _wrap_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return make_view(self, ("diag", int_arg("diagonal", "offset", offset), d1, d2),
                     name="DiagonalBackward0")


def unfold(self, dimension, size, step):
    size, step = int_arg("unfold", "size", size, 2), int_arg("unfold", "step", step, 3)
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if self.ndim == 0:  # torch unfolds a 0-dim tensor as if it had shape (1,)
        return unfold(self.unsqueeze(0), dimension, size, step).squeeze(0)
    d = _wrap_dim(dimension, self.ndim)
    if size > self.shape[d]:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {self.shape[d]} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return make_view(self, ("unfold", d, int(size), int(step)), name="UnfoldBackward0")


def as_strided(self, size, stride, storage_offset=None):
    owner = self._owner()
    off = self._meta()[2] if storage_offset is None else \
        int_arg("as_strided", "storage_offset", storage_offset)
    size, stride = int_list("as_strided", "size", size, 2), int_list("as_strided", "stride", stride, 3)
    if off < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {off}")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    if any(n < 0 for n in size):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    if math.prod(size) and off + sum((n - 1) * s for n, s in zip(size, stride)) >= math.prod(owner._sa.shape):
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset "
                           f"{off} require more memory than the storage holds")
    # as_strided is relative to the storage, so the view is built from the owner.
    base = self if self._vw is None and self._st is None else None
    src = base if base is not None else _owner_alias(self)
    # Build from the storage owner, unless autograd must not follow it there: a leaf view that
    # requires grad over storage that does not, or a detached alias of storage that does.
    if src is not self and self._base is None and src._rg and not self._rg:
        src = src.detach()  # a detached alias: a view of the storage, without autograd
    elif self._rg and src is not self and (not src._rg or self._base is None) and _is_grad_mode():
        return _as_strided_from_view(self, size, stride, off)
    return make_view(src, ("strided", size, stride, off), name="AsStridedBackward0")


def _is_grad_mode():
    from .autograd.grad_mode import is_grad_enabled
    return is_grad_enabled()


def _as_strided_from_view(self, size, stride, off):
    """as_strided of a view that requires grad over storage that does not (a leaf view): the
    result reads the storage, with `self`'s elements differentiable (a copy, not a view)."""
    from ._checks import storage_positions
    from ._dispatch import call_fn
    mine = storage_positions(*self._meta())
    out = storage_positions(size, stride, off)
    storage = self._owner()._sa.reshape(-1)

    def f(v):
        return storage.at[mine].set(v.reshape(-1))[out].reshape(size)
    return call_fn(f, [self], name="AsStridedBackward0")


def _owner_alias(t):
    owner = t._owner()
    if t._base is not None:
        return t._base if (t._base._vw is None or not t._base._vw[0]) else owner
    return owner if t._vw is None or not t._vw[0] else owner.detach()


def real(self):
    if not self.dtype.is_complex:
        return self
    return make_view(self, ("real",), name="RealBackward0")


def imag(self):
    if not self.dtype.is_complex:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return make_view(self, ("imag",), name="ImagBackward0")


def contiguous(self, memory_format=None):
    if memory_format is not None and memory_format is not _layout.contiguous_format:
        return _layout.to_format(self, memory_format)
    if self.is_contiguous():
        return self
    return _dispatch.apply(REGISTRY["clone"], (self,))
