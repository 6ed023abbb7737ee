"""jtorch.utils.benchmark against torch 2.13: Measurement repr, Compare tables, Timer structure.

Times are synthetic (fixed raw_times) where the printed text is compared; real timings are only
compared in structure (number of measurements, runs per measurement, line layout).
"""
import re

import pytest

torch = pytest.importorskip("torch")
import torch.utils.benchmark as tb  # noqa: E402

import jtorch.utils.benchmark as jb  # noqa: E402

BASE = (1.0, 1.1, 0.9, 1.05, 1.3)


def meas(lib, times=BASE, scale=1e-6, n=100, stmt="x + y", setup="pass", label="L",
         sub=None, desc="d", threads=1, env=None):
    spec = lib.TaskSpec(stmt=stmt, setup=setup, label=label, sub_label=sub, description=desc,
                        num_threads=threads, env=env)
    return lib.Measurement(n, [t * scale * n for t in times], spec)


def body(text):
    """The repr without its first line (the class path and address differ)."""
    first, _, rest = text.partition("\n")
    assert first.endswith(">") and "Measurement object at 0x" in first
    return rest


REPR_CASES = {
    "basic": {},
    "one_time": dict(times=(2.5,)),
    "two_times": dict(times=(2.5, 2.7)),
    "three_times": dict(times=(2.5, 2.7, 2.6)),
    "four_times": dict(times=(2.5, 2.7, 2.6, 2.4)),
    "ns": dict(scale=1e-9, times=(5, 6, 7, 8, 9, 10)),
    "ms": dict(scale=1e-3),
    "s": dict(scale=1.0, times=(3, 3.1, 3.2, 2.9)),
    "big_seconds": dict(scale=1.0, times=(1500, 1600, 1550, 1525)),
    "warn_fluctuation": dict(times=(1.0, 1.0, 1.15, 1.15, 1.0, 1.15)),
    "warn_gross": dict(times=(1, 2, 3, 4, 5, 6, 7)),
    "no_label": dict(label=None),
    "no_label_multiline": dict(label=None, stmt="y = x + 1\nz = y * 2"),
    "multiline_sub": dict(label=None, stmt="y = x + 1\nz = y * 2", sub="float"),
    "sub_label": dict(sub="float"),
    "no_description": dict(desc=None),
    "setup_line": dict(setup="x = torch.ones(3)"),
    "setup_multiline": dict(setup="x = torch.ones(3)\ny = x * 2"),
    "setup_multiline_desc": dict(setup="a = 1\nb = 2", desc="n=4", label=None,
                                 stmt="p = 1\nq = 2"),
    "threads": dict(threads=4),
    "one_run": dict(n=1, times=(3.0,)),
}


@pytest.mark.parametrize("case", sorted(REPR_CASES))
def test_measurement_repr(case):
    kw = REPR_CASES[case]
    t, j = meas(tb, **kw), meas(jb, **kw)
    assert body(repr(j)) == body(repr(t))
    for name in ("mean", "median", "iqr", "times", "number_per_run", "raw_times",
                 "significant_figures", "has_warnings", "title", "env", "as_row_name",
                 "stmt", "setup", "label", "sub_label", "description", "num_threads"):
        assert getattr(j, name) == pytest.approx(getattr(t, name), rel=1e-12, abs=0), name
    assert j.meets_confidence(0.05) == t.meets_confidence(0.05)
    assert j._warnings == t._warnings


@pytest.mark.parametrize("x,n", [(3.14159, 2), (0.0123456, 3), (123456.0, 1), (9.999, 2),
                                 (2.5, 1), (3.5, 1), (0.000777, 4), (45.0, 1)])
def test_trim_sigfig(x, n):
    assert jb.trim_sigfig(x, n) == tb.trim_sigfig(x, n)


@pytest.mark.parametrize("t", [3e-10, 1e-9, 5e-8, 2e-6, 7.5e-5, 1e-3, 0.5, 3.0, 2000.0])
def test_select_unit(t):
    assert jb.select_unit(t) == tb.select_unit(t)
    unit = tb.select_unit(t)[0]
    assert jb.unit_to_english(unit) == tb.unit_to_english(unit)


def grid(lib, threads=(1,), subs=("a", "b"), descs=("n=1", "n=4"), envs=(None,),
         labels=("L",), skip=(), spread=1.0, stmt="x + y"):
    out, k = [], 0
    for label in labels:
        for th in threads:
            for env in envs:
                for sub in subs:
                    for desc in descs:
                        k += 1
                        if k in skip:
                            continue
                        times = [1 + (t - 1) * spread * (k % 3) for t in BASE]
                        out.append(meas(lib, times=times, scale=1e-6 * (1 + 0.37 * k),
                                        label=label, sub=sub, desc=desc, threads=th, env=env,
                                        stmt=stmt))
    return out


COMPARE_CASES = {
    "basic": dict(),
    "threads": dict(threads=(1, 4)),
    "threads_reversed": dict(threads=(4, 1, 2)),
    "missing_cells": dict(threads=(1, 2), skip=(2, 3, 7)),
    "envs": dict(envs=("env_a", "longer_env")),
    "labels": dict(labels=("first", "second")),
    "no_sub_label": dict(subs=(None,)),
    "one_column": dict(descs=("only",)),
    "many_columns": dict(descs=tuple(f"n={2 ** i}" for i in range(6))),
    "noisy": dict(spread=40.0, threads=(1, 2)),
}
OPTIONS = {
    "plain": (),
    "trim": ("trim",),
    "colorize": ("colorize",),
    "rowwise": ("rowwise",),
    "warnings": ("warnings",),
    "all": ("trim", "colorize", "warnings"),
}


def render(lib, case, options):
    c = lib.Compare(grid(lib, **COMPARE_CASES[case]))
    if "trim" in options:
        c.trim_significant_figures()
    if "colorize" in options:
        c.colorize()
    if "rowwise" in options:
        c.colorize(rowwise=True)
    if "warnings" in options:
        c.highlight_warnings()
    return str(c)


@pytest.mark.parametrize("options", sorted(OPTIONS))
@pytest.mark.parametrize("case", sorted(COMPARE_CASES))
def test_compare_layout(case, options):
    assert render(jb, case, OPTIONS[options]) == render(tb, case, OPTIONS[options])


def test_compare_print_same_text(capsys):
    texts = []
    for lib in (tb, jb):
        c = lib.Compare([meas(lib), meas(lib, times=(2, 2.1))])
        c.extend_results([meas(lib, desc="e")])
        c.print()
        texts.append(capsys.readouterr().out)
    assert texts[0] == texts[1]
    assert len(jb.Measurement.merge([meas(jb), meas(jb, times=(2, 2.1))])) == 1


def test_merge():
    for lib in (tb, jb):
        merged = lib.Measurement.merge([meas(lib), meas(lib, n=10, times=(2, 2.1)),
                                        meas(lib, desc="other")])
        assert [m.number_per_run for m in merged] == [1, 1]
        assert [len(m.times) for m in merged] == [7, 5]


ERRORS = [
    ("compare_non_measurement", lambda lib: lib.Compare([1.0])),
    ("compare_no_description", lambda lib: str(lib.Compare([meas(lib, desc=None)]))),
    ("compare_mixed_envs_none", lambda lib: str(lib.Compare(
        [meas(lib, env="a"), meas(lib, env=None, sub="b")]))),
    ("timer_callable_stmt", lambda lib: lib.Timer(stmt=lambda: 1)),
    ("timer_global_setup", lambda lib: lib.Timer("x", global_setup="#include <x>")),
    ("timer_bad_language", lambda lib: lib.Timer("x", language="rust")),
    ("timer_repeat", lambda lib: lib.Timer("1").repeat()),
    ("timer_autorange", lambda lib: lib.Timer("1").autorange()),
    ("timer_syntax", lambda lib: lib.Timer("x +")),
    ("timer_name_error", lambda lib: lib.Timer("undefined_name_q").timeit(3)),
    ("trim_non_integer", lambda lib: lib.trim_sigfig(1.5, 1.5)),
]


@pytest.mark.parametrize("name", [e[0] for e in ERRORS])
def test_errors(name):
    fn = dict(ERRORS)[name]
    with pytest.raises(Exception) as t_err:
        fn(tb)
    with pytest.raises(Exception) as j_err:
        fn(jb)
    assert j_err.type is t_err.type
    if j_err.type is not SyntaxError:
        assert str(j_err.value) == str(t_err.value)


def layout(text):
    """A repr with numbers replaced, to compare the lines real timings print."""
    # Units too: the two libraries' times may fall on either side of a unit boundary.
    return re.sub(r"N (ns|us|ms|s)\b", "N U", re.sub(r"\d+(\.\d+)?", "N", body(text)))


def test_timer_structure():
    # One statement timed by both libraries: the same fields, counts and line layout.
    kw = dict(stmt="torch.add(x, y)", setup="x = torch.ones(16); y = torch.ones(16)",
              label="add", sub_label="float", description="n=16", num_threads=1)
    t, j = tb.Timer(**kw), jb.Timer(**kw)
    for meth, args in (("timeit", (50,)), ("blocked_autorange", ()),
                       ("adaptive_autorange", ())):
        kwargs = {"min_run_time": 0.01} if meth == "blocked_autorange" else {}
        if meth == "adaptive_autorange":
            kwargs = {"max_run_time": 0.05}
        tm, jm = getattr(t, meth)(*args, **kwargs), getattr(j, meth)(*args, **kwargs)
        assert type(jm).__name__ == "Measurement"
        assert jm.task_spec.stmt == tm.task_spec.stmt and jm.title == tm.title
        if meth == "timeit":
            assert jm.number_per_run == tm.number_per_run == 50
            assert len(jm.raw_times) == len(tm.raw_times) == 1
            assert layout(repr(jm)) == layout(repr(tm))
        else:
            assert str(jm.number_per_run).strip("0") == "1"  # a power of ten, as torch's
        assert jm.median > 0 and jm.iqr >= 0


def test_timer_dedent_and_torch_global():
    src = """
        y = torch.ones(3)
        z = y + 1
    """
    t, j = tb.Timer(src, setup="\n    a = 1\n"), jb.Timer(src, setup="\n    a = 1\n")
    assert j._task_spec == jb.TaskSpec(**{f: getattr(t._task_spec, f) for f in (
        "stmt", "setup", "global_setup", "label", "sub_label", "description", "env",
        "num_threads")})
    assert layout(repr(j.timeit(5))) == layout(repr(t.timeit(5)))


def test_callback_calls():
    calls = {"torch": [], "jtorch": []}
    for lib, key in ((tb, "torch"), (jb, "jtorch")):
        m = lib.Timer("1 + 1").blocked_autorange(
            callback=lambda n, t: calls[key].append(n), min_run_time=0.01)
        assert calls[key] == [m.number_per_run] * len(m.raw_times)
