"""Collectives per training step at 64 devices, by simulation (issue 12 section 6).

`XLA_FLAGS=--xla_force_host_platform_device_count=64 python benchmarks/bench_dist_sim.py` (the
script sets the flag itself when run without it). One process drives 64 forced CPU devices
(single controller): a small GPT's AdamW step with gradient clipping, `jtorch.compile`d under
DDP (`device_mesh=`) and under `fully_shard` (each block and the root), is compiled for the
64-device mesh; from each compiled program's HLO the collectives are counted and their bytes
summed (the result shape of each all-reduce / all-gather; the operand shape of each
reduce-scatter, i.e. the bytes a unit's gradient carries before scattering), against the
analytic optimum: DDP one all-reduce of every parameter's bytes; FSDP one all-gather and one
reduce-scatter per sharded unit, each of its parameters' bytes. Compile only matters here;
the step also runs (the first call is eager, as jtorch.compile's always is). (`sim_collectives.py`
does the same for layouts placed by hand in one `jax.jit`; this one goes through jtorch's DDP,
`fully_shard` and `jtorch.compile`.)

Dec 7 2026 (466,432 parameters, 1,865,728 bytes; 3 FSDP units):
- DDP: 2 all-reduces, 1,865,736 B (optimum 1, 1,865,728 B): one combined all-reduce of every
  gradient (XLA combines them) plus 8 bytes for the loss, which is a mean over the global batch
  sharded over the devices (torch's per-rank loss needs none).
- FSDP (single controller), batch not sharded (as then): 19 all-gathers 29.4 MB, 32
  all-reduces 17.0 MB, 5 all-to-alls 16 KB, no reduce-scatter (optimum 3 all-gathers + 3
  reduce-scatters of 1.87 MB each): XLA's partitioner ran the whole batch everywhere and moved
  activations and whole gradients.

Dec 8 2026: the FSDP step now gets its batch sharded over the mesh, as single-controller FSDP
needs (`distribute_tensor(x, mesh, [Shard(0)])`; each device then holds its rows, as each rank
of torch's FSDP2 holds its own batch): 33 all-gathers 1,851,904 B, 30 all-reduces 1,865,848 B,
no reduce-scatter, no all-to-all. The bytes are now about the optimum's (each sharded
parameter gathered, each gradient reduced once; a parameter whose dim 0 does not divide by 64,
the position table, stays replicated and is never gathered; the gradient all-reduces carry
scalars of the loss and the gradient norm along). The excess is in the kind and count of ops:
- each gradient is all-reduced at its full shape and each device keeps its slice: XLA:CPU's
  SPMD partitioner emits all-reduce where a reduce-scatter would carry half the traffic in a
  ring (the same bytes by this script's convention, which counts a reduce-scatter's operand);
- the collectives are per parameter, not per FSDP unit: XLA:CPU does not combine the gathers
  of a unit into one (nor the reductions, which interleave with the backward); the 33
  all-gathers read 28 distinct shards (5 small ones are gathered again for the backward).
Multi-process `fully_shard` (one process per rank) does the optimum's collectives by
construction, one all-gather per unit and one reduce-scatter per parameter
(`jtorch/distributed/fsdp/_process_group.py`), eagerly.
"""
import functools
import os
import re
import sys

N = 64
if f"device_count={N}" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                               + f" --xla_force_host_platform_device_count={N}")
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    os.execv(sys.executable, [sys.executable] + sys.argv)

import _gpt  # noqa: E402  (benchmarks/, the script's directory)
import jtorch as torch  # noqa: E402
import jtorch.nn as nn  # noqa: E402
import jtorch.nn.functional as F  # noqa: E402

from jtorch.distributed.device_mesh import init_device_mesh  # noqa: E402
from jtorch.distributed.fsdp import fully_shard  # noqa: E402
from jtorch.distributed.tensor import Shard, distribute_tensor  # noqa: E402

VOCAB, CTX, D, HEADS, LAYERS, BATCH = 256, 32, 128, 4, 2, N
_BYTES = {"f32": 4, "f16": 2, "bf16": 2, "s32": 4, "u32": 4, "s64": 8, "pred": 1, "f64": 8}
_COLL = ("all-reduce", "all-gather", "reduce-scatter", "all-to-all", "collective-permute")


Block = functools.partial(_gpt.block, torch, D, HEADS)


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok, self.pos = nn.Embedding(VOCAB, D), nn.Embedding(CTX, D)
        self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
        self.ln, self.head = nn.LayerNorm(D), nn.Linear(D, VOCAB, bias=False)

    def forward(self, idx):
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        for b in self.blocks:
            x = b(x)
        return self.head(self.ln(x))


def _shape_bytes(text):
    return sum(_BYTES[dt] * eval("*".join(dims.split(",")) or "1")  # noqa: S307 (digits only)
               for dt, dims in re.findall(r"\b(f32|f16|bf16|s32|u32|s64|pred|f64)\[([\d,]*)\]",
                                          text))


def collectives(hlo):
    """{kind: [count, bytes]} over the program's collective instructions (async pairs once)."""
    out = {}
    for line in hlo.splitlines():
        m = re.match(r"\s*(?:ROOT )?%?[\w.\-]+ = (.+?) (" + "|".join(_COLL) + r")(-start)?\(",
                     line)
        if not m or "-done(" in line:
            continue
        kind, shape = m.group(2), m.group(1)
        if kind == "reduce-scatter":  # the bytes before scattering: the operand's shape
            ops = re.findall(r"\(((?:f32|f16|bf16|s32|s64|pred)\[[\d,]*\])", line)
            b = _shape_bytes(" ".join(ops)) if ops else _shape_bytes(shape) * N
        else:
            b = _shape_bytes(shape)
        c = out.setdefault(kind, [0, 0])
        c[0] += 1
        c[1] += b
    return out


def step_program(model, net, shard_batch_over=None):
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=0.1)
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, VOCAB, (BATCH, CTX), generator=g)
    y = torch.randint(0, VOCAB, (BATCH, CTX), generator=g)
    if shard_batch_over is not None:  # (DDP's single controller shards its inputs itself)
        x, y = (distribute_tensor(t, shard_batch_over, [Shard(0)]) for t in (x, y))

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(net(x).view(-1, VOCAB), y.view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        return loss
    f = torch.compile(step)
    for _ in range(2):  # call 1 eager, call 2 traces and compiles
        f(x, y)
    (prog,) = f.cache.values()
    return prog.compiled.as_text()


def main():
    mesh = init_device_mesh("cpu", (N,))
    m = GPT()
    pbytes = sum(p.numel() * 4 for p in m.parameters())
    units = [list(b.parameters()) for b in m.blocks] + [
        [p for n, p in m.named_parameters() if not n.startswith("blocks.")]]
    ddp = collectives(step_program(m, nn.parallel.DistributedDataParallel(m, device_mesh=mesh)))
    m = GPT()
    for b in m.blocks:
        fully_shard(b, mesh=mesh)
    fully_shard(m, mesh=mesh)
    fsdp = collectives(step_program(m, m, shard_batch_over=mesh))
    unit_bytes = [sum(p.numel() * 4 for p in u) for u in units]
    print(f"params {sum(p.numel() for p in m.parameters())} ({pbytes} bytes), {N} devices, "
          f"{LAYERS} blocks + root = {len(units)} FSDP units {unit_bytes} bytes")
    for name, got, want in (
            ("ddp", ddp, {"all-reduce": [1, pbytes]}),
            ("fsdp", fsdp, {"all-gather": [len(units), pbytes],
                            "reduce-scatter": [len(units), pbytes]})):
        kinds = sorted(set(got) | set(want))
        cells = "  ".join(f"{k}: {got.get(k, [0, 0])[0]} ops {got.get(k, [0, 0])[1]} B "
                          f"(optimum {want.get(k, [0, 0])[0]} ops {want.get(k, [0, 0])[1]} B)"
                          for k in kinds)
        print(f"sim64_{name}_gpt_step {cells}")


if __name__ == "__main__":
    main()
