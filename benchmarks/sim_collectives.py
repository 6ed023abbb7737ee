"""Collectives per training step for 64 devices, read from the compiled XLA program.

`python benchmarks/sim_collectives.py` (sets XLA_FLAGS to force 64 CPU devices; compiles only).
A small GPT-style MLP stack's loss and gradient are built with jtorch (`torch.func.grad` of
`functional_call`) inside one `jax.jit` with DDP layouts (parameters replicated, batch sharded)
and FSDP layouts (parameters sharded on dim 0); prints the number and bytes of all-reduce,
all-gather and reduce-scatter ops against the analytic optimum.
"""
import os
import re
import sys

N = 64
os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={N}"
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import numpy as np  # noqa: E402
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P  # noqa: E402

import jtorch as torch  # noqa: E402
from jtorch.func import functional_call, grad  # noqa: E402

D, LAYERS, BATCH = 256, 4, 128
BYTES = {"f32": 4, "f64": 8, "bf16": 2, "f16": 2, "s32": 4, "s64": 8, "pred": 1}


def model():
    layers = []
    for _ in range(LAYERS):
        layers += [torch.nn.Linear(D, 4 * D), torch.nn.GELU(), torch.nn.Linear(4 * D, D)]
    return torch.nn.Sequential(*layers)


def collectives(text):
    """{kind: (ops, bytes)} from compiled HLO text (a combined op's tuple result counted once)."""
    out = {k: [0, 0] for k in ("all-reduce", "all-gather", "reduce-scatter")}
    for line in text.splitlines():
        m = re.search(r"= (.*?) (all-reduce|all-gather|reduce-scatter)(?:-start)?\(", line)
        if not m:
            continue
        out[m.group(2)][0] += 1
        for dt, dims in re.findall(r"([a-z]+[0-9]*)\[([0-9,]*)\]", m.group(1)):
            out[m.group(2)][1] += BYTES.get(dt, 4) * int(np.prod([int(d) for d in dims.split(",")
                                                                  if d] or [1]))
    return out


def main():
    m = model()
    params = {k: v._data for k, v in m.named_parameters()}
    mesh = Mesh(np.array(jax.devices()), ("dp",))

    def loss_fn(p, x, y):  # p: Tensors (what torch.func.grad passes)
        out = functional_call(m, p, (torch.Tensor._from_array(x),))
        return torch.nn.functional.mse_loss(out, torch.Tensor._from_array(y))

    def step(p, x, y):
        g = grad(lambda q: loss_fn(q, x, y))(
            {k: torch.Tensor._from_array(v) for k, v in p.items()})
        return {k: p[k] - 0.01 * g[k]._data for k in p}

    total = sum(int(np.prod(v.shape)) * 4 for v in params.values())
    x = np.ones((BATCH, D), np.float32)
    for name, spec_of in (("ddp", lambda v: P()),
                          ("fsdp", lambda v: P("dp") if v.shape[0] % N == 0 else P())):
        psh = {k: NamedSharding(mesh, spec_of(v)) for k, v in params.items()}
        bsh = NamedSharding(mesh, P("dp"))
        text = jax.jit(step, in_shardings=(psh, bsh, bsh), out_shardings=psh).lower(
            params, x, x).compile().as_text()
        c = collectives(text)
        print(f"{name} {N} devices: " + ", ".join(f"{k} {n} ops {b / 1e6:.2f} MB" for k, (n, b) in
                                                   c.items())
              + f"  | optimum: " + (f"one all-reduce of {total / 1e6:.2f} MB" if name == "ddp" else
                                   f"all-gather + reduce-scatter per layer ({total / 1e6:.2f} MB "
                                   "each in total)"))


if __name__ == "__main__":
    sys.exit(main())
