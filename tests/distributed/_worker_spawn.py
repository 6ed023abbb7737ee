"""Ranks for torch.multiprocessing.spawn in tests/distributed/test_run.py."""
import os

import jtorch as torch
import jtorch.distributed as dist


def allreduce_then_fail(rank, port, outdir):
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    x = torch.full((2,), float(rank + 1))
    dist.all_reduce(x)
    with open(os.path.join(outdir, f"spawn{rank}.txt"), "w") as f:
        f.write(f"{os.getpid()} {x.tolist()}")
    if rank == 1:
        raise KeyError("spawned rank 1 failed")
    import time
    time.sleep(300)
