"""DDP training step (MLP, 2 ranks, gloo, CPU): jtorch's launcher vs real torchrun.

`python benchmarks/bench_ddp.py [--steps N]`. Each rank runs the same torch script; rank 0
prints its median step time. Lines: the eager DDP step, jtorch / torch; the jtorch.compile'd
DDP step (one SPMD program, the all-reduce inside) against jtorch's eager DDP step, torch's
eager DDP step and the same step written by hand in JAX (`jax.jit` with a batch-sharded,
parameter-replicated mesh over the two processes). Ratios: lower is better for jtorch.

Dec 7 2026, 2 runs on the shared 2-core machine (load 10-13): eager DDP step torch 28.4 / 20.2
ms, jtorch 49.9 / 42.0 ms (1.76x / 2.08x; the issue's goal is <= 1.0x); compiled step 46.2 /
39.7 ms against the hand-written jax.jit step 36.5 / 38.0 ms (1.27x / 1.05x; goal <= 1.05x).
In a profile of the eager step (30 steps, rank 0), about two thirds is the two buckets' collectives:
launching each (~4 ms: placing the flat bucket as a block of a process-spanning array) and
waiting for the peer.
"""
import argparse
import os
import subprocess
import sys

SCRIPT = r'''
import sys, time, statistics
import torch, torch.distributed as dist
dist.init_process_group("gloo")
torch.manual_seed(0)
m = torch.nn.Sequential(torch.nn.Linear(256, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512),
                        torch.nn.ReLU(), torch.nn.Linear(512, 10))
net = torch.nn.parallel.DistributedDataParallel(m)
opt = torch.optim.SGD(net.parameters(), lr=0.01)
x, y = torch.randn(64, 256), torch.randint(0, 10, (64,))


def step():
    opt.zero_grad()
    torch.nn.functional.cross_entropy(net(x), y).backward()
    opt.step()


if "compile" in sys.argv[2:]:
    step = torch.compile(step)
times = []
for i in range(int(sys.argv[1])):
    t0 = time.perf_counter()
    step()
    float(m[0].weight[0, 0])
    times.append(time.perf_counter() - t0)
if dist.get_rank() == 0:
    print(f"STEP_MS {1000 * statistics.median(times[5:]):.2f}", flush=True)
dist.destroy_process_group()
'''


JAX_SCRIPT = r'''
import os, sys, time, statistics
import jax, jax.numpy as jnp, numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
jax.config.update("jax_cpu_collectives_implementation", "gloo")
jax.distributed.initialize(f"{os.environ['MASTER_ADDR']}:{os.environ['MASTER_PORT']}",
                           num_processes=int(os.environ["WORLD_SIZE"]),
                           process_id=int(os.environ["RANK"]))
mesh = Mesh(np.array(jax.devices()), ("dp",))
rep, row = NamedSharding(mesh, P()), NamedSharding(mesh, P("dp"))
n, dev = len(jax.devices()), jax.local_devices()[0]


def glob(a, s):
    a = jax.device_put(a, dev)
    shape = a.shape if s is rep else (n * a.shape[0],) + a.shape[1:]
    return jax.make_array_from_single_device_arrays(shape, s, [a])


k = jax.random.split(jax.random.key(0), 4)
sizes = [(256, 512), (512, 512), (512, 10)]
params = [glob(p, rep) for (i, o), kk in zip(sizes, k) for p in
          (jax.random.normal(kk, (o, i)) * i ** -0.5, jnp.zeros((o,)))]
x = glob(jax.random.normal(k[3], (64, 256)), row)
y = glob(jnp.arange(64) % 10, row)


def loss_fn(ps, x, y):
    h = x
    for j in range(0, len(ps), 2):
        h = h @ ps[j].T + ps[j + 1]
        if j + 2 < len(ps):
            h = jax.nn.relu(h)
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(h), y[:, None], 1))


@jax.jit
def step(ps, x, y):
    g = jax.grad(loss_fn)(ps, x, y)
    return [p - 0.01 * gi for p, gi in zip(ps, g)]


step = jax.jit(step, in_shardings=([rep] * 6, row, row), out_shardings=[rep] * 6,
               donate_argnums=0)
times = []
for i in range(int(sys.argv[1])):
    t0 = time.perf_counter()
    params = step(params, x, y)
    float(params[0].addressable_data(0)[0, 0])
    times.append(time.perf_counter() - t0)
if jax.process_index() == 0:
    print(f"STEP_MS {1000 * statistics.median(times[5:]):.2f}", flush=True)
'''


def run(launcher, steps, path, *extra):
    p = subprocess.run([sys.executable, "-m", launcher, "--standalone", "--nproc-per-node", "2",
                        path, str(steps), *extra], capture_output=True, text=True, timeout=600,
                       env=dict(os.environ, JAX_PLATFORMS="cpu"))
    for line in p.stdout.splitlines():
        if line.startswith("STEP_MS"):
            return float(line.split()[1])
    raise RuntimeError(p.stderr[-2000:])


def run_jax(steps, path, n=2):
    """The hand-written JAX step: n processes on 127.0.0.1, each joining jax.distributed."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs = [subprocess.Popen([sys.executable, path, str(steps)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True,
                              env=dict(os.environ, JAX_PLATFORMS="cpu", MASTER_ADDR="127.0.0.1",
                                       MASTER_PORT=str(port), WORLD_SIZE=str(n), RANK=str(r)))
             for r in range(n)]
    outs = [p.communicate(timeout=600) for p in procs]
    for line in outs[0][0].splitlines():
        if line.startswith("STEP_MS"):
            return float(line.split()[1])
    raise RuntimeError(outs[0][1][-2000:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=40)
    a = ap.parse_args()
    import tempfile
    paths = []
    for src in (SCRIPT, JAX_SCRIPT):
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write(src)
        paths.append(f.name)
    try:
        t = run("torch.distributed.run", a.steps, paths[0])
        j = run("jtorch.distributed.run", a.steps, paths[0])
        c = run("jtorch.distributed.run", a.steps, paths[0], "compile")
        x = run_jax(a.steps, paths[1])
    finally:
        for p in paths:
            os.unlink(p)
    print(f"ddp_eager_mlp_2ranks_gloo torch {t:.2f} ms/step  jtorch {j:.2f} ms/step  "
          f"ratio {j / t:.2f}x")
    print(f"ddp_compiled_mlp_2ranks_gloo jtorch {c:.2f} ms/step  vs jtorch eager DDP "
          f"{c / j:.2f}x  vs torch eager DDP {c / t:.2f}x  vs jax.jit+shardings ({x:.2f} ms) "
          f"{c / x:.2f}x")


if __name__ == "__main__":
    main()
