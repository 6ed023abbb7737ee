"""Matches `torch.utils.benchmark.utils.timer`: Timer over Python statements."""
from __future__ import annotations

import ast
import enum
import textwrap
import timeit
from typing import Any, Callable

import numpy as np

from . import common
from ._sync import barrier, block

__all__ = ["Timer", "timer", "Language"]


def timer() -> float:
    """Matches `torch.utils.benchmark.timer`: waits for queued JAX work, then reads the clock."""
    barrier()
    return timeit.default_timer()


class Language(enum.Enum):
    PYTHON = 0
    CPP = 1


_TEMPLATE = """
def inner(_it, _timer, _jt_block):
{setup}
    _t0 = _timer()
    for _i in _it:
{stmt}
        pass
    _t1 = _timer()
    return _t1 - _t0
"""


def _compile_inner(stmt: str, setup: str, globals_: dict) -> Callable:
    """timeit's inner loop, where a final expression of `stmt` is waited for on every run."""
    for name, code in (("stmt", stmt), ("setup", setup)):
        compile(code, f"<{name}>", "exec")  # report a syntax error against the user's own text
    src = _TEMPLATE.format(setup=textwrap.indent(setup or "pass", " " * 4),
                           stmt=textwrap.indent(stmt or "pass", " " * 8))
    tree = ast.parse(src)
    loop = next(n for n in tree.body[0].body if isinstance(n, ast.For))
    last = loop.body[-2]
    if isinstance(last, ast.Expr):
        call = ast.Call(ast.Name("_jt_block", ast.Load()), [last.value], [])
        loop.body[-2] = ast.copy_location(ast.Expr(call), last)
        ast.fix_missing_locations(tree)
    ns: dict = {}
    exec(compile(tree, "<timeit-src>", "exec"), globals_, ns)
    return ns["inner"]


class Timer:
    """Matches `torch.utils.benchmark.Timer` for Python statements.

    Timing includes the work, not just its dispatch: JAX runs ops asynchronously, so the value of
    a statement that ends in an expression is waited for (`block_until_ready`) on every run, and
    the clock is read only after the device has finished what was queued (`timer`). C++
    statements (`language='c++'`) and `collect_callgrind` are not available.
    """

    def __init__(self, stmt: str = "pass", setup: str = "pass", global_setup: str = "",
                 timer: Callable[[], float] = timer, globals: dict | None = None,
                 label: str | None = None, sub_label: str | None = None,
                 description: str | None = None, env: str | None = None,
                 num_threads: int = 1, language: Language | str = Language.PYTHON) -> None:
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        self._globals = dict(globals or {})
        if language in (Language.PYTHON, "py", "python"):
            import jtorch
            self._globals.setdefault("torch", jtorch)
            self._language = Language.PYTHON
            if global_setup:
                raise ValueError(f"global_setup is C++ only, got `{global_setup}`. Most "
                                 "likely this code can simply be moved to `setup`.")
        elif language in (Language.CPP, "cpp", "c++"):
            raise NotImplementedError("jtorch times Python statements only; write the C++ "
                                      "statement in Python (language='python').")
        else:
            raise ValueError(f"Invalid language `{language}`.")
        stmt, setup = (self._clean(s) for s in (stmt, setup))
        self._inner = _compile_inner(stmt, setup, self._globals)
        self._clock = timer
        self._task_spec = common.TaskSpec(stmt=stmt, setup=setup, global_setup=global_setup,
                                          label=label, sub_label=sub_label,
                                          description=description, env=env,
                                          num_threads=num_threads)

    @staticmethod
    def _clean(code: str) -> str:
        code = textwrap.dedent(code)
        return (code[1:] if code[:1] == "\n" else code).rstrip()

    def _timeit(self, number: int) -> float:
        return max(self._inner(range(number), self._clock, block), 1e-9)

    def timeit(self, number: int = 1000000) -> common.Measurement:
        """Matches `Timer.timeit`: one warm-up of `number // 100` runs, then `number` runs."""
        with common.set_torch_threads(self._task_spec.num_threads):
            self._timeit(number=max(int(number // 100), 2))
            return common.Measurement(number_per_run=number,
                                      raw_times=[self._timeit(number=number)],
                                      task_spec=self._task_spec)

    def repeat(self, repeat: int = -1, number: int = -1) -> None:
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback: Callable | None = None) -> None:
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def _threaded_measurement_loop(self, number: int, time_hook: Callable, stop_hook: Callable,
                                   min_run_time: float, max_run_time: float | None = None,
                                   callback: Callable | None = None) -> list:
        total, can_stop, times = 0.0, False, []
        with common.set_torch_threads(self._task_spec.num_threads):
            while total < min_run_time or not can_stop:
                spent = time_hook()
                times.append(spent)
                total += spent
                if callback:
                    callback(number, spent)
                can_stop = stop_hook(times)
                if max_run_time and total > max_run_time:
                    break
        return times

    def _estimate_block_size(self, min_run_time: float) -> int:
        # Grow the block tenfold until the timer's own overhead is below 0.01% of it.
        with common.set_torch_threads(self._task_spec.num_threads):
            overhead = float(np.median([self._timeit(0) for _ in range(5)]))
            number = 1
            while True:
                taken = self._timeit(number)
                if overhead / taken <= 1e-4 and taken >= min_run_time / 1000:
                    break
                if taken > min_run_time or number * 10 > 2147483647:
                    break
                number *= 10
        return number

    def blocked_autorange(self, callback: Callable | None = None,
                          min_run_time: float = 0.2) -> common.Measurement:
        """Matches `Timer.blocked_autorange`: blocks of a fixed size until `min_run_time`."""
        number = self._estimate_block_size(min_run_time)
        times = self._threaded_measurement_loop(number, lambda: self._timeit(number),
                                                lambda times: True, min_run_time=min_run_time,
                                                callback=callback)
        return common.Measurement(number_per_run=number, raw_times=times,
                                  task_spec=self._task_spec)

    def adaptive_autorange(self, threshold: float = 0.1, *, min_run_time: float = 0.01,
                           max_run_time: float = 10.0,
                           callback: Callable | None = None) -> common.Measurement:
        """Matches `Timer.adaptive_autorange`: blocks until IQR/median < `threshold`."""
        number = self._estimate_block_size(min_run_time=0.05)

        def stop(times: list) -> bool:
            return len(times) > 3 and common.Measurement(
                number_per_run=number, raw_times=times,
                task_spec=self._task_spec).meets_confidence(threshold=threshold)

        times = self._threaded_measurement_loop(number, lambda: self._timeit(number), stop,
                                                min_run_time, max_run_time, callback=callback)
        return common.Measurement(number_per_run=number, raw_times=times,
                                  task_spec=self._task_spec)

    def collect_callgrind(self, number: int = 100, *, repeats: int | None = None,
                          collect_baseline: bool = True, retain_out_file: bool = False) -> Any:
        raise NotImplementedError("collect_callgrind needs Valgrind over torch's C++ runtime; "
                                  "use blocked_autorange() for wall times under jtorch.")
