"""Value checks inside compiled programs (out-of-range indices, integer division by zero).

Eagerly, `_dispatch.apply` runs an op's value check on concrete arrays before the body; under a
trace the arrays are tracers and the check cannot read them. While jtorch.compile traces, each
such call is recorded instead: the integer arrays the check reads become extra outputs of the
program, and after every run the same check runs on their concrete values, raising torch's
error with the user's line. (The program has already run: its state updates are written back
before the error is raised, since the old buffers were donated.)

On by default; `JTORCH_COMPILED_CHECKS=0` (or `jtorch.compiler.set_compiled_checks(False)`)
turns it off, leaving XLA's behaviour (indices clamped or dropped).
"""
from __future__ import annotations

import os
import threading
import traceback

import jax
import numpy as np

ENABLED = [os.environ.get("JTORCH_COMPILED_CHECKS", "1") != "0"]
LOG = None        # while a compiled program is traced: a list of recorded checks
_OWNER = [None]   # the tracing thread
_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class _Slot:
    """Where the k-th returned array goes back into a check's arguments."""

    __slots__ = ("k",)

    def __init__(self, k):
        self.k = k


def note(check, arrs, kw):
    """Record a check whose arguments are traced (called by the dispatch point)."""
    if threading.get_ident() != _OWNER[0]:
        return
    vals = []

    def conv(a):
        if isinstance(a, jax.core.Tracer):
            if np.dtype(a.dtype).kind in "iu":
                vals.append(a)
                return _Slot(len(vals) - 1)
            return jax.ShapeDtypeStruct(a.shape, a.dtype)
        if type(a) is list or type(a) is tuple:
            return type(a)(conv(e) for e in a)
        return a
    args_t = conv(list(arrs))
    kw_t = {k: conv(v) for k, v in kw.items()}
    if vals:
        LOG.append((check, args_t, kw_t, _user_line(), vals))


def _user_line():
    for fr in reversed(traceback.extract_stack()[:-2]):
        if not fr.filename.startswith(_PKG) and "site-packages/jax" not in fr.filename:
            return f"{fr.filename}:{fr.lineno}"
    return "unknown location"


class Recording:
    """Context manager around a trace: collects the checks; `arrays()` the values to return."""

    def __enter__(self):
        global LOG
        self.prev = (LOG, _OWNER[0])
        self.log = []
        if ENABLED[0]:
            LOG, _OWNER[0] = self.log, threading.get_ident()
        return self

    def __exit__(self, *exc):
        global LOG
        LOG, _OWNER[0] = self.prev
        return False

    def arrays(self):
        return [v for entry in self.log for v in entry[4]]

    def checks(self):
        return [(c, a, k, line, len(v)) for c, a, k, line, v in self.log]


def run(checks, values):
    """After a compiled call: each recorded check on the concrete values (raises torch's error)."""
    i = 0
    for check, args_t, kw_t, line, n in checks:
        vals = values[i:i + n]
        i += n

        def back(a):
            if type(a) is _Slot:
                return vals[a.k]
            if type(a) is list or type(a) is tuple:
                return type(a)(back(e) for e in a)
            return a
        try:
            check(back(args_t), {k: back(v) for k, v in kw_t.items()})
        except Exception as e:  # noqa: BLE001 (re-raised with the place in the user's code)
            raise type(e)(f"{e} (in a compiled function, at {line})") from None
