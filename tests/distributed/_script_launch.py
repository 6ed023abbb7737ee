"""A torch script run by tests/distributed/test_run.py under `python -m jtorch.distributed.run`."""
import json
import os
import sys
import time

import torch
import torch.distributed as dist
from torch.distributed.elastic.multiprocessing.errors import record


@record
def main(outdir):
    x = torch.ones(2) * 3  # a tensor before init_process_group, as torch scripts may make
    dist.init_process_group("gloo")
    r = dist.get_rank()
    dist.all_reduce(x)
    env = {k: os.environ[k] for k in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE",
                                      "MASTER_ADDR", "MASTER_PORT", "TORCHELASTIC_RUN_ID")}
    with open(os.path.join(outdir, f"rank{r}.json"), "w") as f:
        json.dump({"pid": os.getpid(), "env": env, "x": x.tolist(), "torch": torch.__name__,
                   "launched": dist.is_torchelastic_launched()}, f)
    if r == 1:
        raise ValueError("boom on rank 1")
    time.sleep(300)  # the launcher must end this rank when rank 1 fails


main(sys.argv[1])
