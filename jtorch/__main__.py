"""`python -m jtorch SCRIPT.py [args...]` and `python -m jtorch compare SCRIPT.py [args...]`."""
from __future__ import annotations

import sys

_USAGE = """usage: python -m jtorch SCRIPT.py [args...]
       python -m jtorch --compile-modules[=N] SCRIPT.py [args...]
       python -m jtorch compare [--rtol R] [--atol A] [--ignore REGEX] SCRIPT.py [args...]

Runs an unmodified PyTorch script with `torch` resolved to jtorch. `compare` runs it under
real torch and under jtorch and reports where printed output and saved .pt files differ.
--compile-modules[=N]: eager units: a Module call under no_grad/inference_mode runs as one
program once a signature has run eagerly N times (default 2); results stay eager's."""


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_USAGE)
        return 0 if argv else 2
    if argv[0] == "compare":
        from ._compare import main as compare_main
        return compare_main(argv[1:])
    if argv[0].startswith("--compile-modules"):
        n = argv.pop(0).partition("=")[2] or "2"
        if not n.isdigit() or not argv:
            print(_USAGE, file=sys.stderr)
            return 2
        from . import _eager_units
        _eager_units.set_calls(int(n))
    if argv[0] == "-m":
        print("jtorch: running a module (-m) is not supported; pass a script path", file=sys.stderr)
        return 2
    from ._dropin import run
    return run(argv[0], argv[1:])


if __name__ == "__main__":
    sys.exit(main())
