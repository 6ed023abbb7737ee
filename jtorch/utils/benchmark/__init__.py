"""Matches `torch.utils.benchmark` (wall-clock timing; no Fuzzer, no Callgrind, no C++ statements)."""
from .utils.common import (Measurement as Measurement, TaskSpec as TaskSpec,  # noqa: F401
                           ordered_unique as ordered_unique, select_unit as select_unit,
                           set_torch_threads as set_torch_threads, trim_sigfig as trim_sigfig,
                           unit_to_english as unit_to_english)
from .utils.compare import Colorize as Colorize, Compare as Compare  # noqa: F401
from .utils.timer import Language as Language, Timer as Timer, timer as timer  # noqa: F401
