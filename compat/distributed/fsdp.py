"""FSDP2 (`fully_shard`) with one process per rank, against DDP on the same data (part of
compat/distributed/suite.py).

An MLP whose last layer has 3 rows (not divisible by 2 ranks), each Linear and the root
fully_shard'ed over a 1-D mesh; AdamW with weight decay and `clip_grad_norm_`. Records what torch
shows of the sharded parameters (DTensor, placements, local shapes of the evenly divisible ones),
the per-step losses and clipped norms, the final full weights, and the same training under DDP.
"""
import torch
import torch.distributed as dist
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.fsdp import fully_shard
from torch.distributed.tensor import DTensor

STEPS = 4


def make():
    m = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 6),
                            torch.nn.Tanh(), torch.nn.Linear(6, 3))
    with torch.no_grad():
        for k, p in enumerate(m.parameters()):
            p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 0.7 + k)
                    .reshape(p.shape) * 0.6)
    return m


def train(net, params, r, compiled=False):
    opt = torch.optim.AdamW(params, lr=0.02, weight_decay=0.1)
    losses, norms = [], []

    def step(x, y):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(net(x), y)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(params, 0.5)
        opt.step()
        return loss, norm
    if compiled:
        step = torch.compile(step)
    for s in range(STEPS):
        x = torch.cos(torch.arange(20.0).reshape(5, 4) * (0.2 + 0.1 * s) + 3 * r)
        y = torch.sin(torch.arange(15.0).reshape(5, 3) * 0.3 + s + r)
        loss, norm = step(x, y)
        losses.append(loss.item())
        norms.append((norm.full_tensor() if isinstance(norm, DTensor) else norm).item())
    return losses, norms, opt


def _full(p):
    return (p.full_tensor() if isinstance(p, DTensor) else p).detach().reshape(-1).tolist()


def sharded():
    m = make()
    mesh = init_device_mesh("cpu", (dist.get_world_size(),))
    for k in (0, 2, 4):
        fully_shard(m[k], mesh=mesh)
    fully_shard(m, mesh=mesh)
    return m


def compiled():
    """jtorch only: the FSDP2 steps jtorch.compile'd: they run eagerly (one warning naming why)
    and train alike."""
    import warnings
    m = sharded()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        losses, norms, _ = train(m, list(m.parameters()), dist.get_rank(), compiled=True)
    return {"losses": losses, "norms": norms,
            "warnings": [str(w.message) for w in caught if "jtorch.compile" in str(w.message)]}


def run():
    r, n = dist.get_rank(), dist.get_world_size()
    res = {}
    m = sharded()
    res["classes"] = [type(m).__name__, type(m[0]).__name__]
    res["params"] = {name: [type(p).__name__, isinstance(p, torch.nn.Parameter), list(p.shape),
                            [str(x) for x in p.placements], p.requires_grad]
                     for name, p in m.named_parameters()}
    res["local_shapes"] = {name: list(p.to_local().shape) for name, p in m.named_parameters()
                           if p.shape[0] % n == 0}
    res["losses"], res["norms"], opt = train(m, list(m.parameters()), r)
    g = m[0].weight.grad
    res["grad"] = [type(g).__name__, [str(x) for x in g.placements], list(g.to_local().shape)]
    res["optim_state"] = sorted(opt.state[m[0].weight])
    sd = m.state_dict()
    res["state_dict"] = {k: [type(v).__name__, list(v.shape)] for k, v in sd.items()}
    res["weights"] = [_full(p) for p in m.parameters()]

    d = make()
    net = torch.nn.parallel.DistributedDataParallel(d)
    res["ddp_losses"], res["ddp_norms"], _ = train(net, list(net.parameters()), r)
    res["ddp_weights"] = [_full(p) for p in d.parameters()]
    return res
