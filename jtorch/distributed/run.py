"""`python -m jtorch.distributed.run`: torchrun's launcher for jtorch ranks.

Matches `torchrun` for a fixed set of ranks: starts `--nproc-per-node` children with torchrun's
environment (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, ...), each running the script under
jtorch's drop-in runner (so `import torch` is jtorch). When a child fails, the others are ended
and the launcher exits 1 naming the failed rank. No elastic restarts (`--max-restarts` must be 0);
`--nnodes` takes a fixed count (`N` or `N:N`); rendezvous is JAX's coordinator at the master
address (`--rdzv-endpoint` sets it).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m jtorch.distributed.run",
                                description="torchrun for jtorch")

    def both(name, **kw):  # torchrun accepts --nproc-per-node and --nproc_per_node
        p.add_argument(f"--{name}", f"--{name.replace('-', '_')}", **kw)

    both("nnodes", default="1")
    both("nproc-per-node", default="1")
    both("node-rank", type=int, default=0)
    both("master-addr", default="127.0.0.1")
    both("master-port", type=int, default=29500)
    both("rdzv-endpoint", default="")
    both("rdzv-backend", default="static")
    both("rdzv-id", default="none")
    both("rdzv-conf", default="")
    both("max-restarts", type=int, default=0)
    both("monitor-interval", type=float, default=0.1)
    both("start-method", default="spawn")
    both("run-path", action="store_true")
    both("no-python", action="store_true")
    both("log-dir", default=None)
    both("local-addr", default=None)
    both("role", default="default")
    p.add_argument("--standalone", action="store_true")
    p.add_argument("-m", "--module", action="store_true")
    p.add_argument("-r", "--redirects", default="0")
    p.add_argument("-t", "--tee", default="0")
    p.add_argument("training_script")
    p.add_argument("training_script_args", nargs=argparse.REMAINDER)
    return p


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _nprocs(v: str) -> int:
    if v in ("auto", "cpu"):
        return os.cpu_count() or 1
    return 1 if v == "gpu" else int(v)


def _nnodes(v: str) -> int:
    lo, _, hi = v.partition(":")
    if hi and hi != lo:
        raise SystemExit(f"jtorch's launcher runs a fixed number of nodes, not {v!r} (no elastic "
                         "scaling): pass --nnodes N")
    return int(lo)


def _command(a) -> list:
    if a.no_python:
        return [a.training_script, *a.training_script_args]
    if a.module:
        return [sys.executable, "-m", "jtorch.distributed._child", "-m", a.training_script,
                *a.training_script_args]
    return [sys.executable, "-m", "jtorch.distributed._child", a.training_script,
            *a.training_script_args]


def _end(procs, grace=5.0):
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for p in procs:
        try:
            p.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _report(script, rank, code, error_file):
    msg = f"exitcode  : {code}"
    try:
        with open(error_file) as f:
            err = json.load(f)["message"]
        msg += f"\nerror_file: {error_file}\ntraceback : {err.get('extraInfo', {}).get('py_callstack', err.get('message'))}"
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        msg += "\nerror_file: <N/A>\ntraceback : To enable traceback see: https://pytorch.org/docs/stable/elastic/errors.html"
    bar = "=" * 60
    print(f"{bar}\n{os.path.basename(script)} FAILED\n{'-' * 60}\nFailures:\n  <NO_OTHER_FAILURES>\n"
          f"{'-' * 60}\nRoot Cause (first observed failure):\n[0]:\n  rank      : {rank}\n  {msg}\n{bar}",
          file=sys.stderr, flush=True)


def run(args) -> int:
    """Start the ranks of this node and wait for them; 0 on success, 1 when a rank failed."""
    if args.max_restarts:
        raise SystemExit("jtorch's launcher does not restart failed ranks: pass --max-restarts 0")
    nproc, nnodes = _nprocs(args.nproc_per_node), _nnodes(args.nnodes)
    addr, port = args.master_addr, args.master_port
    if args.standalone:
        addr, port = "127.0.0.1", _free_port()
    elif args.rdzv_endpoint:
        host, _, p = args.rdzv_endpoint.rpartition(":")
        addr, port = (host or args.rdzv_endpoint), int(p) if p.isdigit() else 29400
    if not 0 <= args.node_rank < nnodes:
        raise SystemExit(f"--node-rank {args.node_rank} is outside [0, {nnodes - 1}]")
    run_id = args.rdzv_id if args.rdzv_id != "none" else uuid.uuid4().hex[:8]
    errdir = tempfile.mkdtemp(prefix="jtorch_run_")
    procs, files = [], []
    for local in range(nproc):
        rank = args.node_rank * nproc + local
        env = dict(os.environ, RANK=str(rank), LOCAL_RANK=str(local), GROUP_RANK=str(args.node_rank),
                   ROLE_RANK=str(rank), ROLE_NAME=args.role, LOCAL_WORLD_SIZE=str(nproc),
                   WORLD_SIZE=str(nproc * nnodes), ROLE_WORLD_SIZE=str(nproc * nnodes),
                   GROUP_WORLD_SIZE=str(nnodes), MASTER_ADDR=addr, MASTER_PORT=str(port),
                   TORCHELASTIC_RUN_ID=run_id, TORCHELASTIC_RESTART_COUNT="0",
                   TORCHELASTIC_MAX_RESTARTS="0", TORCH_NCCL_ASYNC_ERROR_HANDLING="1")
        if nproc > 1 and "OMP_NUM_THREADS" not in os.environ:
            env["OMP_NUM_THREADS"] = "1"
        files.append(os.path.join(errdir, f"error_{rank}.json"))
        env["TORCHELASTIC_ERROR_FILE"] = files[-1]
        procs.append(subprocess.Popen(_command(args), env=env))

    def forward(signum, frame):
        _end(procs)
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, forward)
    try:
        while True:
            codes = [p.poll() for p in procs]
            failed = [i for i, c in enumerate(codes) if c not in (0, None)]
            if failed:
                i = failed[0]
                _end(procs)
                _report(args.training_script, args.node_rank * nproc + i, codes[i], files[i])
                return 1
            if all(c == 0 for c in codes):
                return 0
            time.sleep(args.monitor_interval)
    except KeyboardInterrupt:
        _end(procs)
        return 130
    finally:
        shutil.rmtree(errdir, ignore_errors=True)


def main(argv=None) -> int:
    """Entry point: `python -m jtorch.distributed.run [torchrun flags] script.py [args]`."""
    return run(_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
