"""A distributed checkpoint of FSDP2 state written at one world size and loaded at another.

`save(ckpt)` (4 ranks): fully_shard'ed MLP (fsdp.py's), AdamW, 2 steps, `dcp.save` of
`get_state_dict`'s model and optimizer state, then 2 more steps. `resume(ckpt)` (2 ranks, in
suite.py): a differently initialised model loads it and trains the same 2 steps. Every step
trains on the same global batch of 8 rows, split evenly over the ranks, so the mean of the
ranks' losses and the weights do not depend on the world size: the resumed run at 2 must
continue the run at 4.
"""
import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint.state_dict import get_state_dict, set_state_dict
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.fsdp import fully_shard
from torch.distributed.tensor import DTensor

from fsdp import make


def _model(offset):
    m = make()
    with torch.no_grad():
        for p in m.parameters():
            p.add_(offset)
    mesh = init_device_mesh("cpu", (dist.get_world_size(),))
    for k in (0, 2, 4):
        fully_shard(m[k], mesh=mesh)
    fully_shard(m, mesh=mesh)
    return m, torch.optim.AdamW(m.parameters(), lr=0.02, weight_decay=0.1)


def _train(m, opt, steps):
    r, n = dist.get_rank(), dist.get_world_size()
    losses = []
    for s in steps:
        x = torch.cos(torch.arange(32.0).reshape(8, 4) * (0.2 + 0.1 * s)).chunk(n)[r]
        y = torch.sin(torch.arange(24.0).reshape(8, 3) * 0.3 + s).chunk(n)[r]
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(m(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def _weights(m):
    return [(p.full_tensor() if isinstance(p, DTensor) else p).detach().reshape(-1).tolist()
            for p in m.parameters()]


def save(ckpt):
    m, opt = _model(0.0)
    res = {"first": _train(m, opt, range(2))}
    msd, osd = get_state_dict(m, opt)
    dcp.save({"model": msd, "optim": osd}, checkpoint_id=ckpt)
    res["after"] = _train(m, opt, range(2, 4))
    res["weights"] = _weights(m)
    return res


def resume(ckpt):
    m, opt = _model(0.25)
    msd, osd = get_state_dict(m, opt)
    sd = {"model": msd, "optim": osd}
    dcp.load(sd, checkpoint_id=ckpt)
    set_state_dict(m, opt, model_state_dict=sd["model"], optim_state_dict=sd["optim"])
    res = {"resumed": _train(m, opt, range(2, 4))}
    res["weights"] = _weights(m)
    return res


if __name__ == "__main__":  # the writing run: `... --nproc-per-node 4 reshard.py OUT`
    import json
    import sys
    dist.init_process_group("gloo")
    out = save(sys.argv[1] + ".ckpt")
    with open(f"{sys.argv[1]}.{dist.get_rank()}", "w") as f:
        json.dump(out, f)
    dist.destroy_process_group()
