"""Run PyTorch's OpInfo database (`op_db`) against jtorch; print per-op results and write
`compat/opinfo_summary.md`.

    python -m compat.opinfo_report                  # every entry, every sample
    python -m compat.opinfo_report --max-samples 4  # a quicker pass
    python -m compat.opinfo_report add sort         # only these entries (no summary written)
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import signal
import time

SUMMARY = os.path.join(os.path.dirname(__file__), "opinfo_summary.md")
TIMEOUT_S = 300


def _run(args):
    idx, max_samples = args
    from compat import _opinfo as O

    def alarm(*_):
        raise TimeoutError(f"entry took over {TIMEOUT_S}s")
    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(TIMEOUT_S)
    op = O.entries()[idx]
    try:
        r = O.run_entry(op, max_samples=max_samples)
    except Exception as e:  # a harness-level failure is reported, never skipped
        r = O.Result(O.entry_name(op), O.resolve_entry(op) is not None, failed=1,
                     reasons=[f"{type(e).__name__}: {e}"])
    finally:
        signal.alarm(0)
    return r


def main():
    p = argparse.ArgumentParser()
    p.add_argument("names", nargs="*")
    p.add_argument("--max-samples", type=int, default=None)
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    a = p.parse_args()
    from compat import _opinfo as O
    from compat.opinfo_xfail import XFAIL
    ops = O.entries()
    picks = [i for i, op in enumerate(ops) if not a.names or op.name in a.names or O.entry_name(op) in a.names]
    t0 = time.time()
    ctx = mp.get_context("spawn")
    results = []
    with ctx.Pool(a.jobs, maxtasksperchild=20) as pool:
        for r in pool.imap(_run, [(i, a.max_samples) for i in picks]):
            tag = ("PASS" if r.full else "XFAIL" if r.name in XFAIL else "FAIL") if r.shipped else "----"
            print(f"{tag:5s} {r.name:45s} samples {r.passed:4d} ok {r.failed:4d} bad  errors "
                  f"{r.errors_passed:3d} ok {r.errors_failed:3d} bad  {' | '.join(r.reasons[:2])[:200]}",
                  flush=True)
            results.append(r)
            # Rewritten as it goes, so an interrupted run still leaves an honest partial summary.
            if not a.names and (len(results) % 25 == 0 or len(results) == len(picks)):
                write_summary(results, a.max_samples, time.time() - t0, XFAIL, len(picks))


def write_summary(results, max_samples, secs, xfail, total):
    from compat.coverage import coverage
    n = len(results)
    shipped = [r for r in results if r.shipped]
    full = [r for r in shipped if r.full]
    samples_ok = sum(r.passed for r in shipped)
    samples = samples_ok + sum(r.failed for r in shipped)
    lines = [
        "# OpInfo judge: PyTorch's `op_db` against jtorch",
        "",
        "Regenerate with `python -m compat.opinfo_report` (torch 2.13 installed). "
        f"This run: {'every sample' if max_samples is None else f'first {max_samples} sample(s) and error input(s) per dtype'}, "
        f"{secs / 60:.0f} min.",
        "" if n == total else f"**Partial run: {n} of {total} entries were run; shares below are of "
                              "the entries run.**",
        "",
        f"- op_db entries run: {n}",
        f"- entries whose op jtorch ships: {len(shipped)} ({100 * len(shipped) / n:.1f}%)",
        f"- entries fully passing (values, dtypes, variants, gradients, error types): {len(full)} "
        f"({100 * len(full) / n:.1f}% of all entries, {100 * len(full) / max(len(shipped), 1):.1f}% of shipped)",
        f"- samples passing among shipped entries: {samples_ok}/{samples} "
        f"({100 * samples_ok / max(samples, 1):.1f}%)",
        "",
        "## Reference-list coverage (`python -m compat.coverage`)",
        "",
        "| list | shipped | total | share |",
        "| --- | ---: | ---: | ---: |",
    ]
    for f, (ok, tot, _) in coverage().items():
        lines.append(f"| {f} | {ok} | {tot} | {100 * ok / max(tot, 1):.1f}% |")
    lines += ["", "## Per entry (shipped, not fully passing)", "",
              "| entry | samples ok | samples bad | errors ok | errors bad | first reasons |",
              "| --- | ---: | ---: | ---: | ---: | --- |"]
    for r in sorted(shipped, key=lambda r: r.name):
        if r.full:
            continue
        why = ("XFAIL: " + xfail[r.name] + "; ") if r.name in xfail else ""
        why += " / ".join(r.reasons[:2]).replace("|", "\\|")[:220]
        lines.append(f"| {r.name} | {r.passed} | {r.failed} | {r.errors_passed} | {r.errors_failed} | {why} |")
    lines += ["", "## Fully passing entries", "", ", ".join(sorted(r.name for r in full)), "",
              "## Entries whose op jtorch does not ship", "",
              ", ".join(sorted(r.name for r in results if not r.shipped)), ""]
    with open(SUMMARY, "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {SUMMARY}: {len(full)}/{n} entries fully passing, {len(shipped)} shipped", flush=True)


if __name__ == "__main__":
    main()
