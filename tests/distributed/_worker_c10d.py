"""One rank of tests/distributed/test_c10d.py: runs the collectives, prints one JSON line each."""
import datetime
import json
import sys
import time

import jtorch as torch
import jtorch.distributed as dist


def out(name, value):
    print(json.dumps([name, value]), flush=True)


def err(name, fn):
    try:
        fn()
        out(name, None)
    except Exception as e:  # noqa: BLE001 (the test checks the type and text)
        out(name, [type(e).__name__, str(e)])


err("before_init", lambda: dist.get_rank())
dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=float(sys.argv[1])))
err("twice", lambda: dist.init_process_group("gloo"))
r, n = dist.get_rank(), dist.get_world_size()
out("rank", [r, n, dist.get_backend(), dist.is_initialized()])
for dt in (torch.float32, torch.float64, torch.int64):
    x = (torch.arange(6) - 2 + 3 * r).to(dt).reshape(2, 3)
    for op in ("SUM", "AVG", "PRODUCT", "MIN", "MAX"):
        if op == "AVG" and not dt.is_floating_point:
            continue
        y = x.clone()
        dist.all_reduce(y, op=getattr(dist.ReduceOp, op))
        out(f"all_reduce/{op}/{dt}", [y.tolist(), str(y.dtype)])
b = torch.full((3,), 10.0 * r)
dist.broadcast(b, src=n - 1)
out("broadcast", b.tolist())
red = torch.full((2,), r + 1.0)
dist.reduce(red, dst=1, op=dist.ReduceOp.SUM)
out("reduce", red.tolist())
lst = [torch.zeros(2, dtype=torch.int64) for _ in range(n)]
dist.all_gather(lst, torch.tensor([r, 7 * r]))
out("all_gather", [t.tolist() for t in lst])
agt = torch.zeros(2 * n, 2)
dist.all_gather_into_tensor(agt, torch.full((2, 2), float(r)))
out("all_gather_into_tensor", agt.tolist())
rs = torch.zeros(2)
dist.reduce_scatter_tensor(rs, torch.arange(2.0 * n) * (r + 1))
out("reduce_scatter_tensor", rs.tolist())
a2a = torch.zeros(2 * n)
dist.all_to_all_single(a2a, torch.arange(2.0 * n) + 100 * r)
out("all_to_all_single", a2a.tolist())
# uneven splits: rank r sends r + 1 + j rows to rank j (row values 100 r + k)
ins = [r + 1 + j for j in range(n)]
outs = [i + 1 + r for i in range(n)]
ua = torch.zeros(sum(outs), 2)
dist.all_to_all_single(ua, (torch.arange(2.0 * sum(ins)) + 100 * r).reshape(-1, 2), outs, ins)
out("all_to_all_uneven", ua.tolist())
ul = [torch.zeros(i + 1 + r, dtype=torch.int64) for i in range(n)]
dist.all_to_all(ul, [torch.full((r + 1 + j,), 10 * r + j) for j in range(n)])
out("all_to_all_list", [t.tolist() for t in ul])
# both send [1, 2] rows; rank 1 expects [1, 3] (should be [2, 2]): both refuse, nothing hangs
err("all_to_all_mismatch", lambda: dist.all_to_all_single(
    torch.zeros(4 if r else 2), torch.zeros(3), [1, 3] if r else [1, 1], [1, 2]))
gl = [torch.zeros(1) for _ in range(n)] if r == 0 else None
dist.gather(torch.tensor([r + 0.5]), gl, dst=0)
out("gather", [t.tolist() for t in gl] if gl else None)
sc = torch.zeros(2)
dist.scatter(sc, [torch.full((2,), float(k)) for k in range(n)] if r == 0 else None, src=0)
out("scatter", sc.tolist())
objs = [None] * n
dist.all_gather_object(objs, {"rank": r, "s": "x" * r})
out("all_gather_object", objs)
bl = [{"a": 1}, "b"] if r == 0 else [None, None]
dist.broadcast_object_list(bl, src=0)
out("broadcast_object_list", bl)
if r == 0:
    dist.send(torch.tensor([5.0, 6.0]), dst=1)
elif r == 1:
    t = torch.zeros(2)
    out("recv", [dist.recv(t, src=0), t.tolist()])
w = dist.all_reduce(a := torch.ones(2), async_op=True)
out("async", [w.wait(), w.is_completed(), a.tolist()])
p = torch.nn.Parameter(torch.ones(2))
dist.all_reduce(p)  # a leaf that requires grad: c10d writes it like .data
out("param", [p.tolist(), p.requires_grad])

# jtorch.compile over a multi-process DDP step: one program (no fallback warning), gradients
# averaged: every rank ends with the same weights.
m = torch.nn.Linear(3, 1)
net = torch.nn.parallel.DistributedDataParallel(m)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
xb = torch.ones(4, 3) * (r + 1)


def step():
    opt.zero_grad()
    loss = net(xb).pow(2).mean()
    loss.backward()
    opt.step()
    return loss


import warnings  # noqa: E402
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    cstep = torch.compile(step)
    for _ in range(3):
        cstep()
ws = [None] * n
dist.all_gather_object(ws, m.weight.tolist())
out("compiled_ddp", [ws[0] == ws[1], [str(c.message) for c in caught
                                      if "jtorch.compile" in str(c.message)]])
dist.barrier()
# tensor parallel with one process per rank: layouts it does not support raise, naming them
from jtorch.distributed.device_mesh import init_device_mesh  # noqa: E402
from jtorch.distributed.tensor.parallel import (ColwiseParallel, SequenceParallel,  # noqa: E402
                                                parallelize_module)
tp_mesh = init_device_mesh("cpu", (n,))
err("tp_sequence", lambda: parallelize_module(torch.nn.LayerNorm(4), tp_mesh, SequenceParallel()))
err("tp_uneven", lambda: parallelize_module(torch.nn.Linear(4, 3), tp_mesh, ColwiseParallel()))
err("tp_dtensor_out", lambda: parallelize_module(torch.nn.Linear(4, 4), tp_mesh,
                                                 ColwiseParallel(use_local_output=False)))
err("shape_mismatch", lambda: dist.all_reduce(torch.ones(2 + r)))
err("dtype_mismatch", lambda: dist.all_reduce(torch.ones(2, dtype=torch.float32 if r else torch.float64)))
err("kind_mismatch", lambda: dist.all_reduce(torch.ones(2)) if r else dist.broadcast(torch.ones(2), 0))
# Last: rank 1 stops (alive, never joins again); rank 0's compiled DDP step (its program is
# installed: calls 2-3 above) must fail within the timeout instead of waiting in its all-reduce,
# and every later collective must refuse at once.
if r == 0:
    t0 = time.monotonic()
    err("timeout", lambda: cstep())
    out("timeout_s", time.monotonic() - t0)
    t0 = time.monotonic()
    err("after_timeout", lambda: dist.all_reduce(torch.ones(2)))
    out("after_timeout_s", time.monotonic() - t0)
    # the failed step owned (donated) the model's state: later calls, compiled or eager, say so
    err("step_after_timeout", lambda: cstep())
    err("op_after_timeout", lambda: m(xb))
else:
    time.sleep(float(sys.argv[1]) + 4)
out("end", r)
