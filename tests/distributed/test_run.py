"""The torchrun launcher (`python -m jtorch.distributed.run`) and `torch.multiprocessing.spawn`."""
import json
import os
import subprocess
import sys
import time

import pytest

from _spawn import free_port

import jtorch.multiprocessing as mp

HERE = os.path.dirname(os.path.abspath(__file__))


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is gone for our purpose
        return f.read().split()[2] != "Z"


def test_launcher_env_failure_and_no_orphans(tmp_path):
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "jtorch.distributed.run", "--standalone",
                        "--nproc-per-node", "2", os.path.join(HERE, "_script_launch.py"),
                        str(tmp_path)], capture_output=True, text=True, timeout=200,
                       env=dict(os.environ, JAX_PLATFORMS="cpu"))
    assert p.returncode == 1, p.stderr[-3000:]
    assert time.monotonic() - t0 < 150  # not the 300 s rank 0 sleeps
    ranks = [json.load(open(tmp_path / f"rank{r}.json")) for r in range(2)]
    for r, res in enumerate(ranks):
        env = res["env"]
        assert (env["RANK"], env["LOCAL_RANK"], env["WORLD_SIZE"], env["LOCAL_WORLD_SIZE"]) == \
            (str(r), str(r), "2", "2")
        assert env["MASTER_ADDR"] == "127.0.0.1" and env["TORCHELASTIC_RUN_ID"]
        assert res["x"] == [6.0, 6.0] and res["torch"] == "jtorch" and res["launched"] is True
        assert not _alive(res["pid"])
    assert ranks[0]["env"]["MASTER_PORT"] == ranks[1]["env"]["MASTER_PORT"]
    err = p.stderr
    assert "_script_launch.py FAILED" in err
    assert "rank      : 1" in err and "exitcode  : 1" in err
    assert 'raise ValueError("boom on rank 1")' in err  # the recorded traceback


def test_launcher_flags():
    from jtorch.distributed.run import _parser
    a = _parser().parse_args(["--nproc_per_node=4", "--nnodes", "2", "--node-rank", "1",
                              "--master_addr", "10.0.0.1", "--master-port", "1234", "s.py", "--lr",
                              "1"])
    assert (a.nproc_per_node, a.nnodes, a.node_rank, a.master_addr, a.master_port) == \
        ("4", "2", 1, "10.0.0.1", 1234)
    assert a.training_script == "s.py" and a.training_script_args == ["--lr", "1"]
    from jtorch.distributed.run import run
    with pytest.raises(SystemExit, match="elastic"):
        run(_parser().parse_args(["--nnodes", "1:4", "s.py"]))


def test_spawn_raises_the_failed_rank_and_ends_the_others(tmp_path):
    sys.path.insert(0, HERE)
    try:
        import _worker_spawn
        t0 = time.monotonic()
        with pytest.raises(mp.ProcessRaisedException, match="spawned rank 1 failed") as e:
            mp.spawn(_worker_spawn.allreduce_then_fail, args=(free_port(), str(tmp_path)),
                     nprocs=2)
    finally:
        sys.path.remove(HERE)
    assert e.value.error_index == 1
    assert time.monotonic() - t0 < 150
    for r in range(2):
        pid, x = (tmp_path / f"spawn{r}.txt").read_text().split(" ", 1)
        assert x == "[3.0, 3.0]"
        assert not _alive(int(pid))
