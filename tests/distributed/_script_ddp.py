"""A torch DDP training script (an MLP, SGD with momentum, gloo): run by tests and compat.

`python -m jtorch.distributed.run --nproc-per-node N _script_ddp.py OUT.json [compile]` (or real
torchrun) writes per-step losses, final weights, state_dict keys and sampler indices; the last two
steps accumulate gradients over two halves under `no_sync()`. With `compile` (jtorch) it also
trains again with each step `torch.compile`d, under "compiled". `train(1, 0, None)`
is the one-process run over the global batch that DDP must reproduce.
"""
import json
import sys

import torch

GLOBAL_BATCH, N_ITEMS, STEPS = 8, 32, 6


def _init(model, offset):
    with torch.no_grad():
        for k, p in enumerate(model.parameters()):
            p.copy_((torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 0.37 + k) * 0.5
                     + offset).reshape(p.shape))


def _data():
    i = torch.arange(N_ITEMS * 4, dtype=torch.float32).reshape(N_ITEMS, 4)
    x = torch.cos(i * 0.11)
    y = (x[:, :1] * 2 - x[:, 1:2] + 0.1 * torch.sin(i[:, :1]))
    return x, y


def train(world, rank, dist, compiled=False):
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    _init(model, offset=0.1 * rank)  # DDP must broadcast rank 0's values
    net = model
    if dist is not None:
        net = torch.nn.parallel.DistributedDataParallel(model, bucket_cap_mb=0.0002)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    x, y = _data()
    from torch.utils.data.distributed import DistributedSampler
    sampler = DistributedSampler(range(N_ITEMS), num_replicas=world, rank=rank, shuffle=False)
    idx = list(sampler)
    per = GLOBAL_BATCH // world

    def plain(xb, yb):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(net(xb), yb)
        loss.backward()
        opt.step()
        return loss

    def accumulate(xa, ya, xb, yb):
        # two halves, sync on the second; the average over ranks is still the global batch's
        # gradient
        opt.zero_grad()
        with net.no_sync():
            (torch.nn.functional.mse_loss(net(xa), ya) / 2).backward()
        local = model[2].bias.grad.detach().clone()  # local: differs across ranks
        loss = torch.nn.functional.mse_loss(net(xb), yb) / 2
        loss.backward()
        opt.step()
        return loss, local

    if compiled:
        plain, accumulate = torch.compile(plain), torch.compile(accumulate)
    losses, nosync_grad = [], None
    for step in range(STEPS):
        b = [idx[(step * per + j) % len(idx)] for j in range(per)]
        if step >= STEPS - 2 and dist is not None:
            h = per // 2
            loss, local = accumulate(x[b[:h]], y[b[:h]], x[b[h:]], y[b[h:]])
            nosync_grad = local.tolist()
        else:
            loss = plain(x[b], y[b])
        losses.append(loss.item())
    shuffled = DistributedSampler(range(10), num_replicas=max(world, 2), rank=rank, shuffle=True,
                                  seed=3)
    shuffled.set_epoch(1)
    res = {"losses": losses, "weights": [p.detach().reshape(-1).tolist() for p in model.parameters()],
           "keys": list(net.state_dict()), "indices": idx, "shuffled": list(shuffled),
           "nosync_grad": nosync_grad}
    if compiled:  # jtorch's compiled functions: Python traces, and the collectives per program
        res["traces"] = [plain.traces, accumulate.traces]
        hlo = [p.compiled.compiled.as_text() for f in (plain, accumulate) for p in f.cache.values()]
        res["all_reduces"] = [h.count(" all-reduce(") + h.count(" all-reduce-start(") for h in hlo]
    return res


def train_compiled(world, rank, dist):
    """jtorch only: the same training with each step compiled (one SPMD program per step, the
    gradient all-reduce inside) and the jtorch.compile warnings it gave."""
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = train(world, rank, dist, compiled=True)
    res["warnings"] = [str(w.message) for w in caught if "jtorch.compile" in str(w.message)]
    return res


def compiled_forward_only(rank):
    """jtorch only: a compiled DDP forward whose backward runs outside the compiled function.
    The all-reduce cannot be in its program, so it runs eagerly (one warning) and the gradients
    are still averaged."""
    import warnings
    model = torch.nn.Linear(4, 2)
    net = torch.nn.parallel.DistributedDataParallel(model)
    fwd = torch.compile(net)
    x = torch.ones(3, 4) * (rank + 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            net.zero_grad()
            fwd(x).sum().backward()
    return {"grad": model.weight.grad.tolist(),
            "warnings": [str(w.message) for w in caught if "jtorch.compile" in str(w.message)]}


if __name__ == "__main__":
    import torch.distributed as dist
    dist.init_process_group("gloo")
    res = train(dist.get_world_size(), dist.get_rank(), dist)
    if "compile" in sys.argv[2:]:  # jtorch only: also the compiled run
        res["compiled"] = train_compiled(dist.get_world_size(), dist.get_rank(), dist)
        res["forward_only"] = compiled_forward_only(dist.get_rank())
    with open(sys.argv[1] + f".{dist.get_rank()}", "w") as f:
        json.dump(res, f)
    dist.destroy_process_group()
