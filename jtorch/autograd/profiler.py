"""Matches `torch.autograd.profiler`: wall-time events for `record_function` regions and ops.

While a profiler records, every `record_function` region and every op at the dispatch point
(`aten::<jtorch op name>`) becomes a `FunctionEvent` with its start/end wall time (µs, host
side: JAX runs ops asynchronously, so an op's time is its dispatch, not its device work, unless
something waits for the result inside the region). CPU only: no CUDA/memory/FLOP columns.
"""
from __future__ import annotations

import json
import time

_ACTIVE: list = []  # recording profilers (the innermost gets the events)


def _now_us() -> float:
    return time.perf_counter_ns() / 1000.0


class Interval:
    """Matches `torch.autograd.profiler_util.Interval`: a [start, end] range in µs."""

    def __init__(self, start, end):
        self.start, self.end = start, end

    def elapsed_us(self):
        return self.end - self.start


class FunctionEvent:
    """Matches `torch.autograd.profiler_util.FunctionEvent` (CPU fields)."""

    def __init__(self, id, name, start_us, end_us, thread=0, input_shapes=None):
        self.id, self.name, self.thread = id, name, thread
        self.time_range = Interval(start_us, end_us)
        self.cpu_children: list = []
        self.cpu_parent = None
        self.input_shapes = input_shapes or []
        self.count = 1
        self.device_type = "CPU"
        self.is_async = False

    @property
    def key(self):
        return self.name

    @property
    def cpu_time_total(self) -> float:
        return self.time_range.elapsed_us()

    @property
    def self_cpu_time_total(self) -> float:
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} cpu_time={self.cpu_time_total:.3f}us "
                f"self_cpu_time={self.self_cpu_time_total:.3f}us>")


class FunctionEventAvg:
    """Matches `torch.autograd.profiler_util.FunctionEventAvg`: totals over events of one key."""

    def __init__(self, key):
        self.key = self.name = key
        self.count = 0
        self.cpu_time_total = self.self_cpu_time_total = 0.0
        self.input_shapes = None

    def add(self, ev):
        self.count += ev.count
        self.cpu_time_total += ev.cpu_time_total
        self.self_cpu_time_total += ev.self_cpu_time_total
        return self

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / max(self.count, 1)

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total:.3f}us "
                f"cpu_time={self.cpu_time:.3f}us count={self.count}>")


def _fmt_us(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


class EventList(list):
    """Matches `torch.autograd.profiler_util.EventList`."""

    def key_averages(self, group_by_input_shapes: bool = False, group_by_stack_n: int = 0):
        avgs: dict = {}
        for ev in self:
            k = (ev.key, str(ev.input_shapes)) if group_by_input_shapes else ev.key
            avgs.setdefault(k, FunctionEventAvg(ev.key)).add(ev)
            if group_by_input_shapes:
                avgs[k].input_shapes = ev.input_shapes
        return EventList(avgs.values())

    def total_average(self) -> FunctionEventAvg:
        tot = FunctionEventAvg("Total")
        for ev in self:
            tot.add(ev)
        return tot

    @property
    def self_cpu_time_total(self) -> float:
        return sum(ev.self_cpu_time_total for ev in self)

    def table(self, sort_by=None, row_limit: int = 100, max_src_column_width: int = 75,
              max_name_column_width: int = 55, max_shapes_column_width: int = 80, header=None,
              top_level_events_only: bool = False, time_unit=None):
        """The text table torch prints (CPU columns)."""
        rows = list(self)
        if top_level_events_only:
            rows = [r for r in rows if getattr(r, "cpu_parent", None) is None]
        if sort_by is not None:  # "cpu_time_total", "self_cpu_time_total", "count", ...
            rows.sort(key=lambda r: getattr(r, sort_by, 0), reverse=True)
        if row_limit is not None and row_limit > 0:
            rows = rows[:row_limit]
        total_self = self.self_cpu_time_total or 1.0
        head = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg",
                "# of Calls"]
        body = [[r.key[:max_name_column_width],
                 f"{100 * r.self_cpu_time_total / total_self:.2f}%", _fmt_us(r.self_cpu_time_total),
                 f"{100 * r.cpu_time_total / total_self:.2f}%", _fmt_us(r.cpu_time_total),
                 _fmt_us(r.cpu_time_total / max(r.count, 1)), str(r.count)] for r in rows]
        widths = [max(len(x[i]) for x in [head] + body) for i in range(len(head))]
        sep = "-" * (sum(widths) + 2 * (len(widths) - 1))
        line = lambda cells: "  ".join(c.rjust(w) if i else c.ljust(w)  # noqa: E731
                                       for i, (c, w) in enumerate(zip(cells, widths)))
        out = ([header] if header else []) + [sep, line(head), sep] + [line(b) for b in body] + [sep]
        out.append(f"Self CPU time total: {_fmt_us(self.self_cpu_time_total)}")
        return "\n".join(out) + "\n"

    def export_chrome_trace(self, path: str) -> None:
        events = [{"name": ev.name, "ph": "X", "ts": ev.time_range.start,
                   "dur": ev.cpu_time_total, "pid": 0, "tid": ev.thread, "cat": "cpu_op",
                   "args": {"Input Dims": ev.input_shapes} if ev.input_shapes else {}}
                  for ev in self if isinstance(ev, FunctionEvent)]
        with open(path, "w") as f:
            json.dump({"traceEvents": events, "displayTimeUnit": "ms"}, f)


class ProfilerConfig:
    """Matches `torch.autograd.ProfilerConfig`: the options a profiler records with."""

    def __init__(self, state=None, report_input_shapes=False, profile_memory=False, with_stack=False,
                 with_flops=False, with_modules=False, experimental_config=None):
        self.state, self.report_input_shapes = state, report_input_shapes
        self.profile_memory, self.with_stack = profile_memory, with_stack
        self.with_flops, self.with_modules = with_flops, with_modules
        self.experimental_config = experimental_config


class ProfilerEvent:
    """Matches `torch.autograd.ProfilerEvent`: a named point in time ("push"/"pop") of the legacy
    profiler's records. jtorch's profilers produce FunctionEvents; this class is for code that
    builds or type-checks such records."""

    def __init__(self, name, kind, time_us, thread=0, shapes=None):
        self._name, self._kind, self._us, self._thread = name, kind, time_us, thread
        self._shapes = shapes or []

    def name(self) -> str:
        return self._name

    def kind(self) -> str:
        return self._kind

    def thread_id(self) -> int:
        return self._thread

    def shapes(self) -> list:
        return self._shapes

    def device(self) -> int:
        return -1

    def has_cuda(self) -> bool:
        return False

    def cpu_elapsed_us(self, other: "ProfilerEvent") -> float:
        return other._us - self._us


class _Recorder:
    """Collects events (nested by a stack of open ranges) while it is on `_ACTIVE`."""

    def __init__(self, record_shapes=False):
        self.events: list = []
        self.stack: list = []
        self.record_shapes = record_shapes

    def begin(self, name, shapes=None):
        ev = FunctionEvent(len(self.events), name, _now_us(), None, input_shapes=shapes)
        if self.stack:
            ev.cpu_parent = self.stack[-1]
            self.stack[-1].cpu_children.append(ev)
        self.stack.append(ev)
        self.events.append(ev)
        return ev

    def end(self, ev):
        ev.time_range.end = _now_us()
        if ev in self.stack:
            while self.stack and self.stack.pop() is not ev:
                pass

    def finished(self) -> EventList:
        now = _now_us()
        for ev in self.events:
            if ev.time_range.end is None:
                ev.time_range.end = now
        return EventList(self.events)


class _OpEvents:
    """A dispatch mode that times every op as an `aten::<name>` event."""

    def __init__(self, rec):
        self.rec = rec

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        shapes = [list(a.shape) if hasattr(a, "shape") else [] for a in args] \
            if self.rec.record_shapes else None
        ev = self.rec.begin("aten::" + func.overloadpacket.__name__, shapes)
        try:
            return func(*args, **(kwargs or {}))
        finally:
            self.rec.end(ev)


def _start(rec):
    from .._dispatch import DISPATCH_MODES
    from ..utils._python_dispatch import TorchDispatchMode
    mode = type("_ProfilerOps", (_OpEvents, TorchDispatchMode), {})(rec)
    _ACTIVE.append(rec)
    DISPATCH_MODES.append(mode)
    return mode


def _stop(rec, mode):
    from .._dispatch import DISPATCH_MODES
    if mode in DISPATCH_MODES:
        DISPATCH_MODES.remove(mode)
    if rec in _ACTIVE:
        _ACTIVE.remove(rec)


class record_function:
    """Matches `torch.autograd.profiler.record_function`: a named region (context manager or
    decorator); an event while a profiler records, nothing otherwise."""

    def __init__(self, name: str, args=None):
        self.name, self.args = name, args
        self._ev = self._rec = None

    def __enter__(self):
        if _ACTIVE:
            self._rec = _ACTIVE[-1]
            self._ev = self._rec.begin(self.name)
        return self

    def __exit__(self, *exc):
        if self._ev is not None:
            self._rec.end(self._ev)
            self._ev = self._rec = None
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)
        return wrapped


class profile:
    """Matches `torch.autograd.profiler.profile` (CPU wall-time events; see the module doc)."""

    def __init__(self, enabled: bool = True, *, use_cuda: bool = False, use_device=None,
                 record_shapes: bool = False, with_flops: bool = False, profile_memory: bool = False,
                 with_stack: bool = False, with_modules: bool = False, use_kineto: bool = False,
                 use_cpu: bool = True, experimental_config=None, acc_events: bool = False,
                 custom_trace_id_callback=None):
        self.enabled, self.record_shapes = enabled, record_shapes
        self.function_events = None
        self._rec = self._mode = None

    def __enter__(self):
        if self.enabled:
            if self._rec is not None:
                raise RuntimeError("Profiler context manager is not reentrant")
            self._rec = _Recorder(self.record_shapes)
            self._mode = _start(self._rec)
        return self

    def __exit__(self, *exc):
        if self._rec is not None:
            _stop(self._rec, self._mode)
            self.function_events = self._rec.finished()
            self._rec = None
        return False

    def _check_finish(self):
        if self.function_events is None:
            raise RuntimeError("Profiler didn't finish running")

    def events(self) -> EventList:
        self._check_finish()
        return self.function_events

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0):
        self._check_finish()
        return self.function_events.key_averages(group_by_input_shape, group_by_stack_n)

    def total_average(self):
        self._check_finish()
        return self.function_events.total_average()

    def table(self, *args, **kwargs) -> str:
        self._check_finish()
        return self.function_events.table(*args, **kwargs)

    @property
    def self_cpu_time_total(self) -> float:
        self._check_finish()
        return self.function_events.self_cpu_time_total

    def export_chrome_trace(self, path: str) -> None:
        self._check_finish()
        self.function_events.export_chrome_trace(path)

    def __str__(self):
        return self.table() if self.function_events is not None else "<unfinished profile>"


class emit_nvtx:
    """Matches `torch.autograd.profiler.emit_nvtx` (no NVTX on CPU: a no-op context)."""

    def __init__(self, enabled: bool = True, record_shapes: bool = False):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class emit_itt(emit_nvtx):
    """Matches `torch.autograd.profiler.emit_itt` (a no-op context)."""

