"""Tensor parallel (`parallelize_module`) with one process per rank (part of
compat/distributed/suite.py).

An MLP `Linear(4, 8) -> Tanh -> Linear(8, 6) -> Tanh -> Linear(6, 3)`: the first two layers
Colwise/Rowwise parallel (Megatron's pair: one all-reduce forward, one backward for an input that
requires grad), the last one stays plain. Every rank feeds the same batch (TP splits the model,
not the data), trains with AdamW and records what torch shows of the parameters (DTensor,
placements, local shapes), gradients, per-step losses, the input's gradient, the full weights,
and the same model trained on one rank without TP.
"""
import torch
import torch.distributed as dist
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import DTensor, Shard
from torch.distributed.tensor.parallel import (ColwiseParallel, RowwiseParallel,
                                               parallelize_module)

STEPS = 3


def make():
    m = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 6),
                            torch.nn.Tanh(), torch.nn.Linear(6, 3))
    with torch.no_grad():
        for k, p in enumerate(m.parameters()):
            p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 0.7 + k)
                    .reshape(p.shape) * 0.6)
    return m


def _full(p):
    return (p.full_tensor() if isinstance(p, DTensor) else p).detach().reshape(-1).tolist()


def train(m, compiled=False):
    opt = torch.optim.AdamW(m.parameters(), lr=0.02, weight_decay=0.1)
    losses, xgrads = [], []

    def step(x, y):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(m(x), y)
        loss.backward()
        opt.step()
        return loss
    if compiled:
        step = torch.compile(step)
    for s in range(STEPS):
        x = torch.cos(torch.arange(20.0).reshape(5, 4) * (0.2 + 0.1 * s)).requires_grad_()
        y = torch.sin(torch.arange(15.0).reshape(5, 3) * 0.3 + s)
        losses.append(step(x, y).item())
        xgrads.append(x.grad.reshape(-1).tolist())
    return losses, xgrads, opt


def run():
    n = dist.get_world_size()
    mesh = init_device_mesh("cpu", (n,), mesh_dim_names=("tp",))
    m = parallelize_module(make(), mesh["tp"], {"0": ColwiseParallel(), "2": RowwiseParallel()})
    res = {"params": {name: [type(p).__name__, isinstance(p, torch.nn.Parameter), list(p.shape),
                             [str(x) for x in p.placements] if isinstance(p, DTensor) else None,
                             list((p.to_local() if isinstance(p, DTensor) else p).shape),
                             p.requires_grad]
                      for name, p in m.named_parameters()}}
    # forward: Colwise gives this rank's columns (Shard(-1), a plain local tensor); Rowwise the
    # all-reduced full output
    x = torch.cos(torch.arange(8.0).reshape(2, 4))
    h = m[0](x)
    res["colwise_out"] = [type(h).__name__, list(h.shape)]
    res["rowwise_out"] = m[2](torch.tanh(h)).reshape(-1).tolist()
    res["losses"], res["xgrads"], opt = train(m)
    g = m[0].weight.grad
    res["grad"] = [type(g).__name__, [str(x) for x in g.placements], list(g.to_local().shape)]
    res["bias_grad"] = [type(m[2].bias.grad).__name__, [str(x) for x in m[2].bias.grad.placements]]
    res["optim_state"] = sorted(opt.state[m[0].weight])
    res["state_dict"] = {k: [type(v).__name__, list(v.shape)] for k, v in m.state_dict().items()}
    res["weights"] = [_full(p) for p in m.parameters()]
    one = make()
    res["one_losses"], res["one_xgrads"], _ = train(one)
    res["one_weights"] = [_full(p) for p in one.parameters()]
    res["embedding"] = embeddings(mesh["tp"])
    return res


def embeddings(mesh):
    """Colwise (embedding dim) and Rowwise (vocabulary) Embedding: outputs and full gradients
    (Rowwise's default input layout is Shard(-1): the ranks' ids side by side)."""
    out = {}
    # the default layouts only: each further layout costs the CI fixture ~10 s of compiles
    for name, style in (("col", ColwiseParallel()), ("row", RowwiseParallel())):
        e = torch.nn.Embedding(8, 4)
        with torch.no_grad():
            e.weight.copy_(torch.cos(torch.arange(32.0).reshape(8, 4) * 0.9))
        parallelize_module(e, mesh, style)
        ids = torch.tensor([[0, 5, 7], [3, 3, 1]])
        y = e(ids + dist.get_rank() if name == "row" else ids)  # (Shard(-1): each rank's own)
        (y * y).sum().backward()
        out[name] = [type(y).__name__, y.reshape(-1).tolist(), [str(x) for x in e.weight.placements],
                     _full(e.weight.grad)]
    return out


def compiled():
    """jtorch only: the TP steps jtorch.compile'd run eagerly (one warning naming why) and train
    alike."""
    import warnings
    mesh = init_device_mesh("cpu", (dist.get_world_size(),), mesh_dim_names=("tp",))
    m = parallelize_module(make(), mesh["tp"], {"0": ColwiseParallel(), "2": RowwiseParallel()})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        losses, _, _ = train(m, compiled=True)
    return {"losses": losses, "weights": [_full(p) for p in m.parameters()],
            "warnings": [str(w.message) for w in caught if "jtorch.compile" in str(w.message)]}


if __name__ == "__main__":  # python -m torch.distributed.run --nproc-per-node 2 tp.py OUT
    import json
    import sys
    dist.init_process_group("gloo")
    r = run()
    if "compile" in sys.argv[2:]:  # (jtorch)
        r["compiled"] = compiled()
    with open(f"{sys.argv[1]}.{dist.get_rank()}", "w") as f:
        json.dump(r, f)
    dist.destroy_process_group()
