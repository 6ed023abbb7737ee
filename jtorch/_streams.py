"""`torch.Stream` and `torch.Event` on the CPU: XLA orders work itself, so a stream is a handle
that is always done, and recording an event raises torch's CPU error."""
from __future__ import annotations

import jax


def _no_events():
    raise RuntimeError("cpu backend doesn't support events.")


class Stream:
    """Matches `torch.Stream` on the CPU (`device_type` 0, index -1, stream 0)."""

    def __init__(self, device=None, *, priority=0):
        from ._device import device as _device
        d = _device(device if device is not None else "cpu")
        if d.type != "cpu":
            raise RuntimeError(f"PyTorch is not linked with support for {d.type} devices")
        self.device_type, self.device_index, self.stream_id = 0, -1, 0

    @property
    def device(self):
        from ._device import device as _device
        return _device("cpu")

    def query(self) -> bool:
        return True

    def synchronize(self) -> None:
        jax.effects_barrier()

    def wait_event(self, event) -> None:
        pass

    def wait_stream(self, stream) -> None:
        pass

    def record_event(self, event=None):
        _no_events()

    def __eq__(self, other):
        return isinstance(other, Stream)

    def __hash__(self):
        return 0

    def __repr__(self):
        return "torch.Stream device_type=cpu, device_index=-1, stream_id=0"


class Event:
    """Matches `torch.Event` on the CPU: `record` raises, as torch's CPU backend does."""

    def __init__(self, device=None, *, enable_timing=False, blocking=False, interprocess=False):
        self.event_id, self._flag = 0, int(bool(enable_timing))
        self._timing = bool(enable_timing)

    @property
    def device(self):
        from ._device import device as _device
        return _device("cpu")

    def query(self) -> bool:
        return True

    def record(self, stream=None):
        _no_events()

    def synchronize(self) -> None:
        pass

    def wait(self, stream=None) -> None:
        pass

    def elapsed_time(self, end_event):
        if not (self._timing and end_event._timing):
            raise ValueError("Both events must be created with argument 'enable_timing=True'.")
        _no_events()

    def __repr__(self):
        return f"torch.Event device_type=cpu, device_index=-1, event_flag={self._flag}, event_id=0"
