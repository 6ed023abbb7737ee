"""torch.distributed.checkpoint.api: CheckpointException."""
from __future__ import annotations


class CheckpointException(BaseException):
    """Matches torch's: raised by `dcp.save`/`dcp.load` with each failing rank's exception
    (`failures`); a BaseException, as torch's."""

    def __init__(self, msg, failures):
        super().__init__(msg, failures)
        self._failures = failures

    @property
    def failures(self):
        return self._failures

    def __str__(self):
        return f"CheckpointException ranks:{self._failures.keys()}\n" + "\n".join(
            f"{type(e).__name__}: {e}" for e in self._failures.values())
