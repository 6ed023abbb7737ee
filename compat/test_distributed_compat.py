"""torch.distributed under real torchrun (torch 2.13, gloo) and under jtorch's launcher, compared.

The same scripts run unmodified: compat/distributed/collectives.py (every collective x ReduceOp x
dtype, error types included) and tests/distributed/_script_ddp.py (an MLP under DDP).
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("torch")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIVES = os.path.join(ROOT, "compat", "distributed", "collectives.py")
DDP = os.path.join(ROOT, "tests", "distributed", "_script_ddp.py")


def _launch(launcher, script, out, n=2):
    p = subprocess.run([sys.executable, "-m", launcher, "--standalone", "--nproc-per-node", str(n),
                        script, out], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, JAX_PLATFORMS="cpu"))
    assert p.returncode == 0, p.stderr[-3000:]
    return [json.load(open(f"{out}.{r}")) for r in range(n)]


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    d = tmp_path_factory.mktemp("dist")
    return {name: (_launch("torch.distributed.run", script, str(d / f"t_{name}")),
                   _launch("jtorch.distributed.run", script, str(d / f"j_{name}")))
            for name, script in (("collectives", COLLECTIVES), ("ddp", DDP))}


def test_collectives_equal_torch(both):
    torch_res, jt_res = both["collectives"]
    for r in range(2):
        t, j = torch_res[r], jt_res[r]
        assert len(t) > 90
        for k in t:
            assert j.get(k) == t[k], (r, k)


def test_ddp_mlp_equals_torch(both):
    torch_res, jt_res = both["ddp"]
    for t, j in zip(torch_res, jt_res):
        np.testing.assert_allclose(j["losses"], t["losses"], rtol=1e-5, atol=1e-7)
        for a, b in zip(j["weights"], t["weights"]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(j["nosync_grad"], t["nosync_grad"], rtol=1e-5, atol=1e-7)
        assert j["keys"] == t["keys"] and j["indices"] == t["indices"]
