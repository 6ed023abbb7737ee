"""Single controller: DeviceMesh/DTensor over 8 forced CPU devices in one process."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def spmd():
    env = dict(os.environ, JAX_PLATFORMS="cpu",
               XLA_FLAGS="--xla_force_host_platform_device_count=8")
    p = subprocess.run([sys.executable, os.path.join(HERE, "_worker_spmd.py")], env=env,
                       capture_output=True, text=True, timeout=180)
    line = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")]
    ddp = [ln for ln in p.stdout.splitlines() if ln.startswith("DDP ")]
    fsdp = [ln for ln in p.stdout.splitlines() if ln.startswith("FSDP ")]
    tp = [ln for ln in p.stdout.splitlines() if ln.startswith("TP ")]
    assert p.returncode == 0 and line and ddp and fsdp and tp, p.stderr[-3000:]
    assert "Warning" not in p.stderr  # no eager fallback of the compiled step
    res = json.loads(line[0][len("RESULT "):])
    res["ddp"] = json.loads(ddp[0][len("DDP "):])
    res["fsdp"] = json.loads(fsdp[0][len("FSDP "):])
    res["tp"] = json.loads(tp[0][len("TP "):])
    return res


def test_device_mesh(spmd):
    # torch: a (2, 4) mesh of ranks 0..7; rank 0's 'tp' slice is [0..3], its 'dp' slice [0, 4]
    assert spmd["mesh"] == [[2, 4], ["dp", "tp"], [0, 1, 2, 3], [0, 4], 0, 8]
    assert spmd["bad_name"][0] == "KeyError" and "pp" in spmd["bad_name"][1]
    assert spmd["mesh_size"][0] == "RuntimeError" and "xla_force_host_platform_device_count" in \
        spmd["mesh_size"][1]


def test_dtensor_layout_and_gather(spmd):
    x = np.arange(64.0).reshape(8, 8)
    assert spmd["placements"] == ["Shard(dim=0)", "Shard(dim=1)"]
    assert spmd["n_shards"] == 8
    np.testing.assert_array_equal(spmd["local"], x[:4, :2])  # rank 0: dp chunk 0, tp chunk 0
    np.testing.assert_array_equal(spmd["full"], x)
    assert spmd["redistributed"] == [2, True]  # Shard(0) over tp=4: 2 of 8 rows
    assert spmd["partial"] == [[2.0, 2.0], [2.0, 2.0]]  # Partial over dp=2: the sum of 2 terms


def test_sharded_ops_and_gradients(spmd):
    assert spmd["op_sharded"] and spmd["grad_ok"]


def test_placement_errors(spmd):
    assert spmd["wrong_len"][0] == "ValueError" and "device_mesh.ndim" in spmd["wrong_len"][1]
    assert spmd["uneven"][0] == "NotImplementedError"


def test_single_controller_ddp_eager_and_compiled_equal_one_device(spmd):
    """DDP(device_mesh=) without a process group: params replicated, batch sharded over 8
    devices; eager and jtorch.compile'd steps equal the unsharded run within rounding."""
    plain = spmd["ddp"]["plain"]
    assert plain[2] == "single"
    for kind in ("ddp_eager", "ddp_compiled"):
        losses, weights, spec = spmd["ddp"][kind]
        assert spec == "P()"  # replicated over the mesh
        np.testing.assert_allclose(losses, plain[0], rtol=1e-5)
        for a, b in zip(weights, plain[1]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_fully_shard_eager_and_compiled_equal_one_device(spmd):
    """fully_shard per layer and at the root (single controller, 8 devices), AdamW."""
    plain = spmd["fsdp"]["plain"]
    for kind in ("fsdp_eager", "fsdp_compiled"):
        losses, weights, spec, is_fsdp, cls = spmd["fsdp"][kind]
        assert spec == "P('dim0',)" and is_fsdp and cls == "FSDPLinear"  # 16 rows over 8 devices
        np.testing.assert_allclose(losses, plain[0], rtol=1e-5)
        for a, b in zip(weights, plain[1]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_tensor_parallel_colwise_rowwise_equal_one_device(spmd):
    plain, tp = spmd["tp"]["plain"], spmd["tp"]["tp"]
    # torch's layouts: Colwise shards weight rows and bias, Rowwise weight columns (bias whole)
    assert tp[2] == ["P('tp',)", "P('tp',)", "P(None, 'tp')", "P()"]
    np.testing.assert_allclose(tp[0], plain[0], rtol=1e-5)
    for a, b in zip(tp[1], plain[1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
