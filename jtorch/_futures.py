"""`torch.Future`, `torch.fork` and `torch.wait`: jtorch runs forked work synchronously (XLA
already overlaps device work), so a forked Future is complete when `fork` returns."""
from __future__ import annotations


class Future:
    """Matches `torch.Future` (and the methods of `torch.futures.Future`): a value that is set
    once; `then` and `add_done_callback` run their callback when it is set."""

    def __init__(self, devices=None):
        self._done, self._value, self._error, self._callbacks = False, None, None, []

    def done(self) -> bool:
        return self._done

    def _complete(self, value, error):
        if self._done:
            raise RuntimeError("Attempting to mark a completed Future as complete again. Note "
                               "that a Future can only be marked completed once.")
        self._done, self._value, self._error = True, value, error
        callbacks, self._callbacks = self._callbacks, []
        for cb in callbacks:
            cb(self)

    def set_result(self, result) -> None:
        self._complete(result, None)

    def set_exception(self, result) -> None:
        self._complete(None, result)

    def value(self):
        if not self._done:
            raise RuntimeError("Future.value() called on a Future that is not completed; call "
                               "wait() (jtorch has no pending work to wait for) or set_result.")
        if self._error is not None:
            raise self._error
        return self._value

    def wait(self):
        return self.value()

    def then(self, callback) -> "Future":
        out = Future()

        def run(fut):
            try:
                out.set_result(callback(fut))
            except Exception as e:  # the callback's error becomes the new Future's error
                out.set_exception(e)
        self.add_done_callback(run)
        return out

    def add_done_callback(self, callback) -> None:
        if self._done:
            callback(self)
        else:
            self._callbacks.append(callback)


def fork(func, *args, **kwargs) -> Future:
    """Matches `torch.fork`: runs `func(*args, **kwargs)` now (errors raise here, as in torch's
    eager fork) and returns a completed Future."""
    fut = Future()
    fut.set_result(func(*args, **kwargs))
    return fut


def wait(future):
    """Matches `torch.wait`: the Future's value."""
    if not isinstance(future, Future):
        raise TypeError(f"wait(): expected a torch.Future, got {type(future).__name__}")
    return future.wait()


Future.__module__ = "jtorch"
