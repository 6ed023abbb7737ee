"""Single-controller SPMD over 8 forced CPU devices (tests/distributed/test_spmd.py)."""
import json

import numpy as np

import jtorch as torch
from jtorch.distributed.device_mesh import init_device_mesh
from jtorch.distributed.tensor import DTensor, Partial, Replicate, Shard, distribute_tensor

res = {}
mesh = init_device_mesh("cpu", (2, 4), mesh_dim_names=("dp", "tp"))
res["mesh"] = [mesh.shape, list(mesh.mesh_dim_names), mesh["tp"].mesh.tolist(),
               mesh["dp"].mesh.tolist(), mesh.get_rank(), mesh.size()]
x = torch.arange(64, dtype=torch.float32).reshape(8, 8)
d = distribute_tensor(x, mesh, [Shard(0), Shard(1)])
res["placements"] = [repr(p) for p in d.placements]
res["local"] = d.to_local().tolist()  # coordinate (0, 0): rows 0..3, cols 0..1
res["full"] = d.full_tensor().tolist()
r = d.redistribute(mesh, [Replicate(), Shard(0)])
res["redistributed"] = [r.to_local().shape[0], r.full_tensor().tolist() == x.tolist()]
res["n_shards"] = len(d._data.addressable_shards)
w = torch.randn(8, 3, generator=torch.Generator().manual_seed(0), requires_grad=True)
dx = distribute_tensor(x, mesh, [Shard(0), Replicate()])
loss = ((dx @ w) ** 2).sum()
loss.backward()
ref = 2 * x.T @ (x @ w.detach())
res["grad_ok"] = bool(np.allclose(w.grad.numpy(), ref.numpy(), rtol=1e-5))
res["op_sharded"] = "dp" in str((dx * 2)._data.sharding.spec)
p = DTensor.from_local(torch.ones(2, 2), mesh, [Partial(), Replicate()])
res["partial"] = p.full_tensor().tolist()
for bad, call in (("wrong_len", lambda: distribute_tensor(x, mesh, [Shard(0)])),
                  ("uneven", lambda: distribute_tensor(torch.ones(3), mesh, [Shard(0), Replicate()])),
                  ("mesh_size", lambda: init_device_mesh("cpu", (3, 3))),
                  ("bad_name", lambda: mesh["pp"])):
    try:
        call()
        res[bad] = None
    except Exception as e:  # noqa: BLE001
        res[bad] = [type(e).__name__, str(e)]
print("RESULT " + json.dumps(res))


def make():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))


X = torch.cos(torch.arange(128.0).reshape(16, 8))
Y = torch.sin(torch.arange(16.0)).reshape(16, 1)
flat = init_device_mesh("cpu", (8,))
runs = {}
for kind in ("plain", "ddp_eager", "ddp_compiled"):
    m = make()
    net = m if kind == "plain" else torch.nn.parallel.DistributedDataParallel(m, device_mesh=flat)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)

    def step(xb, yb):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(net(xb), yb)
        loss.backward()
        opt.step()
        return loss
    f = torch.compile(step) if kind == "ddp_compiled" else step
    losses = [f(X, Y).item() for _ in range(4)]
    runs[kind] = [losses, [p.detach().numpy().tolist() for p in m.parameters()],
                  str(getattr(m[0].weight._data.sharding, "spec", "single"))]
print("DDP " + json.dumps(runs))

from jtorch.distributed.fsdp import FSDPModule, fully_shard  # noqa: E402

fs = {}
for kind in ("plain", "fsdp_eager", "fsdp_compiled"):
    m = make()
    if kind != "plain":
        for layer in (m[0], m[2]):
            fully_shard(layer, mesh=flat)
        fully_shard(m, mesh=flat)
    opt = torch.optim.AdamW(m.parameters(), lr=0.01)

    def step(xb, yb):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(m(xb), yb)
        loss.backward()
        opt.step()
        return loss
    f = torch.compile(step) if kind == "fsdp_compiled" else step
    losses = [f(X, Y).item() for _ in range(4)]
    fs[kind] = [losses, [p.detach().numpy().tolist() for p in m.parameters()],
                str(getattr(m[0].weight._data.sharding, "spec", "single")),
                isinstance(m, FSDPModule), type(m[0]).__name__]
print("FSDP " + json.dumps(fs))

from jtorch.distributed.tensor.parallel import (ColwiseParallel, RowwiseParallel,  # noqa: E402
                                                parallelize_module)

tp = {}
for kind in ("plain", "tp"):
    m = make()
    if kind == "tp":
        tp_mesh = init_device_mesh("cpu", (2, 4), mesh_dim_names=("dp", "tp"))["tp"]
        parallelize_module(m, tp_mesh, {"0": ColwiseParallel(), "2": RowwiseParallel()})
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(m(X), Y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    tp[kind] = [losses, [p.detach().numpy().tolist() for p in m.parameters()],
                [str(getattr(p._data.sharding, "spec", "single")) for p in m.parameters()]]
print("TP " + json.dumps(tp))
