"""torch.distributed.elastic.multiprocessing.errors: `record` writes a failing rank's traceback."""
from __future__ import annotations

import functools
import json
import os
import time
import traceback


class ChildFailedError(Exception):
    """Matches `torch.distributed.elastic.multiprocessing.errors.ChildFailedError`."""

    def __init__(self, name: str, failures: dict):
        self.name, self.failures = name, failures
        super().__init__(f"{name} FAILED: {failures}")


def record(fn=None, error_handler=None):
    """Matches `torch.distributed.elastic.multiprocessing.errors.record`.

    An exception escaping `fn` is written to `$TORCHELASTIC_ERROR_FILE` (torch's JSON layout),
    where the launcher reads it for its failure summary, then re-raised.
    """
    if fn is None:
        return functools.partial(record, error_handler=error_handler)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SystemExit:
            raise
        except BaseException as e:
            path = os.environ.get("TORCHELASTIC_ERROR_FILE")
            if path:
                msg = {"message": {"message": f"{type(e).__name__}: {e}", "extraInfo": {
                    "py_callstack": traceback.format_exc(), "timestamp": str(int(time.time()))}}}
                with open(path, "w") as f:
                    json.dump(msg, f)
            raise
    return wrapper
