"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode and grad_mode(mode, fn).

The whole state is one small int in a ContextVar, read once per op by the dispatcher:
bit 0 = grad enabled, bit 1 = "locked" (a grad_mode(mode, fn) frame is the innermost
mode scope, so plain set_grad_enabled() calls are ignored), bit 2 = inference mode.
A ContextVar is per thread (new threads start from the default: grad enabled).
"""
from __future__ import annotations

import functools
import inspect
import sys
import types
from contextvars import ContextVar

ENABLED, LOCKED, INFERENCE = 1, 2, 4
_MODE: ContextVar[int] = ContextVar("jtorch_grad_mode", default=ENABLED)
_get = _MODE.get
_set = _MODE.set

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled", "grad_mode"]


def is_grad_enabled() -> bool:
    """Matches `torch.is_grad_enabled`."""
    return _get() & ENABLED == ENABLED


def is_inference_mode_enabled() -> bool:
    """Matches `torch.is_inference_mode_enabled`."""
    return _get() & INFERENCE == INFERENCE


def grad_mode(mode: bool, fn):
    """Run `fn()` with gradients on (`mode=True`) or off, return its value, restore the mode.

    jtorch-only. Within `fn` the mode is read-only: a plain `set_grad_enabled(x)` call made
    while this frame is the innermost mode scope changes nothing. Context managers and
    decorators (`no_grad`, `enable_grad`, `set_grad_enabled`, nested `grad_mode`) used inside
    `fn` still apply to their own scope. The previous mode is restored however `fn` exits.
    """
    if mode is not True and mode is not False:
        raise TypeError(f"grad_mode(mode, fn): mode must be a bool (True or False), "
                        f"got {type(mode).__name__}; use bool(...) to convert")
    if not callable(fn):
        raise TypeError(f"grad_mode(mode, fn): fn must be callable with no arguments, "
                        f"got {type(fn).__name__}")
    prev = _get()
    _set((prev & INFERENCE) | LOCKED | (ENABLED if mode else 0))
    try:
        return fn()
    finally:
        _set(prev)


class _ModeContext:
    """Base for the mode context managers: `with`, `@decorator` and `@decorator()` forms."""

    __slots__ = ("_prev",)

    def _new_mode(self, prev: int) -> int:
        raise NotImplementedError

    def __enter__(self):
        prev = self._prev = _get()
        _set(self._new_mode(prev))
        return None

    def __exit__(self, *exc):
        _set(self._prev)
        return False

    def clone(self):
        return self.__class__()

    def __call__(self, func):
        if inspect.isclass(func):
            raise TypeError(f"{type(self).__name__} can decorate functions, not classes")
        if inspect.isgeneratorfunction(func):
            return self._wrap_generator(func)

        @functools.wraps(func)
        def decorated(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)
        return decorated

    def _wrap_generator(self, func):
        # The mode applies only while the generator body runs; between yields the caller's
        # mode is back.
        @functools.wraps(func)
        def decorated(*args, **kwargs):
            gen = func(*args, **kwargs)
            try:
                with self.clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with self.clone():
                            gen.close()
                        raise
                    except BaseException:
                        with self.clone():
                            response = gen.throw(*sys.exc_info())
                    else:
                        with self.clone():
                            response = gen.send(request)
            except StopIteration as e:
                return e.value
        return decorated


class _BareDecoratable(_ModeContext):
    __slots__ = ()

    def __new__(cls, orig_func=None):
        # Allows both `@no_grad` and `@no_grad()`.
        self = object.__new__(cls)
        if orig_func is None:
            return self
        return self(orig_func)


class no_grad(_BareDecoratable):
    """Matches `torch.no_grad`."""

    __slots__ = ()

    def _new_mode(self, prev):
        return prev & INFERENCE

    def __enter__(self):  # inlined: this is the hot one
        prev = self._prev = _get()
        _set(prev & INFERENCE)


class enable_grad(_BareDecoratable):
    """Matches `torch.enable_grad`."""

    __slots__ = ()

    def _new_mode(self, prev):
        return (prev & INFERENCE) | ENABLED


class set_grad_enabled(_ModeContext):
    """Matches `torch.set_grad_enabled` (plain call, context manager, decorator).

    A plain call is ignored while a `grad_mode(mode, fn)` frame is the innermost mode scope.
    """

    __slots__ = ("mode",)

    def __init__(self, mode: bool):
        if not isinstance(mode, bool):  # torch refuses ints too
            raise TypeError(f"set_grad_enabled(mode): mode must be a bool, got {type(mode).__name__}")
        self.mode = bool(mode)
        prev = self._prev = _get()
        if not prev & LOCKED:  # the plain-call effect happens at once, like torch
            _set((prev & INFERENCE) | (ENABLED if self.mode else 0))

    def _new_mode(self, prev):
        return (prev & INFERENCE) | (ENABLED if self.mode else 0)

    def __enter__(self):
        # __init__ already saved the state to restore and applied the plain-call effect;
        # entering a scope applies the mode even under a grad_mode frame.
        _set(self._new_mode(_get()) & ~LOCKED)
        return None

    def clone(self):
        return _GradScope(self.mode)

    def __call__(self, func):
        _set(self._prev)  # decorating does not change the mode
        return _ModeContext.__call__(self, func)


class _GradScope(_ModeContext):
    """A plain save-set-restore scope; what decorated calls of set_grad_enabled enter."""

    __slots__ = ("mode",)

    def __init__(self, mode: bool):
        self.mode = mode

    def _new_mode(self, prev):
        return (prev & INFERENCE) | (ENABLED if self.mode else 0)

    def clone(self):
        return _GradScope(self.mode)


class inference_mode(_ModeContext):
    """Matches `torch.inference_mode` (mode=True disables grad and marks new tensors inference)."""

    __slots__ = ("mode",)

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode) and not isinstance(mode, bool):  # bare @inference_mode
            self.mode = True
            return self(mode)
        return self

    def __init__(self, mode=True):
        if not callable(mode) or isinstance(mode, bool):
            self.mode = bool(mode)

    def _new_mode(self, prev):
        if self.mode:
            return INFERENCE
        return ENABLED  # like torch, inference_mode(False) also enables grad

    def clone(self):
        return inference_mode(self.mode)


class _CallableModule(types.ModuleType):
    """Lets `jtorch.autograd.grad_mode(mode, fn)` be called while staying a module path."""

    def __call__(self, mode, fn):
        return grad_mode(mode, fn)


sys.modules[__name__].__class__ = _CallableModule
