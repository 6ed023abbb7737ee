"""Matches `torch.overrides`: the `__torch_function__` protocol for Tensor subclasses, other
classes and `TorchFunctionMode`s.

Every public function, Tensor method and operator checks one flag, `ACTIVE[0]`; it turns on
when a Tensor subclass whose `__torch_function__` is not disabled is defined, a mode is
entered, or a call fails on a non-Tensor argument that has `__torch_function__` (that call is
then retried through it). Until then plain Tensors pay one list lookup per call.
Not dispatched, unlike torch: property getters other than `_PROPERTIES` (`.shape`, `.dtype`,
...) and the metadata queries in `_UNWRAPPED` (`size()`, `dim()`, ...), whose results are the
same for subclasses. The disable switches and the mode stack are per process, not per thread.
"""
from __future__ import annotations

import functools
import sys
import types as _types

from . import _jax_errors

ACTIVE = [False]  # read by every public wrapper: is any torch-function type or mode in play?
_state = {"types": False, "level": 0}  # level: 0 on, 1 subclasses disabled, 2 all disabled
_MODES: list = []
_NO = object()  # "not handled here": the caller runs the function itself
_KIND: dict = {}  # type -> has a (not disabled) __torch_function__ and is not exactly Tensor
_PLAIN: set = set()  # types seen not to overload (never list/tuple: their items are checked)
Tensor = None  # set by _install (import cycle)


def _disabled_torch_function_impl(func, types, args=(), kwargs=None):
    """Matches `torch._C._disabled_torch_function_impl`: a class attribute that opts a Tensor
    subclass out of the protocol (Parameter uses it); calls run as for plain Tensors."""
    return func(*args, **(kwargs or {}))


def __getattr__(name):
    if name == "_disabled_torch_dispatch_impl":  # torch._C's, reached through _C's table
        from .utils._python_dispatch import _disabled_torch_dispatch_impl
        return _disabled_torch_dispatch_impl
    raise AttributeError(f"module 'torch.overrides' has no attribute '{name}'")


def _refresh():
    ACTIVE[0] = _state["types"] or bool(_MODES)


def _overloads(t) -> bool:
    k = _KIND.get(t)
    if k is None:
        tf = getattr(t, "__torch_function__", None)
        k = _KIND[t] = t is not Tensor and tf is not None and tf is not _disabled_torch_function_impl
        if not k and t is not list and t is not tuple:
            _PLAIN.add(t)
    return k


def _get_overloaded_args(relevant_args, get_type_fn=type):
    """Arguments whose type overloads `__torch_function__`, one per type, subclasses first."""
    out, seen = [], set()
    for a in relevant_args:
        t = get_type_fn(a)
        if t in seen or not _overloads(t):
            continue
        seen.add(t)
        i = next((j for j, o in enumerate(out) if issubclass(t, get_type_fn(o))), len(out))
        out.insert(i, a)
    return out


def _flat(args, kwargs):
    """The arguments torch checks: each positional and keyword value, and list/tuple items."""
    for a in args:
        if type(a) is list or type(a) is tuple:
            yield from a
        else:
            yield a
    if kwargs:
        for a in kwargs.values():
            if type(a) is list or type(a) is tuple:
                yield from a
            else:
                yield a


def _call(public, args, kwargs):
    """The slow path of every wrapper (ACTIVE is on): a result, or _NO to run normally."""
    level = _state["level"]
    if level == 2:
        return _NO
    if not _MODES and (level or (_PLAIN.issuperset(map(type, args)) and (
            not kwargs or _PLAIN.issuperset(map(type, kwargs.values()))))):
        return _NO  # the common case: only plain Tensors, numbers, ... (one C-level set check)
    overloaded = _get_overloaded_args(_flat(args, kwargs)) if level == 0 else []
    if not overloaded and not _MODES:
        return _NO
    return _handle(public, overloaded, args, kwargs or {})


def _handle(public, overloaded, args, kwargs):
    types = tuple(type(a) for a in overloaded)
    if _MODES and _state["level"] < 2:
        with _pop_mode_temporarily() as mode:
            r = mode.__torch_function__(public, types, args, kwargs)
        if r is not NotImplemented:
            return r
    for a in overloaded:
        r = a.__torch_function__(public, types, args, kwargs)
        if r is not NotImplemented:
            return r
    name = resolve_name(public) or f"{getattr(public, '__module__', '')}.{getattr(public, '__name__', public)}"
    msg = (f"no implementation found for '{name}' on types that implement __torch_function__: "
           f"{[type(a) for a in overloaded]}")
    if _MODES:
        msg += f" nor in mode {_MODES[-1]}"
    raise TypeError(msg)


def _retry(public, args, kwargs):
    """Called from a wrapper's `except`: a non-Tensor argument with `__torch_function__` turns the
    protocol on and the call goes through it; otherwise the error propagates."""
    if ACTIVE[0] or not any(_overloads(type(a)) for a in _flat(args, kwargs)):
        _reraise(public, args, kwargs)
    _state["types"] = True
    _refresh()
    r = _call(public, args, kwargs)
    if r is _NO:
        raise  # noqa: PLE0704
    return r


def _reraise(public, args, kwargs):
    """Re-raise the error being handled, as torch's when JAX raised it or a tensor argument was
    not a Tensor (`_jax_errors`): the public functions' and methods' error path, also for code
    that does not go through `apply`."""
    e = sys.exc_info()[1]
    name = getattr(public, "__name__", "op")
    new = _jax_errors.torch_error(e, name)
    if new is not e or isinstance(e, (TypeError, AttributeError)):
        # (jtorch's own deliberate errors, e.g. an index out of range, pass unchanged)
        new = _jax_errors.argument_error(name, public, args, kwargs, e) or new
        new = _jax_errors.first_arg_error(getattr(public, "_jtorch_qual", None), args) or new
    if new is e:
        _jax_errors.unchain(e)
        raise  # noqa: PLE0704 (re-raises the error being handled by the caller)
    raise new from None


def wrap(fn, public=None):
    """A function that runs `fn` after offering the call to `__torch_function__` overrides."""
    @functools.wraps(fn)
    def w(*args, **kwargs):
        # Off: one list read. On: plain arguments are recognised by one C-level set check.
        if ACTIVE[0] and (_MODES or not _PLAIN.issuperset(map(type, args)) or (
                kwargs and not _PLAIN.issuperset(map(type, kwargs.values())))):
            r = _call(w if public is None else public, args, kwargs)
            if r is not _NO:
                return r
        try:
            return fn(*args, **kwargs)
        except Exception:
            return _retry(w if public is None else public, args, kwargs)
    w._jtorch_tf = True
    return w


# ---- public helpers ----------------------------------------------------------------------

def has_torch_function(relevant_args) -> bool:
    """Matches `torch.overrides.has_torch_function`."""
    level = _state["level"]
    if level == 2:
        return False
    if _MODES:
        return True
    return level == 0 and any(_overloads(type(a)) for a in relevant_args)


def has_torch_function_unary(obj) -> bool:
    """Matches `torch.overrides.has_torch_function_unary`."""
    return has_torch_function((obj,))


def has_torch_function_variadic(*args) -> bool:
    """Matches `torch.overrides.has_torch_function_variadic`."""
    return has_torch_function(args)


def handle_torch_function(public_api, relevant_args, *args, **kwargs):
    """Matches `torch.overrides.handle_torch_function`."""
    overloaded = _get_overloaded_args(relevant_args) if _state["level"] == 0 else []
    return _handle(public_api, overloaded, args, kwargs)


def is_tensor_like(inp) -> bool:
    """Matches `torch.overrides.is_tensor_like`."""
    return type(inp) is Tensor or hasattr(inp, "__torch_function__")


def is_tensor_method_or_property(func) -> bool:
    """Matches `torch.overrides.is_tensor_method_or_property`."""
    name = getattr(func, "__name__", None)
    return name is not None and (Tensor.__dict__.get(name) is func or
                                 getattr(func, "__self__", None) is Tensor)


def wrap_torch_function(dispatcher):
    """Matches `torch.overrides.wrap_torch_function`: a decorator making a function overridable;
    `dispatcher(*args, **kwargs)` returns the arguments to check."""
    def deco(func):
        @functools.wraps(func)
        def wrapped(*args, **kwargs):
            relevant = dispatcher(*args, **kwargs)
            if has_torch_function(relevant):
                return handle_torch_function(wrapped, relevant, *args, **kwargs)
            return func(*args, **kwargs)
        return wrapped
    return deco


def get_ignored_functions() -> set:
    """Matches `torch.overrides.get_ignored_functions` (the jtorch functions left unwrapped)."""
    import jtorch
    return {getattr(jtorch, n) for n in _IGNORED if hasattr(jtorch, n)}


def get_overridable_functions() -> dict:
    """Matches `torch.overrides.get_overridable_functions`: {namespace: [functions]}."""
    import jtorch
    out = {}
    for ns in (jtorch, jtorch.Tensor, jtorch.nn.functional, jtorch.linalg, jtorch.fft, jtorch.special):
        fns = [v for v in vars(ns).values() if getattr(v, "_jtorch_tf", False)]
        out[ns] = fns
    return out


def resolve_name(f):
    """Matches `torch.overrides.resolve_name`: the 'torch.add'-style name of an overridable
    function (None for others)."""
    if isinstance(f, _types.MethodType):
        f = f.__func__
    name = getattr(f, "__name__", None)
    if not getattr(f, "_jtorch_tf", False) or name is None:
        return None
    if Tensor.__dict__.get(name) is f:
        return f"torch.Tensor.{name}"
    import jtorch
    for ns in (jtorch, jtorch.nn.functional, jtorch.linalg, jtorch.fft, jtorch.special):
        if vars(ns).get(name) is f:
            return ns.__name__.replace("jtorch", "torch", 1) + "." + name
    return None


# ---- disabling and modes -----------------------------------------------------------------

class DisableTorchFunctionSubclass:
    """Matches `torch._C.DisableTorchFunctionSubclass`: calls inside skip subclasses' overrides
    (modes still run)."""
    _level = 1

    def __enter__(self):
        self._prev = _state["level"]
        _state["level"] = max(self._prev, self._level)
        return self

    def __exit__(self, *exc):
        _state["level"] = self._prev
        return False


class DisableTorchFunction(DisableTorchFunctionSubclass):
    """Matches `torch._C.DisableTorchFunction`: calls inside skip overrides and modes."""
    _level = 2


def _is_torch_function_mode_enabled() -> bool:
    return bool(_MODES) and _state["level"] < 2


def _push_mode(mode):
    _MODES.append(mode)
    _refresh()


def _pop_mode():
    if not _MODES:
        raise RuntimeError("Trying to pop from an empty torch function mode stack")
    m = _MODES.pop()
    _refresh()
    return m


def _len_torch_function_stack() -> int:
    return len(_MODES)


def _get_function_stack_at(i: int):
    return _MODES[i]


def _get_current_function_mode():
    return _MODES[-1] if _MODES else None


def _get_current_function_mode_stack() -> list:
    return list(_MODES)


class _pop_mode_temporarily:
    """Runs a block with the innermost mode off the stack (yields that mode)."""

    def __enter__(self):
        self.mode = _pop_mode()
        return self.mode

    def __exit__(self, *exc):
        _push_mode(self.mode)
        return False


class TorchFunctionMode:
    """Matches `torch.overrides.TorchFunctionMode`: `with mode:` routes every overridable call
    (before any subclass override) to `mode.__torch_function__`, the mode being off the stack
    while it runs."""

    def __init__(self):
        pass

    def __torch_function__(self, func, types, args=(), kwargs=None):
        raise NotImplementedError

    def __enter__(self):
        _push_mode(self)
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        _pop_mode()

    @classmethod
    def push(cls, *args, **kwargs):
        return cls(*args, **kwargs)


class BaseTorchFunctionMode(TorchFunctionMode):
    """Matches `torch.overrides.BaseTorchFunctionMode`: a mode that runs every call unchanged."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        return func(*args, **(kwargs or {}))


class enable_reentrant_dispatch:
    """Matches `torch.overrides.enable_reentrant_dispatch` (a no-op context: jtorch has no
    C++ dispatcher state to re-enter)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# ---- Tensor's default implementation and the install step ---------------------------------

def _convert(ret, cls):
    if cls is Tensor:
        return ret
    if isinstance(ret, Tensor) and not isinstance(ret, cls):
        ret = ret.as_subclass(cls)
    if isinstance(ret, (tuple, list)):
        items = [_convert(r, cls) for r in ret]
        ret = type(ret)(*items) if hasattr(ret, "_fields") else type(ret)(items)  # namedtuples too
    return ret


def _tensor_torch_function(cls, func, types, args=(), kwargs=None):
    """Matches `Tensor.__torch_function__`: run `func` with subclass overrides off and return
    Tensor results (and those in tuples/lists) as `cls` instances."""
    if not all(issubclass(cls, t) for t in types):
        return NotImplemented
    with DisableTorchFunctionSubclass():
        ret = func(*args, **(kwargs or {}))
        return ret if func in _NOWRAP else _convert(ret, cls)


def _wrap_property(prop):
    """A property whose getter is offered to overrides as `prop.__get__` (torch's `func`)."""
    fget = prop.fget

    def getter(self):
        if ACTIVE[0]:
            r = _call(new.__get__, (self,), None)
            if r is not _NO:
                return r
        return fget(self)
    new = property(getter, prop.fset, prop.fdel, prop.__doc__)
    return new


def _init_subclass(cls, **kwargs):
    super(Tensor, cls).__init_subclass__(**kwargs)
    if _overloads(cls):
        _state["types"] = True
        _refresh()


# Metadata queries left unwrapped (hot inside jtorch; their results are plain Python values).
_UNWRAPPED = frozenset({
    "size", "dim", "ndimension", "numel", "nelement", "stride", "storage_offset", "element_size",
    "is_contiguous", "is_floating_point", "is_complex", "is_signed", "is_inference", "data_ptr",
    "__hash__", "__len__", "__bool__", "__index__", "__int__", "__float__", "__jax_array__",
    "__repr__", "__str__", "__format__", "__array__", "__array_wrap__", "__reduce_ex__",
    "__deepcopy__", "__setstate__", "__getattr__", "__new__", "__init__", "__init_subclass__",
    "__torch_function__", "__torch_dispatch__", "__class_getitem__", "_is_view", "as_subclass"})
# The func torch hands to `__torch_function__` for these operators is the method itself.
_OPERATOR_FUNCS = {
    "__add__": "add", "__radd__": "add", "__iadd__": "add_", "__sub__": "sub", "__isub__": "sub_",
    "__mul__": "mul", "__rmul__": "mul", "__imul__": "mul_", "__truediv__": "div",
    "__itruediv__": "div_", "__ifloordiv__": "floor_divide_", "__mod__": "remainder",
    "__imod__": "remainder_", "__pow__": "pow", "__ipow__": "pow_", "__matmul__": "matmul",
    "__rand__": "bitwise_and", "__ror__": "bitwise_or", "__rxor__": "bitwise_xor", "__lt__": "lt",
    "__le__": "le", "__gt__": "gt", "__ge__": "ge", "__ne__": "ne", "__neg__": "neg",
    "__abs__": "abs", "__pos__": "positive"}
_NAMES = {"__rtruediv__": "__rdiv__"}
# Property getters that dispatch (as `Tensor.<name>.__get__`); `.shape`, `.dtype`, ... do not.
_PROPERTIES = ("T", "mT", "H", "mH", "real", "imag", "data", "grad")
_NOWRAP: set = set()  # funcs whose results Tensor.__torch_function__ returns unconverted
# Torch-level functions torch does not dispatch either (no tensor arguments, or global state).
_IGNORED = frozenset({
    "is_tensor", "is_storage", "set_default_dtype", "get_default_dtype", "set_default_device",
    "get_default_device", "compile", "load", "save", "manual_seed", "seed", "initial_seed",
    "set_rng_state", "get_rng_state", "is_grad_enabled", "set_grad_enabled",
    "is_inference_mode_enabled", "use_deterministic_algorithms", "set_printoptions", "vmap",
    "cond", "while_loop", "set_num_threads", "get_num_threads"})


# Modules whose functions take no tensors (global state, grad modes, config): left unwrapped.
_STATE_MODULES = ("jtorch.autograd", "jtorch.amp", "jtorch._config_fns", "jtorch.random",
                  "jtorch.serialization", "jtorch._runtime_info", "jtorch._dtype", "jtorch._compile",
                  "jtorch.compiler", "jtorch._symbolic", "jtorch._futures", "jtorch._xla_cache",
                  "jtorch._typeinfo", "jtorch._layout", "jtorch._tensor_str", "jtorch._device",
                  "jtorch._control_flow", "jtorch.func")


def _wrap_namespace(ns: dict, skip=frozenset(), wrapped=None, prefix="torch"):
    for name, v in list(ns.items()):
        mod = getattr(v, "__module__", None) or ""
        if (type(v) is _types.FunctionType and not name.startswith("_") and name not in skip
                and not getattr(v, "_jtorch_tf", False) and mod.startswith("jtorch")
                and not mod.startswith(_STATE_MODULES)):
            ns[name] = wrap(v)
            ns[name]._jtorch_qual = f"{prefix}.{name}"  # torch's name, for the error path
            if wrapped is not None:
                wrapped[v] = ns[name]


def _rebind_module_fns(wrapped: dict):
    """nn modules keep their functional as a class attribute (`_fn = staticmethod(F.softmax)`,
    bound before the wrapping): point those at the wrapped functions."""
    import sys
    for modname, mod in list(sys.modules.items()):
        if not modname.startswith("jtorch.nn.modules"):
            continue
        for cls in list(vars(mod).values()):
            if isinstance(cls, type) and cls.__module__ == modname:
                for k, v in list(vars(cls).items()):
                    if isinstance(v, staticmethod) and v.__func__ in wrapped:
                        setattr(cls, k, staticmethod(wrapped[v.__func__]))


def _install():
    """Wrap Tensor's methods and the function namespaces (once, at the end of `import jtorch`)."""
    global Tensor
    import jtorch
    from . import _tensor
    Tensor = _tensor.Tensor
    Tensor.__torch_function__ = classmethod(_tensor_torch_function)
    Tensor.__init_subclass__ = classmethod(_init_subclass)
    from .utils._python_dispatch import _disabled_torch_dispatch_impl
    Tensor.__torch_dispatch__ = staticmethod(_disabled_torch_dispatch_impl)
    for name, v in list(Tensor.__dict__.items()):
        if (type(v) is _types.FunctionType and name not in _UNWRAPPED and not getattr(v, "_jtorch_tf", False)
                and (not name.startswith("_") or name.startswith("__"))):
            w = wrap(v)
            w._jtorch_qual = f"Tensor.{name}"
            w.__name__ = _NAMES.get(name, name)  # torch's func for `x[i]` is `Tensor.__getitem__`
            setattr(Tensor, name, w)
    for name, target in _OPERATOR_FUNCS.items():
        v = Tensor.__dict__.get(name)
        if v is not None and target in Tensor.__dict__:
            setattr(Tensor, name, wrap(v.__wrapped__, public=Tensor.__dict__[target]))
    for name in _PROPERTIES:
        setattr(Tensor, name, _wrap_property(Tensor.__dict__[name]))
    _NOWRAP.add(Tensor.grad.__get__)
    wrapped: dict = {}
    _wrap_namespace(vars(jtorch), _IGNORED, wrapped)
    for ns, prefix in ((jtorch.nn.functional, "F"), (jtorch.linalg, "torch.linalg"),
                       (jtorch.fft, "torch.fft"), (jtorch.special, "torch.special")):
        _wrap_namespace(vars(ns), wrapped=wrapped, prefix=prefix)
    _rebind_module_fns(wrapped)
