"""torch.distributed.checkpoint under DDP (part of compat/distributed/suite.py, 2 ranks).

Trains 2 steps, saves model and optimizer state (FQN keys, `get_state_dict`) with `dcp.save`,
trains 2 more; a second DDP model loads the checkpoint (`dcp.load`, `set_state_dict`) and trains
the same 2 steps, which must give the same losses. Then the process group ends and rank 0, at
world size 1, loads the checkpoint into a plain model. Each library reads only its own
checkpoint (the formats differ).
"""
import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint.state_dict import get_state_dict, set_state_dict


def make(seed):
    m = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    with torch.no_grad():
        for k, p in enumerate(m.parameters()):
            p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 0.3 + k + seed)
                    .reshape(p.shape) * 0.5)
    return m


def train(net, opt, steps, r):
    losses = []
    for s in range(steps):
        x = torch.cos(torch.arange(12.0).reshape(3, 4) * (0.1 + 0.05 * s) + r)
        opt.zero_grad()
        loss = net(x).pow(2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def run(ckpt):
    """The checks above; ends the default process group."""
    r = dist.get_rank()
    m = make(0)
    net = torch.nn.parallel.DistributedDataParallel(m)
    opt = torch.optim.AdamW(net.parameters(), lr=0.05, weight_decay=0.1)
    res = {"first": train(net, opt, 2, r)}
    msd, osd = get_state_dict(net, opt)
    res["model_keys"] = list(msd)
    res["optim_state_keys"] = {k: sorted(v) for k, v in osd["state"].items()}
    res["optim_group"] = {k: osd["param_groups"][0][k]
                          for k in ("lr", "betas", "eps", "weight_decay")}
    saved = [v.detach().clone().reshape(-1).tolist() for v in msd.values()]
    res["optim_params"] = osd["param_groups"][0]["params"]
    dcp.save({"model": msd, "optim": osd, "extra": {"epoch": 3}}, checkpoint_id=ckpt)
    res["after"] = train(net, opt, 2, r)

    m2 = make(5)
    net2 = torch.nn.parallel.DistributedDataParallel(m2)
    opt2 = torch.optim.AdamW(net2.parameters(), lr=0.05, weight_decay=0.1)
    msd2, osd2 = get_state_dict(net2, opt2)
    sd2 = {"model": msd2, "optim": osd2, "extra": {"epoch": 0}}
    dcp.load(sd2, checkpoint_id=ckpt)
    set_state_dict(net2, opt2, model_state_dict=sd2["model"], optim_state_dict=sd2["optim"])
    res["epoch"] = sd2["extra"]["epoch"]
    res["resumed"] = train(net2, opt2, 2, r)
    dist.barrier()
    dist.destroy_process_group()
    if r == 0:  # world size 1: no process group
        m3 = make(7)
        sd3 = {"model": m3.state_dict()}
        dcp.load(sd3, checkpoint_id=ckpt)
        m3.load_state_dict(sd3["model"])
        res["single"] = [p.detach().reshape(-1).tolist() for p in m3.parameters()]
        res["saved"] = saved
    return res
