"""A DCGAN training step and its layers, jtorch eager vs torch eager (issue 15: goal <= 2x warm).

The model is pytorch/examples' dcgan (nz 100, ngf = ndf = 64, 64x64 RGB images): a generator of
ConvTranspose2d/BatchNorm2d/ReLU and a discriminator of Conv2d/BatchNorm2d/LeakyReLU, BCELoss, two
Adam optimizers; one step = the discriminator on a real and a fake batch, then the generator.
Also timed, per layer type at the step's shapes: forward+backward of each conv / transposed conv /
batch norm, so a slow op on XLA:CPU shows which one it is. Each library runs in its own process
(one intra-op thread each, benchmarks/_util.py); the parent alternates blocks of steps between
them, so neighbouring blocks share the machine's load; the ratio is the median of per-round ratios.

Measured (2-core machine, load ~9, batch 64, 3 rounds; `--before` = the previous commit): the step
1.27x torch, before 3.13x (torch 29.5 s, jtorch 37.0 s, before 92.4 s per step at that load).
Per layer at batch 16 (load 7-11), the transposed convolutions' forward+backward went from 5.6-18.6x
torch to 1.1-2.9x (their weight gradient: see ARCHITECTURE.md); the rest runs 1-3.7x torch, the
small batch norms and 4x4 convolutions highest (a few ms each: dispatch, not arithmetic).

Run: python benchmarks/bench_dcgan.py [--batch 64] [--rounds 5] [--number 2] [--layers]
     [--before DIR]   (DIR: another checkout's root, e.g. from `git worktree add`; adds its jtorch
                       as a third process, for before/after ratios in one run)
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time



def build(lib, batch):
    import numpy as np
    nn = lib.nn
    lib.manual_seed(0)
    nz, ngf, ndf, nc = 100, 64, 64, 3
    G = nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())
    D = nn.Sequential(
        nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid())
    crit = nn.BCELoss()
    optD = lib.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = lib.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    rng = np.random.default_rng(0)
    real = lib.from_numpy(rng.uniform(-1, 1, (batch, nc, 64, 64)).astype(np.float32))
    noise = lib.from_numpy(rng.standard_normal((batch, nz, 1, 1)).astype(np.float32))
    ones, zeros = lib.ones(batch), lib.zeros(batch)

    def step():
        D.zero_grad()
        errD_real = crit(D(real).view(-1), ones)
        errD_real.backward()
        fake = G(noise)
        errD_fake = crit(D(fake.detach()).view(-1), zeros)
        errD_fake.backward()
        optD.step()
        G.zero_grad()
        errG = crit(D(fake).view(-1), ones)
        errG.backward()
        optG.step()
        # reading updated weights waits for all of the step (JAX dispatches asynchronously)
        return (errD_real.item() + errD_fake.item() + errG.item()
                + G[0].weight.view(-1)[0].item() + D[0].weight.view(-1)[0].item())

    work = {"dcgan step": step}
    # one forward+backward per distinct layer at the step's input shapes
    shapes = {}
    x = noise
    for m in G:
        shapes.setdefault(type(m).__name__, []).append((m, tuple(x.shape)))
        with lib.no_grad():
            x = m(x)
    x = real
    for m in D:
        shapes.setdefault(type(m).__name__ + " (D)", []).append((m, tuple(x.shape)))
        with lib.no_grad():
            x = m(x)
    for kind in ("ConvTranspose2d", "BatchNorm2d", "Conv2d (D)", "BatchNorm2d (D)"):
        for i, (m, shp) in enumerate(shapes[kind]):
            inp = lib.from_numpy(rng.standard_normal(shp).astype(np.float32)).requires_grad_()

            def layer(m=m, inp=inp):
                y = m(inp)
                y.sum().backward()
                return inp.grad.view(-1)[0].item() + m.weight.grad.view(-1)[0].item()
            work[f"{kind} {i} {shp}"] = layer
    return work


def child(lib_name, batch):
    if lib_name == "torch":
        import torch as lib
        lib.set_num_threads(1)
    else:
        import jtorch as lib
    work = build(lib, batch)
    for line in sys.stdin:
        name, number = json.loads(line)
        fn = work[name]
        t = time.perf_counter()
        for _ in range(number):
            out = fn()
        print(json.dumps([(time.perf_counter() - t) / number, out]), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--number", type=int, default=2)
    p.add_argument("--layers", action="store_true", help="also time each layer")
    p.add_argument("--before")
    p.add_argument("--child")
    a = p.parse_args()
    if a.child:
        return child(a.child, a.batch)
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
    sides = {"torch": env, "jtorch": env}
    if a.before:
        sides["before"] = dict(env, PYTHONPATH=os.path.abspath(a.before))
    procs = {n: subprocess.Popen([sys.executable, __file__, "--child", "torch" if n == "torch"
                                  else "jtorch", "--batch", str(a.batch)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=e)
             for n, e in sides.items()}

    def ask(n, name, number):
        procs[n].stdin.write(json.dumps([name, number]) + "\n")
        procs[n].stdin.flush()
        return json.loads(procs[n].stdout.readline())[0]

    import torch  # only for the names of the workloads
    names = list(build(torch, a.batch)) if a.layers else ["dcgan step"]
    print(f"batch {a.batch}, load {os.getloadavg()[0]:.1f}")
    extra = f" {'before ms':>10} {'ratio':>6}" if a.before else ""
    print(f"{'workload':48} {'torch ms':>9} {'jtorch ms':>10} {'ratio':>6}{extra}")
    for name in names:
        for n in procs:  # warm-up: compiles, allocations
            ask(n, name, 2)
        ts, js, rs, bs, brs = [], [], [], [], []
        for _ in range(a.rounds):
            t = ask("torch", name, a.number)
            j = ask("jtorch", name, a.number)
            ts.append(t), js.append(j), rs.append(j / t)
            if a.before:
                b = ask("before", name, a.number)
                bs.append(b), brs.append(b / t)
        extra = (f" {statistics.median(bs) * 1e3:10.2f} {statistics.median(brs):6.2f}"
                 if a.before else "")
        print(f"{name:48} {statistics.median(ts) * 1e3:9.2f} {statistics.median(js) * 1e3:10.2f} "
              f"{statistics.median(rs):6.2f}{extra}", flush=True)
    for pr in procs.values():
        pr.stdin.close()
        pr.wait()


if __name__ == "__main__":
    main()
