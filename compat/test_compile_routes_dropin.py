"""Issue 21 under the drop-in runner: an unmodified torch script whose compiled training steps
reach their state by default arguments, functools.partial, class attributes, a callable object
and a module looked up at run time; real torch and `python -m jtorch` print the same losses."""
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("torch")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = """
import functools, importlib, sys, warnings
import torch
import torch.nn as nn
warnings.simplefilter("ignore")

def make():
    torch.manual_seed(0)
    m = nn.Linear(4, 1)
    with torch.no_grad():
        m.weight.copy_(torch.linspace(-0.5, 0.5, 4).reshape(1, 4)); m.bias.fill_(0.1)
    return m, torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)

X = torch.linspace(-1, 1, 32).reshape(8, 4)
Y = torch.linspace(0, 1, 8).reshape(8, 1)

def body(m, o, x, y):
    o.zero_grad()
    loss = ((m(x) - y) ** 2).mean()
    loss.backward()
    o.step()
    return loss

class Holder: pass
class Stepper:
    def __init__(self, m, o): self.m, self.o = m, o
    def __call__(self, x, y): return body(self.m, self.o, x, y)

def r_default(m, o):
    def step(x, y, m=m, o=o): return body(m, o, x, y)
    return step
def r_partial(m, o): return functools.partial(body, m, o)
def r_class(m, o):
    Holder.m, Holder.o = m, o
    return lambda x, y: body(Holder.m, Holder.o, x, y)
def r_callable(m, o): return Stepper(m, o)
def r_runtime_module(m, o):
    mod = sys.modules[__name__]
    mod.RM, mod.RO = m, o
    name = [__name__]
    def step(x, y):
        s = importlib.import_module(name[0])
        return body(getattr(s, "R" + "M"), getattr(s, "R" + "O"), x, y)
    return step

for build in (r_default, r_partial, r_class, r_callable, r_runtime_module):
    m, o = make()
    step = torch.compile(build(m, o))
    losses = [step(X, Y).item() for _ in range(5)]
    print(build.__name__, " ".join(f"{l:.6f}" for l in losses), f"{m.weight.sum().item():.6f}")
"""


def test_routes_train_the_same_under_the_dropin_runner(tmp_path):
    (tmp_path / "s.py").write_text(textwrap.dedent(SCRIPT))
    env = dict(os.environ, PYTHONPATH=ROOT)
    # torch's compiled result equals its eager one: run it eagerly (TORCH_COMPILE_DISABLE), fast
    torch_run = subprocess.run([sys.executable, "s.py"], cwd=tmp_path, capture_output=True,
                               text=True, timeout=600, env=dict(env, TORCH_COMPILE_DISABLE="1"))
    jt_run = subprocess.run([sys.executable, "-m", "jtorch", "s.py"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=600, env=env)
    assert torch_run.returncode == 0, torch_run.stderr[-2000:]
    assert jt_run.returncode == 0, jt_run.stderr[-2000:]
    a, b = torch_run.stdout.split("\n"), jt_run.stdout.split("\n")
    assert len(a) == len(b) == 6
    for la, lb in zip(a, b):
        na, nb = la.split()[1:], lb.split()[1:]
        assert la.split()[:1] == lb.split()[:1]
        for x, y in zip(na, nb):
            assert abs(float(x) - float(y)) <= 1e-4 * max(1.0, abs(float(x))), (la, lb)
