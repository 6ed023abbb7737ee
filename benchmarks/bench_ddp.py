"""Eager DDP step (MLP, 2 ranks, gloo, CPU): jtorch's launcher vs real torchrun; one line each.

`python benchmarks/bench_ddp.py [--steps N]`. Each rank runs the same torch script; rank 0
prints its median step time. The ratio is jtorch / torch (lower is better).
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
times = []
for i in range(int(sys.argv[1])):
    t0 = time.perf_counter()
    opt.zero_grad()
    torch.nn.functional.cross_entropy(net(x), y).backward()
    opt.step()
    float(m[0].weight[0, 0])
    times.append(time.perf_counter() - t0)
if dist.get_rank() == 0:
    print(f"STEP_MS {1000 * statistics.median(times[5:]):.2f}", flush=True)
dist.destroy_process_group()
'''


def run(launcher, steps, path):
    p = subprocess.run([sys.executable, "-m", launcher, "--standalone", "--nproc-per-node", "2",
                        path, str(steps)], capture_output=True, text=True, timeout=600,
                       env=dict(os.environ, JAX_PLATFORMS="cpu"))
    for line in p.stdout.splitlines():
        if line.startswith("STEP_MS"):
            return float(line.split()[1])
    raise RuntimeError(p.stderr[-2000:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=40)
    a = ap.parse_args()
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(SCRIPT)
    try:
        t = run("torch.distributed.run", a.steps, f.name)
        j = run("jtorch.distributed.run", a.steps, f.name)
    finally:
        os.unlink(f.name)
    print(f"ddp_eager_mlp_2ranks_gloo torch {t:.2f} ms/step  jtorch {j:.2f} ms/step  "
          f"ratio {j / t:.2f}x")


if __name__ == "__main__":
    main()
