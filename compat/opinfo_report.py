"""Run PyTorch's OpInfo database (`op_db`) against jtorch; print per-op results and write
`compat/opinfo_summary.md`.

    python -m compat.opinfo_report                       # every entry, every dtype, every sample
    python -m compat.opinfo_report --dtypes bfloat16,float16   # a chunk: these dtypes only
    python -m compat.opinfo_report --ops add,sort         # only these entries
    python -m compat.opinfo_report --max-samples 4       # a quicker pass

Each run merges its results (per entry and dtype) into a results file (`--results`, default
in the temp directory), so the full report can be built in chunks; the summary is written
from the merged results when the run covers every entry (no `--ops`), or with `--summary`.
A run with another `--max-samples` than the stored results starts the file afresh.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import signal
import tempfile
import time

SUMMARY = os.path.join(os.path.dirname(__file__), "opinfo_summary.md")
RESULTS = os.path.join(tempfile.gettempdir(), "jtorch_opinfo_results.json")
TIMEOUT_S = 900


def _run(args):
    idx, max_samples, dtypes = args
    import torch
    from compat import _opinfo as O

    def alarm(*_):
        raise TimeoutError(f"entry took over {TIMEOUT_S}s")
    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(TIMEOUT_S)
    op = O.entries()[idx]
    dts = tuple(getattr(torch, d) for d in dtypes) if dtypes else O.DTYPES
    try:
        r = O.run_entry(op, max_samples=max_samples, dtypes=dts)
    except Exception as e:  # a harness-level failure is reported, never skipped
        r = O.Result(O.entry_name(op), O.resolve_entry(op) is not None, failed=1,
                     reasons=[f"{type(e).__name__}: {e}"])
    finally:
        signal.alarm(0)
    return r


def _load(path, max_samples):
    try:
        with open(path) as f:
            store = json.load(f)
    except (OSError, ValueError):
        store = None
    if not store or store.get("max_samples") != max_samples:
        store = {"max_samples": max_samples, "seconds": 0.0, "entries": {}}
    return store


def _merge(store, r):
    """Fold one entry's Result into the stored results: per dtype, replacing that dtype's."""
    e = store["entries"].setdefault(r.name, {"dtypes": {}})
    e.update(shipped=r.shipped, errors_passed=r.errors_passed, errors_failed=r.errors_failed,
             error_reasons=[x for x in r.reasons if x.startswith("error_inputs")],
             notes=[x for x in r.reasons if x.startswith("op_db declares")])
    for dt, (ok, bad, pend) in r.by_dtype.items():
        why = [x[len(dt) + 2:] for x in r.reasons if x.startswith(dt + ": ")]
        e["dtypes"][dt] = [ok, bad, pend, why[0] if why else "", getattr(r, "precise", {}).get(dt, 0)]
    harness = [x for x in r.reasons if not x.startswith(("error_inputs", "op_db declares"))
               and x.split(":")[0] not in r.by_dtype]
    if harness:  # a failure outside any dtype (the entry timed out, sample_inputs failed, ...)
        e["dtypes"]["(harness)"] = [0, max(r.failed - sum(v[1] for v in r.by_dtype.values()), 1),
                                    0, harness[0]]
    else:
        e["dtypes"].pop("(harness)", None)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("names", nargs="*", help="entries to run (same as --ops)")
    p.add_argument("--ops", default="", help="comma-separated entry names")
    p.add_argument("--dtypes", default="", help="comma-separated dtype names (float16,complex64,...)")
    p.add_argument("--max-samples", type=int, default=None)
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--results", default=RESULTS, help="results file merged across runs")
    p.add_argument("--summary", action="store_true", help="write the summary even for an --ops run")
    a = p.parse_args()
    from compat import _opinfo as O
    from compat.opinfo_xfail import XFAIL
    names = set(a.names) | {n for n in a.ops.split(",") if n}
    dtypes = [d for d in a.dtypes.split(",") if d]
    ops = O.entries()
    picks = [i for i, op in enumerate(ops) if not names or op.name in names or O.entry_name(op) in names]
    store = _load(a.results, a.max_samples)
    t0 = time.time()
    ctx = mp.get_context("spawn")
    done = 0
    with ctx.Pool(a.jobs, maxtasksperchild=20) as pool:
        for r in pool.imap(_run, [(i, a.max_samples, dtypes) for i in picks]):
            tag = ("PASS" if r.full else "XFAIL" if r.name in XFAIL else "FAIL") if r.shipped else "----"
            print(f"{tag:5s} {r.name:45s} samples {r.passed:4d} ok {r.failed:4d} bad  errors "
                  f"{r.errors_passed:3d} ok {r.errors_failed:3d} bad  {' | '.join(r.reasons[:2])[:200]}",
                  flush=True)
            _merge(store, r)
            done += 1
            if done % 25 == 0:  # an interrupted run keeps what it did
                with open(a.results, "w") as f:
                    json.dump(store, f)
    store["seconds"] = store.get("seconds", 0.0) + time.time() - t0
    with open(a.results, "w") as f:
        json.dump(store, f)
    if not names or a.summary:
        write_summary(store, XFAIL, [O.entry_name(op) for op in ops])


def _precise(v):
    return v[4] if len(v) > 4 else 0


def _entry_ok(e, pending_ok=False, precise_ok=False):
    bad = sum(v[1] - (v[2] if pending_ok else 0) - (_precise(v) if precise_ok else 0)
              for v in e["dtypes"].values())
    ok = sum(v[0] + (_precise(v) if precise_ok else 0) for v in e["dtypes"].values())
    return e["shipped"] and bad == 0 and e["errors_failed"] == 0 and ok > 0


def write_summary(store, xfail, all_names):
    from compat.coverage import coverage
    from compat._opinfo import DTYPES
    # entries that list none of the dtypes run (a --dtypes chunk) are not judged here
    ents = {k: e for k, e in store["entries"].items()
            if not e["shipped"] or sum(v[0] + v[1] for v in e["dtypes"].values()) > 0}
    unjudged = sorted(set(store["entries"]) - set(ents))
    n = len(ents)
    shipped = {k: e for k, e in ents.items() if e["shipped"]}
    full = sorted(k for k, e in shipped.items() if _entry_ok(e))
    full_p = [k for k, e in shipped.items() if _entry_ok(e, pending_ok=True)]
    full_r = [k for k, e in shipped.items() if _entry_ok(e, precise_ok=True)]
    n_prec = sum(_precise(v) for e in shipped.values() for v in e["dtypes"].values())
    cnt = lambda i: sum(v[i] for e in shipped.values() for v in e["dtypes"].values())  # noqa: E731
    ok, bad, pend = cnt(0), cnt(1), cnt(2)
    ms = store["max_samples"]
    lines = [
        "# OpInfo judge: PyTorch's `op_db` against jtorch",
        "",
        "Regenerate with `python -m compat.opinfo_report` (torch 2.13 installed; `--dtypes`/`--ops` "
        "run a chunk and merge it into the results file). This run: "
        f"{'every sample' if ms is None else f'first {ms} sample(s) and error input(s) per dtype'} of "
        f"every dtype each entry lists for CPU, {store['seconds'] / 60:.0f} min of wall time in all "
        "(runs merged through the results file) on 2 cores shared with other sessions, niced.",
        "",
        "Tolerances: torch.testing's defaults per dtype (float16 rtol 1e-3, bfloat16 1.6e-2, "
        "float64/complex128 1e-7; float32/complex64 rtol 1e-4), loosened by the entry's own "
        "`toleranceOverride`/`precisionOverride` for the tests the judge emulates "
        "(compat/_opinfo.py FWD_TESTS, GRAD_TESTS). Gradients: every dtype in "
        "`supported_backward_dtypes('cpu')`.",
        "" if n + len(unjudged) >= len(all_names) else f"**Partial run: {n} of {len(all_names)} entries were run; "
                                       "shares below are of the entries run.**",
        "",
        f"- op_db entries run: {n}" + (f" (and {len(unjudged)} that list none of the dtypes run)"
                                        if unjudged else ""),
        f"- entries whose op jtorch ships: {len(shipped)} ({100 * len(shipped) / n:.1f}%)",
        f"- entries fully passing over all their dtypes (values, dtypes, variants, gradients, error "
        f"types): {len(full)} ({100 * len(full) / n:.1f}% of all entries, "
        f"{100 * len(full) / max(len(shipped), 1):.1f}% of shipped)",
        f"- ... counting complex gradients that are exactly the conjugate of torch's as passing "
        f"(pending the central conjugate fix): {len(full_p)} ({100 * len(full_p) / n:.1f}% of all, "
        f"{100 * len(full_p) / max(len(shipped), 1):.1f}% of shipped)",
        f"- ... accepting, as torch's own suite accepts its reference implementations "
        f"(TestCommon.test_python_ref), samples whose summed error against the same computation in "
        f"float64/complex128 is no larger than torch's: {len(full_r)} ({100 * len(full_r) / n:.1f}% of "
        f"all, {100 * len(full_r) / max(len(shipped), 1):.1f}% of shipped)",
        f"- samples passing among shipped entries: {ok}/{ok + bad} ({100 * ok / max(ok + bad, 1):.1f}%); "
        f"{pend} of the failing samples are complex gradients pending the conjugate fix; {n_prec} "
        "differ from torch by more than the tolerance but are no farther from float64 than torch's",
        "",
        "## Per dtype",
        "",
        "| dtype | entries run | entries fully passing | share | share with the float64 rule | "
        "samples ok | samples bad | of which no farther from float64 than torch |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for d in [str(d)[6:] for d in DTYPES]:
        rows = [e["dtypes"][d] for e in shipped.values() if d in e["dtypes"]]
        good = sum(1 for v in rows if v[1] == 0 and v[0] > 0)
        good_r = sum(1 for v in rows if v[1] == _precise(v) and v[0] + v[1] > 0)
        lines.append(f"| {d} | {len(rows)} | {good} | {100 * good / max(len(rows), 1):.1f}% | "
                     f"{100 * good_r / max(len(rows), 1):.1f}% | "
                     f"{sum(v[0] for v in rows)} | {sum(v[1] for v in rows)} | {sum(_precise(v) for v in rows)} |")
    lines += ["", "## Reference-list coverage (`python -m compat.coverage`)", "",
              "| list | shipped | total | share |", "| --- | ---: | ---: | ---: |"]
    for f, (c, tot, _) in coverage().items():
        lines.append(f"| {f} | {c} | {tot} | {100 * c / max(tot, 1):.1f}% |")
    lines += ["", "## Per entry (shipped, not fully passing)", "",
              "| entry | failing dtypes | samples ok | samples bad | no farther from float64 than torch | errors ok | errors bad | first reasons |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for k in sorted(shipped):
        e = shipped[k]
        if _entry_ok(e):
            continue
        dts = {d: v for d, v in e["dtypes"].items() if v[1]}
        why = ("XFAIL: " + xfail[k] + "; ") if k in xfail else ""
        why += " / ".join([f"{d}: {v[3]}" for d, v in dts.items()][:3] + e["error_reasons"][:1] +
                          e["notes"][:1]).replace("|", "\\|")[:300]
        lines.append(f"| {k} | {', '.join(dts) or '-'} | {sum(v[0] for v in e['dtypes'].values())} | "
                     f"{sum(v[1] for v in e['dtypes'].values())} | {sum(_precise(v) for v in e['dtypes'].values())} | "
                     f"{e['errors_passed']} | {e['errors_failed']} | {why} |")
    lines += ["", "## Fully passing entries", "", ", ".join(full), "",
              "## Entries whose op jtorch does not ship", "",
              ", ".join(sorted(k for k, e in ents.items() if not e["shipped"])), ""]
    with open(SUMMARY, "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {SUMMARY}: {len(full)}/{n} entries fully passing, {len(shipped)} shipped", flush=True)


if __name__ == "__main__":
    main()
