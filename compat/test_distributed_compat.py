"""torch.distributed under real torchrun (torch 2.13, gloo) and under jtorch's launcher, compared.

The same script runs unmodified, once per library: compat/distributed/suite.py (every collective
x ReduceOp x dtype, error types included; an MLP under DDP, under jtorch also with its steps
compiled, compared with torch's eager DDP; FSDP2 against torch's and against DDP; tensor parallel
against torch's and one rank; distributed checkpoint under DDP), and under jtorch compat/distributed/reshard.py at 4 ranks, whose FSDP2
checkpoint the suite's 2 ranks resume from.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("torch")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUITE = os.path.join(ROOT, "compat", "distributed", "suite.py")


RESHARD = os.path.join(ROOT, "compat", "distributed", "reshard.py")


def _launch(launcher, script, out, n=2, extra=()):
    p = subprocess.run([sys.executable, "-m", launcher, "--standalone", "--nproc-per-node", str(n),
                        script, out, *extra], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, JAX_PLATFORMS="cpu"))
    assert p.returncode == 0, p.stderr[-3000:]
    return [json.load(open(f"{out}.{r}")) for r in range(n)]


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    d = tmp_path_factory.mktemp("dist")
    # (jtorch's DDP part also trains with each step compiled: "compiled" in its results)
    t = _launch("torch.distributed.run", SUITE, str(d / "t"))
    # FSDP2 state saved by 4 ranks (jtorch only: one more launch of torch costs CI time, and
    # each library reads only its own checkpoint), resumed by the 2 ranks of the suite
    four = _launch("jtorch.distributed.run", RESHARD, str(d / "j4"), n=4)
    j = _launch("jtorch.distributed.run", SUITE, str(d / "j"),
                extra=("compile", f"resume={d / 'j4'}.ckpt"))
    out = {part: ([x[part] for x in t], [x.get(part) for x in j]) for part in t[0]}
    out["reshard"] = (four, [x["reshard"] for x in j])
    return out


def test_collectives_equal_torch(both):
    torch_res, jt_res = both["collectives"]
    for r in range(2):
        t, j = torch_res[r], jt_res[r]
        assert len(t) > 90
        for k in t:
            assert j.get(k) == t[k], (r, k)


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
def test_ddp_mlp_equals_torch(both, compiled):
    """jtorch's DDP, eager and with each step jtorch.compile'd (one SPMD program per step), gives
    torch's eager DDP losses, weights and no_sync gradients."""
    torch_res, jt_res = both["ddp"]
    for t, j in zip(torch_res, jt_res):
        if compiled:
            j = j["compiled"]
            assert j["warnings"] == [] and j["traces"] == [1, 1]  # compiled, not eager
        np.testing.assert_allclose(j["losses"], t["losses"], rtol=1e-5, atol=1e-7)
        for a, b in zip(j["weights"], t["weights"]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(j["nosync_grad"], t["nosync_grad"], rtol=1e-5, atol=1e-7)
        assert j["keys"] == t["keys"] and j["indices"] == t["indices"]


def test_dcp_resume_under_ddp_equals_torch(both):
    """dcp.save / dcp.load of get_state_dict's FQN-keyed model and optimizer state (each library
    reads its own checkpoint: the file formats differ), resumed training, and a load at world
    size 1."""
    torch_res, jt_res = both["dcp"]
    for t, j in zip(torch_res, jt_res):
        for k in ("model_keys", "optim_state_keys", "optim_params", "optim_group", "epoch"):
            assert j[k] == t[k], k
        for k in ("first", "after", "resumed"):
            np.testing.assert_allclose(j[k], t[k], rtol=1e-5, atol=1e-7)
        assert j["resumed"] == j["after"]
    assert jt_res[0]["single"] == jt_res[0]["saved"]
    assert torch_res[0]["single"] == torch_res[0]["saved"]


def test_fsdp2_equals_torch_and_ddp(both):
    """fully_shard with one process per rank: what torch shows of the sharded parameters, and
    losses, clipped gradient norms and final weights equal to torch's FSDP2 and to DDP's."""
    torch_res, jt_res = both["fsdp"]
    for t, j in zip(torch_res, jt_res):
        assert j["classes"] == t["classes"] == ["FSDPSequential", "FSDPLinear"]
        for name, tp in t["params"].items():
            jp = j["params"][name]
            if name.startswith("4."):  # 3 rows over 2 ranks: torch shards unevenly, jtorch
                assert tp[3] == ["S(0)"] and jp[3] == ["R"]  # replicates (documented)
                jp, tp = jp[:3] + jp[4:], tp[:3] + tp[4:]
            assert jp == tp, name
        assert j["local_shapes"] == t["local_shapes"]
        for k in ("grad", "optim_state", "state_dict"):
            assert j[k] == t[k], k
        for res in (t, j):  # FSDP2 and DDP train alike (in each library)
            np.testing.assert_allclose(res["losses"], res["ddp_losses"], rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(res["norms"], res["ddp_norms"], rtol=1e-5, atol=1e-6)
            for a, b in zip(res["weights"], res["ddp_weights"]):
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(j["losses"], t["losses"], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(j["norms"], t["norms"], rtol=1e-5, atol=1e-6)
        for a, b in zip(j["weights"], t["weights"]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        # jtorch.compile'd: the hooks' collectives cannot be in a program, so it runs eagerly,
        # saying why once, and trains alike
        c = j["compiled"]
        assert len(c["warnings"]) == 1 and "fully_shard with one process per rank" in \
            c["warnings"][0]
        assert c["losses"] == j["losses"] and c["norms"] == j["norms"]


def test_tensor_parallel_equals_torch_and_one_rank(both):
    """parallelize_module (Colwise then Rowwise Linear, one process per rank): what torch shows of
    the parameters and gradients, the forward's layouts, losses, the input's gradient and the
    final weights equal torch's and a one-rank run's; Embedding in both styles."""
    torch_res, jt_res = both["tp"]
    for t, j in zip(torch_res, jt_res):
        for k in ("params", "colwise_out", "grad", "bias_grad", "optim_state", "state_dict"):
            assert j[k] == t[k], k
        np.testing.assert_allclose(j["rowwise_out"], t["rowwise_out"], rtol=1e-5, atol=1e-6)
        for res in (t, j):  # TP trains as one rank does (in each library)
            np.testing.assert_allclose(res["losses"], res["one_losses"], rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(res["xgrads"], res["one_xgrads"], rtol=1e-5, atol=1e-6)
            for a, b in zip(res["weights"], res["one_weights"]):
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(j["losses"], t["losses"], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(j["xgrads"], t["xgrads"], rtol=1e-5, atol=1e-6)
        for a, b in zip(j["weights"], t["weights"]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        for name, (tt, ty, tpl, tg) in t["embedding"].items():
            jt, jy, jpl, jg = j["embedding"][name]
            # (torch's Rowwise output is an AsyncCollectiveTensor: a Tensor waiting for its
            # all-reduce)
            assert jt == ("Tensor" if tt == "AsyncCollectiveTensor" else tt) and jpl == tpl, name
            np.testing.assert_allclose(jy, ty, rtol=1e-6, atol=1e-7)
            np.testing.assert_allclose(jg, tg, rtol=1e-6, atol=1e-6)
        c = j["compiled"]  # jtorch.compile'd: eagerly, saying why once, trains alike
        assert len(c["warnings"]) == 1 and "tensor parallel with one process per rank" in \
            c["warnings"][0]
        assert c["losses"] == j["losses"] and c["weights"] == j["weights"]


def test_fsdp2_checkpoint_written_at_4_ranks_loads_at_2(both):
    """dcp.save of FSDP2 model and optimizer state by 4 ranks, dcp.load by 2: the 2 resumed steps
    continue the 4-rank run (each step trains on the same global batch split over the ranks, so
    the mean loss and the weights do not depend on the world size)."""
    four, two = both["reshard"]
    after = np.mean([r["after"] for r in four], axis=0)
    resumed = np.mean([r["resumed"] for r in two], axis=0)
    np.testing.assert_allclose(resumed, after, rtol=1e-5, atol=1e-6)
    for res in four[1:] + two:  # (every rank gathers the same full weights)
        for a, b in zip(res["weights"], four[0]["weights"]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
