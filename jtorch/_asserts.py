"""`torch._assert` and the `torch._check*` family: runtime checks with torch's error types."""
from __future__ import annotations

_DEFAULT = ("Expected cond to be True, but got False. (Could this error message be improved? "
            "If so, please report an enhancement request to PyTorch.)")


def _assert(condition, message):
    """Matches `torch._assert`: `assert condition, message` that also works on a 0-dim tensor."""
    if not bool(condition):
        raise AssertionError(message)


def _check_with(error_type, cond, message=None):
    """Matches `torch._check_with`: raises `error_type` (message a str or a callable) if not cond."""
    if not isinstance(cond, bool):
        from ._tensor import Tensor
        if isinstance(cond, Tensor):
            raise TypeError(f"cond must be a bool, but got a Tensor. For tensor conditions, use "
                            "torch._check_tensor_all() to assert that all elements are True")
        raise TypeError(f"cond must be a bool, but got {type(cond)}")
    if cond:
        return
    msg = _DEFAULT if message is None else (message() if callable(message) else str(message))
    raise error_type(msg)


def _check(cond, message=None):
    """Matches `torch._check` (RuntimeError)."""
    _check_with(RuntimeError, cond, message)


def _check_index(cond, message=None):
    """Matches `torch._check_index` (IndexError)."""
    _check_with(IndexError, cond, message)


def _check_value(cond, message=None):
    """Matches `torch._check_value` (ValueError)."""
    _check_with(ValueError, cond, message)


def _check_type(cond, message=None):
    """Matches `torch._check_type` (TypeError)."""
    _check_with(TypeError, cond, message)


def _check_not_implemented(cond, message=None):
    """Matches `torch._check_not_implemented` (NotImplementedError)."""
    _check_with(NotImplementedError, cond, message)


def _check_is_size(i, message=None, *, max=None):  # noqa: A002 - torch's keyword
    """Matches `torch._check_is_size`: `i >= 0` (and `<= max`)."""
    _check(i >= 0, message)
    if max is not None:
        _check(i <= max, message)


def _check_tensor_all_with(error_type, cond, message=None):
    """Matches `torch._check_tensor_all_with`: every element of a bool tensor is True."""
    from ._tensor import Tensor
    if not isinstance(cond, Tensor) or str(cond.dtype) != "torch.bool":
        raise TypeError(f"cond must be a tensor with dtype torch.bool, but got {type(cond)}")
    _check_with(error_type, bool(cond.all()), message)


def _check_tensor_all(cond, message=None):
    """Matches `torch._check_tensor_all` (RuntimeError)."""
    _check_tensor_all_with(RuntimeError, cond, message)
