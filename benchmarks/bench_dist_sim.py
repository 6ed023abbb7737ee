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
- FSDP (single controller): 19 all-gathers 29.4 MB, 32 all-reduces 17.0 MB, 5 all-to-alls
  16 KB, no reduce-scatter (optimum 3 all-gathers + 3 reduce-scatters of 1.87 MB each). Far
  from it: single-controller `fully_shard` only lays the parameters out sharded; the input
  batch is not sharded over the mesh, so XLA's partitioner runs the whole batch everywhere and
  moves activations and whole gradients. Sharding the inputs in a forward pre-hook (as DDP's
  single-controller path does) was tried: the compiled step then fails on its next call, its
  state's layouts no longer those it was compiled for (the compile layer does not pin output
  layouts to input layouts yet). Multi-process `fully_shard` (one process per rank) does the
  optimum's collectives by construction, one all-gather per unit and one reduce-scatter per
  parameter (`jtorch/distributed/fsdp/_process_group.py`), eagerly.
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


def step_program(model, net):
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=0.1)
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, VOCAB, (BATCH, CTX), generator=g)
    y = torch.randint(0, VOCAB, (BATCH, CTX), generator=g)

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
    fsdp = collectives(step_program(m, m))
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
