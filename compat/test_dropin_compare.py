"""`python -m jtorch compare`: one script run under real torch and under jtorch, end to end."""
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("torch")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = """
import sys
import torch
import torch.nn.functional as F
x = torch.linspace(-1, 1, 12).reshape(3, 4)
w = torch.ones(4, 2, requires_grad=True)
loss = F.mse_loss(torch.tanh(x @ w), torch.zeros(3, 2))
loss.backward()
print(f"loss {loss.item():.6f} grad {w.grad.sum().item():.6f}")
print("module", type(x).__module__.split(".")[0] if "--show-lib" in sys.argv else "hidden")
torch.save({"w": w.detach(), "g": w.grad, "n": 3}, "ck.pt")
"""


def compare(tmp_path, *args):
    (tmp_path / "s.py").write_text(textwrap.dedent(SCRIPT))
    return subprocess.run([sys.executable, "-m", "jtorch", "compare", "s.py", *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=ROOT))


def test_compare_reports_differing_lines_and_matching_tensors(tmp_path):
    p = compare(tmp_path, "--show-lib")
    assert p.returncode == 1, p.stdout + p.stderr
    # The loss line matches within tolerance; only the line naming the library differs.
    assert "printed output: 1 differing line(s)" in p.stdout
    assert "torch : module torch\n  jtorch: module jtorch" in p.stdout
    assert "saved file ck.pt:\n  same tensors" in p.stdout
