"""`python -m jtorch compare SCRIPT.py [args]`: run a script under real torch and under jtorch.

Prints where the two runs' printed output differs (numbers compared with a tolerance) and
where the `.pt`/`.pth` files they save differ. Each run starts from the same directory state;
files a run writes are copied aside before the other run starts.
"""
from __future__ import annotations

import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile

_NUM = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|nan|inf")
_SAVED = (".pt", ".pth", ".ckpt", ".bin")


def _snapshot(root, extra=()):
    """{path: mtime} of saved-tensor files under `root` and of the paths in `extra`."""
    out = {}
    for p in extra:
        p = os.path.join(root, p)
        if os.path.isfile(p):
            out[os.path.normpath(p)] = os.stat(p).st_mtime_ns
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if not x.startswith(".") and x != "__pycache__"]
        for f in files:
            if f.endswith(_SAVED):
                p = os.path.normpath(os.path.join(d, f))
                out[p] = os.stat(p).st_mtime_ns
    return out


def _run(cmd, env, root, before, keep_dir, extra):
    p = subprocess.run(cmd, env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    saved = {}
    for path, mt in _snapshot(root, extra).items():
        if before.get(path) != mt:
            rel = os.path.relpath(path, root)
            dst = os.path.join(keep_dir, rel.replace("..", "_up"))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(path, dst)
            saved[rel] = dst
    return p.returncode, p.stdout, p.stderr, saved


def _split(line):
    """(text with numbers replaced by '#', [numbers])."""
    nums = [float(m) for m in _NUM.findall(line)]
    return _NUM.sub("#", line), nums


def _close(a, b, rtol, atol):
    if a != a or b != b:
        return a != a and b != b
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))


def compare_text(ref: str, got: str, rtol=1e-3, atol=1e-5, ignore=None):
    """Lines that differ: a list of (kind, ref_line, got_line); numbers compared with tolerance.

    Lines are aligned on their exact text first; inside each differing block, lines whose text
    matches once numbers are masked are paired and their numbers compared.
    """
    a, b = ref.splitlines(), got.splitlines()
    if ignore:
        pat = re.compile(ignore)
        a, b = [x for x in a if not pat.search(x)], [x for x in b if not pat.search(x)]
    diffs = []
    outer = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in outer.get_opcodes():
        if tag == "equal":
            continue
        sa, sb = [_split(x) for x in a[i1:i2]], [_split(x) for x in b[j1:j2]]
        inner = difflib.SequenceMatcher(None, [s[0] for s in sa], [s[0] for s in sb],
                                        autojunk=False)
        for t2, k1, k2, l1, l2 in inner.get_opcodes():
            if t2 == "equal":
                for i, j in zip(range(k1, k2), range(l1, l2)):
                    if len(sa[i][1]) != len(sb[j][1]) or not all(
                            _close(x, y, rtol, atol) for x, y in zip(sa[i][1], sb[j][1])):
                        diffs.append(("numbers", a[i1 + i], b[j1 + j]))
            else:
                for k in range(max(k2 - k1, l2 - l1)):
                    diffs.append(("text", a[i1 + k1 + k] if k1 + k < k2 else None,
                                  b[j1 + l1 + k] if l1 + k < l2 else None))
    return diffs


# Runs under real torch (in a subprocess): load both files, flatten to named tensors, compare.
_LOAD_AND_COMPARE = r"""
import sys, torch
def flat(o, pre, out):
    if isinstance(o, torch.Tensor):
        out[pre] = o.detach().cpu()
    elif isinstance(o, torch.nn.Module):
        flat(o.state_dict(), pre, out)
    elif isinstance(o, dict):
        for k, v in o.items():
            flat(v, f"{pre}.{k}" if pre else str(k), out)
    elif isinstance(o, (list, tuple)):
        for i, v in enumerate(o):
            flat(v, f"{pre}.{i}" if pre else str(i), out)
    elif isinstance(o, (int, float, str, bool)) or o is None:
        out[pre] = o
rtol, atol = float(sys.argv[3]), float(sys.argv[4])
res = []
for p in sys.argv[1:3]:
    try:
        o = torch.load(p, map_location="cpu", weights_only=False)
    except Exception as e:
        print(f"  cannot load {p} with real torch: {type(e).__name__}: {e}")
        sys.exit(0)
    d = {}
    flat(o, "", d)
    res.append(d)
a, b = res
for k in sorted(set(a) | set(b)):
    if k not in a or k not in b:
        print(f"  {k}: only in the {'torch' if k in a else 'jtorch'} file")
        continue
    x, y = a[k], b[k]
    if isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor):
        if x.shape != y.shape or x.dtype != y.dtype:
            print(f"  {k}: torch {x.dtype} {list(x.shape)} vs jtorch {y.dtype} {list(y.shape)}")
        elif x.numel() and not torch.allclose(x.double(), y.double(), rtol=rtol, atol=atol, equal_nan=True):
            d = (x.double() - y.double()).abs().max().item()
            print(f"  {k}: values differ (max abs diff {d:.3g})")
    elif type(x) is not type(y) or (x != y and not (isinstance(x, float) and abs(x - y) <= atol + rtol * abs(x))):
        print(f"  {k}: torch {x!r} vs jtorch {y!r}")
"""


def main(argv) -> int:
    ap = argparse.ArgumentParser(prog="python -m jtorch compare")
    ap.add_argument("--rtol", type=float, default=1e-3)
    ap.add_argument("--atol", type=float, default=1e-5)
    ap.add_argument("--ignore", metavar="REGEX", help="leave out printed lines matching REGEX "
                    "(timings, say: --ignore 'time|ms')")
    ap.add_argument("script")
    ap.add_argument("args", nargs=argparse.REMAINDER)
    ns = ap.parse_args(argv)
    root = os.getcwd()
    env = dict(os.environ)
    tmp = tempfile.mkdtemp(prefix="jtorch-compare-")
    results = {}
    for name, cmd in (("torch", [sys.executable, ns.script] + ns.args),
                      ("jtorch", [sys.executable, "-m", "jtorch", ns.script] + ns.args)):
        # Paths given as arguments (`--save /tmp/model.pt`) are watched too.
        extra = [a.split("=", 1)[-1] for a in ns.args if a.split("=", 1)[-1].endswith(_SAVED)]
        before = _snapshot(root, extra)
        results[name] = _run(cmd, env, root, before, os.path.join(tmp, name), extra)
        rc, out, err, saved = results[name]
        print(f"[{name}] exit code {rc}, {len(out.splitlines())} lines of output, "
              f"{len(saved)} saved file(s)")
        if rc:
            print("\n".join("    " + ln for ln in err.rstrip().splitlines()[-6:]))
    (rc_t, out_t, _, saved_t), (rc_j, out_j, _, saved_j) = results["torch"], results["jtorch"]
    diffs = compare_text(out_t, out_j, ns.rtol, ns.atol, ns.ignore)
    print(f"\nprinted output: {len(diffs)} differing line(s) (rtol={ns.rtol}, atol={ns.atol})")
    for kind, a, b in diffs[:50]:
        print(f"  torch : {a if a is not None else '<missing>'}")
        print(f"  jtorch: {b if b is not None else '<missing>'}")
    if len(diffs) > 50:
        print(f"  ... {len(diffs) - 50} more")
    for rel in sorted(set(saved_t) | set(saved_j)):
        print(f"\nsaved file {rel}:")
        if rel not in saved_t or rel not in saved_j:
            print(f"  written only by {'torch' if rel in saved_t else 'jtorch'}")
            continue
        clean = {k: v for k, v in env.items() if k != "PYTHONPATH"}
        p = subprocess.run([sys.executable, "-c", _LOAD_AND_COMPARE, saved_t[rel], saved_j[rel],
                            str(ns.rtol), str(ns.atol)], env=clean, cwd=tmp,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        print(p.stdout.rstrip() or "  same tensors")
    same = not diffs and rc_t == rc_j
    print("\nresult:", "outputs match" if same else "outputs differ")
    return 0 if same else 1
