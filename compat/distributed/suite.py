"""torch.distributed checks in one launch: run by torchrun and by jtorch's launcher (2 ranks).

`python -m {torch,jtorch}.distributed.run --standalone --nproc-per-node 2 suite.py OUT [compile]
[resume=CKPT]` writes OUT.<rank> (JSON) with one entry per part, each compared by
compat/test_distributed_compat.py: "collectives" (collectives.py), "ddp" (an MLP under DDP,
tests/distributed/_script_ddp.py; with `compile`, jtorch only, also with each step compiled),
"fsdp" (fsdp.py: FSDP2 against DDP), "tp" (tp.py: tensor parallel against one rank), "reshard" (with `resume=`: reshard.py's resumption from
an FSDP2 checkpoint written at another world size) and "dcp" (dcp.py, last: it ends the process
group). One launch per library keeps the cost of
starting the ranks (JAX in each) to once.
"""
import json
import os
import sys

import torch.distributed as dist

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "distributed"))

import _script_ddp  # noqa: E402
import collectives  # noqa: E402
import dcp  # noqa: E402
import fsdp  # noqa: E402
import tp  # noqa: E402

out = sys.argv[1]
res = {"collectives": collectives.run()}
r, n = dist.get_rank(), dist.get_world_size()
res["ddp"] = _script_ddp.train(n, r, dist)
if "compile" in sys.argv[2:]:
    res["ddp"]["compiled"] = _script_ddp.train_compiled(n, r, dist)
res["fsdp"] = fsdp.run()
if "compile" in sys.argv[2:]:
    res["fsdp"]["compiled"] = fsdp.compiled()
res["tp"] = tp.run()
if "compile" in sys.argv[2:]:
    res["tp"]["compiled"] = tp.compiled()
for arg in sys.argv[2:]:
    if arg.startswith("resume="):
        import reshard
        res["reshard"] = reshard.resume(arg[len("resume="):])
res["dcp"] = dcp.run(out + ".ckpt")
with open(f"{out}.{r}", "w") as f:
    json.dump(res, f)
