"""One rank started by `jtorch.distributed.run`: join JAX's runtime, then run the script as torch.

Joining before the script runs lets it create tensors before `init_process_group`, as torch
scripts may (JAX's runtime must start before its backend). `init_process_group` then adopts it.
"""
from __future__ import annotations

import os
import runpy
import sys


def _join() -> None:
    import jax
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    timeout = int(os.environ.get("JTORCH_RDZV_TIMEOUT", "900"))
    jax.distributed.initialize(f"{os.environ['MASTER_ADDR']}:{os.environ['MASTER_PORT']}",
                               num_processes=int(os.environ["WORLD_SIZE"]),
                               process_id=int(os.environ["RANK"]), initialization_timeout=timeout,
                               shutdown_timeout_seconds=min(timeout, 60))


def main(argv) -> int:
    _join()
    from .._dropin import install, run
    if argv[0] == "-m":
        install()
        sys.argv = [argv[1], *argv[2:]]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    return run(argv[0], argv[1:])


if __name__ == "__main__":
    code = main(sys.argv[1:])
    if code:
        # A failed rank leaves at once: a normal exit would first wait in JAX's shutdown barrier
        # for ranks that are still running, and the launcher ends those as soon as we are gone.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(0)
