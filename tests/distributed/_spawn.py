"""Run a worker script as N local ranks (env:// on 127.0.0.1, a free port), every one bounded."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_ranks(script, n=2, args=(), timeout=90, env=None):
    """Start `script` as ranks 0..n-1; returns [(returncode, stdout, stderr)] once all ended."""
    port = free_port()
    procs = []
    for r in range(n):
        e = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(r),
                 WORLD_SIZE=str(n), LOCAL_RANK=str(r), JAX_PLATFORMS="cpu", **(env or {}))
        procs.append(subprocess.Popen([sys.executable, script, *map(str, args)], env=e,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    deadline = time.monotonic() + timeout
    out = []
    for p in procs:
        try:
            o, e = p.communicate(timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            o, e = p.communicate()
            e += f"\n[killed after {timeout} s]"
        out.append((p.returncode, o, e))
    return out
