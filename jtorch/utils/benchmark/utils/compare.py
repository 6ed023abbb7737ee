"""Matches `torch.utils.benchmark.utils.compare`: tables of many Measurements."""
from __future__ import annotations

import collections
import enum
import math

from . import common

__all__ = ["Colorize", "Compare"]

BEST = "\033[92m"
GOOD = "\033[34m"
BAD = "\033[2m\033[91m"
VERY_BAD = "\033[31m"
BOLD = "\033[1m"
TERMINATE = "\033[0m"


class Colorize(enum.Enum):
    NONE = "none"
    COLUMNWISE = "columnwise"
    ROWWISE = "rowwise"


def _color(text: str, value: float, best: float) -> str:
    if value <= best * 1.01 or value <= best + 100e-9:
        return BEST + BOLD + text + TERMINATE * 2
    if value <= best * 1.1:
        return GOOD + BOLD + text + TERMINATE * 2
    if value >= best * 5:
        return VERY_BAD + BOLD + text + TERMINATE * 2
    if value >= best * 2:
        return BAD + text + TERMINATE * 2
    return text


class _Column:
    """One description's cells: a shared number format for the whole column."""

    def __init__(self, groups: list, scale: float, trim: bool, highlight: bool) -> None:
        self.groups = groups
        flat = [m for g in groups for m in g]
        self.trim = trim
        self.highlight = highlight and any(m.has_warnings for m in flat if m)
        lead = {id(m): math.ceil(math.log10(m.median / scale)) for m in flat if m}
        unit_digits = max(lead.values())
        decimals = (min(max(m.significant_figures - lead[id(m)], 0) for m in flat if m)
                    if trim else 1)
        width = unit_digits + decimals + (1 if decimals else 0)
        self.template = f"{{:>{width}.{decimals}f}}{{:>{7 if self.highlight else 0}}}"

    def cell(self, value: float | None, sigfigs: int, spread: float | None) -> str:
        if value is None:
            return " " * len(self.cell(1, sigfigs, None))
        if self.trim:
            value = common.trim_sigfig(value, sigfigs)
        note = f" (! {spread * 100:.0f}%)" if self.highlight and spread is not None else ""
        return self.template.format(value, note)


class _Table:
    """One label's measurements: rows by (threads, env, sub_label or stmt), columns by description."""

    def __init__(self, results: list, colorize: Colorize, trim: bool, highlight: bool) -> None:
        if len({r.label for r in results}) != 1:
            raise AssertionError("All results must share the same label")
        self.results, self.colorize, self.highlight = results, colorize, highlight
        self.label = results[0].label
        self.unit, self.scale = common.select_unit(min(r.median for r in results))
        row_key = lambda m: (m.num_threads, m.env, m.as_row_name)  # noqa: E731
        self.row_keys = common.ordered_unique(row_key(r) for r in results)
        self.row_keys.sort(key=lambda k: k[:2])  # stable: statements keep their order
        self.col_keys = common.ordered_unique(r.description for r in results)
        cells = {(row_key(r), r.description): r for r in results}
        self.grid = [[cells.get((rk, ck)) for ck in self.col_keys] for rk in self.row_keys]
        envs = {r.env for r in results}
        self.render_env = len(envs) > 1
        self.env_len = max(len(e) for e in envs) if self.render_env else 0
        # Row groups start where the thread count changes; each starts a separator line.
        self.group_of, self.starts, prior = [], [], -1
        for (threads, _, _) in self.row_keys:
            self.starts.append(threads != prior)
            self.group_of.append(sum(self.starts) - 1)
            prior = threads
        n_groups = sum(self.starts)
        self.columns = []
        for j in range(len(self.col_keys)):
            groups = [tuple(row[j] for row, g in zip(self.grid, self.group_of) if g == k)
                      for k in range(n_groups)]
            self.columns.append(_Column(groups, self.scale, trim, highlight))

    def _row_strings(self, i: int) -> list:
        row = self.grid[i]
        first = next(m for m in row if m is not None)
        prior = "" if self.starts[i] else self.row_keys[i - 1][1]
        env = f"({first.env})" if self.render_env and self.row_keys[i][1] != prior else ""
        out = ["  " + env.ljust(self.env_len + 4) + first.as_row_name]
        for m, col in zip(row, self.columns):
            if m is None:
                out.append(col.cell(None, 1, None))
            else:
                out.append(col.cell(m.median / self.scale, m.significant_figures,
                                    m.iqr / m.median if m.has_warnings else None))
        return out

    def _best(self, i: int) -> list:
        row = self.grid[i]
        if self.colorize == Colorize.ROWWISE:
            return [min(m.median for m in row if m is not None)] * (len(row) + 1)
        if self.colorize == Colorize.COLUMNWISE:
            g = self.group_of[i]
            return [min((m.median for m in col.groups[g] if m is not None), default=None)
                    for col in self.columns]
        return [-1] * (len(row) + 1)

    def render(self) -> str:
        strings = [[""] + list(self.col_keys)] + [self._row_strings(i) for i in range(len(self.grid))]
        n_cols = max(len(s) for s in strings)
        for s in strings:
            s.extend([""] * (n_cols - len(s)))
        widths = [max(len(c) for c in col) for col in zip(*strings)]
        lines = ["  |  ".join(str(c).center(w) for c, w in zip(strings[0], widths))]
        total = len(lines[0])
        for i, s in enumerate(strings[1:]):
            if self.starts[i]:
                lines.append(f"{self.row_keys[i][0]} threads: ".ljust(total, "-"))
            cells = [s[0].ljust(widths[0])]
            for text, w, m, best in zip(s[1:], widths[1:], self.grid[i], self._best(i)):
                text = text.center(w)
                if self.colorize != Colorize.NONE and m is not None and best is not None:
                    text = _color(text, m.median, best)
                cells.append(text)
            lines.append("  |  ".join(cells))
        warn = self.highlight and any(r.has_warnings for r in self.results)
        title = (" " + (self.label or "") + " ").center(total - 2, "-")
        note = ("(! XX%) Measurement has high variance, where XX is the IQR / median * 100.\n"
                if warn else "")
        return (f"[{title}]\n" + "\n".join(lines) + "\n\n"
                f"Times are in {common.unit_to_english(self.unit)}s ({self.unit}).\n" + note)


class Compare:
    """Matches `torch.utils.benchmark.Compare`: `print()` or `str()` gives torch's table."""

    def __init__(self, results: list) -> None:
        self._results: list = []
        self.extend_results(results)
        self._trim_significant_figures = False
        self._colorize = Colorize.NONE
        self._highlight_warnings = False

    def __str__(self) -> str:
        return "\n".join(self._render())

    def extend_results(self, results) -> None:
        for r in results:
            if not isinstance(r, common.Measurement):
                raise ValueError(f"Expected an instance of `Measurement`, got {type(r)} instead.")
        self._results.extend(results)

    def trim_significant_figures(self) -> None:
        self._trim_significant_figures = True

    def colorize(self, rowwise: bool = False) -> None:
        self._colorize = Colorize.ROWWISE if rowwise else Colorize.COLUMNWISE

    def highlight_warnings(self) -> None:
        self._highlight_warnings = True

    def print(self) -> None:
        print(str(self))

    def _render(self) -> list:
        by_label: dict = collections.defaultdict(list)
        for r in common.Measurement.merge(self._results):
            by_label[r.label].append(r)
        return [_Table(g, self._colorize, self._trim_significant_figures,
                       self._highlight_warnings).render() for g in by_label.values()]
