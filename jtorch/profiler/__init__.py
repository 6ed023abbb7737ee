"""Matches `torch.profiler`: `profile` with schedules and trace handlers over the CPU wall-time
events of `torch.autograd.profiler` (record_function regions and ops; no device activities)."""
from __future__ import annotations

import enum
import os
import socket
import time

from ..autograd.profiler import EventList, _Recorder, _start, _stop, record_function  # noqa: F401


class ProfilerActivity(enum.Enum):
    """Matches `torch.profiler.ProfilerActivity`."""
    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5

    @property
    def name(self):
        return self._name_


class ProfilerAction(enum.Enum):
    """Matches `torch.profiler.ProfilerAction`."""
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def supported_activities() -> set:
    """Matches `torch.profiler.supported_activities`: CPU only."""
    return {ProfilerActivity.CPU}


def kineto_available() -> bool:
    """Matches `torch.profiler.kineto_available`: jtorch records without Kineto."""
    return False


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0,
             skip_first_wait: int = 0):
    """Matches `torch.profiler.schedule`: step -> ProfilerAction."""
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError("Invalid profiler schedule arguments")
    if warmup == 0:
        import warnings
        warnings.warn("Profiler won't be using warmup, this can skew profiler results")

    def schedule_fn(step: int) -> ProfilerAction:
        if step < 0:
            raise AssertionError(f"Invalid step number: {step}")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait and step < wait:  # the first cycle skips its wait
            pass
        elif skip_first_wait:
            step -= wait
        n = wait + warmup + active
        if repeat > 0 and step // n >= repeat:
            return ProfilerAction.NONE
        mod = step % n
        if mod < wait:
            return ProfilerAction.NONE
        if mod < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if mod < n - 1 else ProfilerAction.RECORD_AND_SAVE
    return schedule_fn


def _default_schedule(step):
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name: str, worker_name=None, use_gzip: bool = False):
    """Matches `torch.profiler.tensorboard_trace_handler`: write each trace as
    `<dir>/<worker>.<time ns>.pt.trace.json` (chrome trace format)."""
    def handler(prof):
        os.makedirs(dir_name, exist_ok=True)
        name = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        path = os.path.join(dir_name, f"{name}.{time.time_ns()}.pt.trace.json")
        prof.export_chrome_trace(path)
        if use_gzip:
            import gzip
            import shutil
            with open(path, "rb") as src, gzip.open(path + ".gz", "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.remove(path)
    return handler


class profile:
    """Matches `torch.profiler.profile`: records while the schedule says RECORD; each
    RECORD_AND_SAVE step ends a cycle and calls `on_trace_ready(prof)`."""

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None,
                 record_shapes: bool = False, profile_memory: bool = False, with_stack: bool = False,
                 with_flops: bool = False, with_modules: bool = False, experimental_config=None,
                 execution_trace_observer=None, acc_events: bool = False, use_cuda=None,
                 custom_trace_id_callback=None):
        self.activities = set(activities) if activities else supported_activities()
        self.schedule = schedule or _default_schedule
        self.record_steps = schedule is not None  # "ProfilerStep*" regions, as torch
        self.on_trace_ready = on_trace_ready
        self.record_shapes = record_shapes
        self.step_num = 0
        self.profiler = None  # the events of the last finished cycle (an EventList)
        self._rec = self._mode = self._step_ev = None
        self._action = ProfilerAction.NONE
        self._metadata: dict = {}

    # -- recording cycle --
    def _begin(self):
        if self._rec is None:
            self._rec = _Recorder(self.record_shapes)
            self._mode = _start(self._rec)

    def _finish(self):
        if self._rec is not None:
            if self._step_ev is not None:
                self._rec.end(self._step_ev)
                self._step_ev = None
            _stop(self._rec, self._mode)
            self.profiler = self._rec.finished()
            self._rec = self._mode = None
            if self.on_trace_ready is not None:
                self.on_trace_ready(self)

    def _enter_action(self, action):
        self._action = action
        if action in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE):
            self._begin()
            if self.record_steps:  # torch's events name every step region "ProfilerStep*"
                self._step_ev = self._rec.begin("ProfilerStep*")

    def start(self):
        self._enter_action(self.schedule(self.step_num))

    def stop(self):
        if self._rec is not None:
            self._finish()

    def step(self):
        """Advance the schedule one step (close this step's region; save at a cycle's end)."""
        prev = self._action
        if self._step_ev is not None:
            self._rec.end(self._step_ev)
            self._step_ev = None
        self.step_num += 1
        action = self.schedule(self.step_num)
        if prev == ProfilerAction.RECORD_AND_SAVE or (
                prev in (ProfilerAction.RECORD,) and action in (ProfilerAction.NONE, ProfilerAction.WARMUP)):
            self._finish()
        self._enter_action(action)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- results --
    def events(self) -> EventList:
        if self.profiler is None:
            raise RuntimeError("Profiler didn't finish running")
        return self.profiler

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False):
        return self.events().key_averages(group_by_input_shape, group_by_stack_n)

    def export_chrome_trace(self, path: str) -> None:
        self.events().export_chrome_trace(path)

    def export_stacks(self, path: str, metric: str = "self_cpu_time_total"):
        raise RuntimeError("export_stacks needs with_stack=True stacks, which jtorch's profiler "
                           "does not record")

    def add_metadata(self, key: str, value: str) -> None:
        self._metadata[key] = value

    def add_metadata_json(self, key: str, value: str) -> None:
        self._metadata[key] = value


_KinetoProfile = profile
