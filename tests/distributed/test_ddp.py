"""DistributedDataParallel: 2 ranks under the launcher equal one process over the global batch,
eagerly and with each step jtorch.compile'd (one SPMD program, the all-reduce inside)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("ddp") / "res")
    p = subprocess.run([sys.executable, "-m", "jtorch.distributed.run", "--standalone",
                        "--nproc-per-node", "2", os.path.join(HERE, "_script_ddp.py"), out,
                        "compile"],
                       capture_output=True, text=True, timeout=240,
                       env=dict(os.environ, JAX_PLATFORMS="cpu"))
    assert p.returncode == 0, p.stderr[-3000:]
    return [json.load(open(f"{out}.{r}")) for r in range(2)]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    # In its own process under the drop-in runner: this pytest process may already hold real
    # torch (compat tests import it), and the script is written against `torch`.
    runner = tmp_path_factory.mktemp("ddp_ref") / "reference.py"
    runner.write_text("import json, sys\nsys.path.insert(0, %r)\nimport _script_ddp\n"
                      "print(json.dumps(_script_ddp.train(1, 0, None)))\n" % HERE)
    p = subprocess.run([sys.executable, "-m", "jtorch", str(runner)], capture_output=True,
                       text=True, timeout=240, env=dict(os.environ, JAX_PLATFORMS="cpu"))
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


def _equals_reference(r0, r1, ref):
    for a, b in zip(r0["weights"], r1["weights"]):
        assert a == b  # every rank holds the same parameters, bit for bit
    for a, b in zip(r0["weights"], ref["weights"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert r0["nosync_grad"] != r1["nosync_grad"]  # no_sync: gradients stay local
    mean = (np.array(r0["losses"]) + np.array(r1["losses"])) / 2
    np.testing.assert_allclose(mean[:-2], ref["losses"][:-2], rtol=1e-5)  # (last 2: halves)


def test_ddp_equals_one_process_over_the_global_batch(ddp_run, reference):
    _equals_reference(*ddp_run, reference)


def test_compiled_ddp_step_is_one_program_equal_to_eager(ddp_run, reference):
    _equals_reference(*[r["compiled"] for r in ddp_run], reference)
    for r in ddp_run:
        c = r["compiled"]
        # each step function traced once and never fell back to eager (that warns) ...
        assert c["traces"] == [1, 1] and c["warnings"] == []
        # ... into one program each, the gradient all-reduce inside it
        assert len(c["all_reduces"]) == 2 and min(c["all_reduces"]) >= 1
        np.testing.assert_allclose(c["losses"], r["losses"], rtol=1e-6, atol=1e-7)
        for a, b in zip(c["weights"], r["weights"]):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(c["nosync_grad"], r["nosync_grad"], rtol=1e-6, atol=1e-7)


def test_compiled_ddp_forward_with_backward_outside_runs_eagerly(ddp_run):
    # rank r feeds ones * (r + 1) to a Linear(4, 2) summed over 3 rows: its weight gradient is
    # 3 * (r + 1) everywhere, so the average over the 2 ranks is 4.5
    for r in ddp_run:
        f = r["forward_only"]
        assert f["grad"] == [[4.5] * 4] * 2
        assert len(f["warnings"]) == 1 and "backward runs outside" in f["warnings"][0]


def test_ddp_state_dict_and_sampler(ddp_run):
    r0, r1 = ddp_run
    assert r0["keys"] == ["module.0.weight", "module.0.bias", "module.2.weight", "module.2.bias"]
    assert r0["indices"] == list(range(0, 32, 2)) and r1["indices"] == list(range(1, 32, 2))
    # shuffled: the two ranks' shards partition the permuted (padded) index list
    assert sorted(r0["shuffled"] + r1["shuffled"]) == list(range(10))
