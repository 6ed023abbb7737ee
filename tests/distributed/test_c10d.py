"""torch.distributed process groups and collectives: two ranks on 127.0.0.1 (tests/distributed/_spawn.py)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from _spawn import free_port, run_ranks

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT_S = 4


def _results(rc_out_err):
    rc, o, e = rc_out_err
    res = {}
    for line in o.splitlines():
        if line.startswith('["'):
            k, v = json.loads(line)
            res[k] = v
    assert "end" in res, e[-3000:]
    return res


@pytest.fixture(scope="module")
def two_ranks():
    return [_results(x) for x in run_ranks(os.path.join(HERE, "_worker_c10d.py"), 2,
                                          args=[TIMEOUT_S], timeout=150)]


def test_group_and_init_errors(two_ranks):
    for r, res in enumerate(two_ranks):
        assert res["rank"] == [r, 2, "gloo", True]
        assert res["before_init"] == ["ValueError", "Default process group has not been "
                                      "initialized, please make sure to call init_process_group."]
        assert res["twice"] == ["ValueError", "trying to initialize the default process group twice!"]


def test_all_reduce_ops_and_dtypes(two_ranks):
    xs = [(np.arange(6) - 2 + 3 * r).reshape(2, 3) for r in range(2)]
    want = {"SUM": xs[0] + xs[1], "PRODUCT": xs[0] * xs[1], "MIN": np.minimum(*xs),
            "MAX": np.maximum(*xs), "AVG": (xs[0] + xs[1]) / 2}
    for res in two_ranks:
        for dt in ("torch.float32", "torch.float64", "torch.int64"):
            for op, w in want.items():
                if op == "AVG" and dt == "torch.int64":
                    continue
                got, gdt = res[f"all_reduce/{op}/{dt}"]
                assert gdt == dt
                np.testing.assert_array_equal(np.array(got), w)


def test_other_collectives(two_ranks):
    r0, r1 = two_ranks
    for r, res in enumerate(two_ranks):
        assert res["broadcast"] == [10.0] * 3
        assert res["reduce"] == ([3.0, 3.0] if r == 1 else [1.0, 1.0])  # only dst changes
        assert res["all_gather"] == [[0, 0], [1, 7]]
        assert res["all_gather_into_tensor"] == [[0, 0], [0, 0], [1, 1], [1, 1]]
        # input k*(r+1) summed over ranks = 3k; rank r keeps chunk r
        assert res["reduce_scatter_tensor"] == [3.0 * (2 * r), 3.0 * (2 * r + 1)]
        # rank r receives chunk r of every rank, in rank order
        assert res["all_to_all_single"] == [2 * r, 2 * r + 1, 100 + 2 * r, 101 + 2 * r]
        assert res["scatter"] == [float(r)] * 2
        assert res["all_gather_object"] == [{"rank": 0, "s": ""}, {"rank": 1, "s": "x"}]
        assert res["broadcast_object_list"] == [{"a": 1}, "b"]
        assert res["async"] == [True, True, [2.0, 2.0]]
        assert res["param"] == [[2.0, 2.0], True]
    assert r0["gather"] == [[0.5], [1.5]] and r1["gather"] is None
    assert r1["recv"] == [0, [5.0, 6.0]]


def test_compiled_multiprocess_ddp_step_runs_compiled(two_ranks):
    for res in two_ranks:
        assert res["compiled_ddp"] == [True, []]  # same weights on both ranks, no eager fallback


def test_all_to_all_uneven_splits(two_ranks):
    # rank i sends i + 1 + j rows to rank j; rank i's rows are 100 i + (0, 1, ...) in pairs
    for r, res in enumerate(two_ranks):
        want = []
        for i in range(2):
            start = sum(i + 1 + j for j in range(r))  # rows rank i sent to ranks before r
            flat = [100.0 * i + k for k in range(2 * start, 2 * (start + i + 1 + r))]
            want += [flat[k:k + 2] for k in range(0, len(flat), 2)]
        assert res["all_to_all_uneven"] == want
        assert res["all_to_all_list"] == [[10 * i + r] * (i + 1 + r) for i in range(2)]
        name, msg = res["all_to_all_mismatch"]
        assert name == "RuntimeError" and "rank 0 sends 2 rows to rank 1" in msg


def test_tensor_parallel_layouts_it_does_not_support_raise(two_ranks):
    # (what it supports is compared with torch in compat/test_distributed_compat.py)
    for res in two_ranks:
        for k, words in (("tp_sequence", "SequenceParallel"), ("tp_uneven", "unevenly"),
                         ("tp_dtensor_out", "use_local_output=False")):
            assert res[k][0] == "NotImplementedError" and words in res[k][1], res[k]


def test_mismatched_calls_raise_on_every_rank(two_ranks):
    for res in two_ranks:
        for k in ("shape_mismatch", "dtype_mismatch"):
            assert res[k][0] == "RuntimeError" and "same shape and dtype" in res[k][1]
        assert res["kind_mismatch"][0] == "RuntimeError"
        assert "same collective" in res["kind_mismatch"][1]


def test_stuck_peer_in_a_compiled_step_times_out(two_ranks):
    # a peer that stops mid-training: the compiled DDP step (one program, its all-reduce inside)
    # raises after the group's timeout, naming the step; then every collective refuses at once
    r0 = two_ranks[0]
    assert r0["timeout"][0] == "RuntimeError"
    assert "compiled DDP step" in r0["timeout"][1] and "timed out" in r0["timeout"][1]
    assert TIMEOUT_S - 0.5 < r0["timeout_s"] < TIMEOUT_S + 10
    assert r0["after_timeout"][0] == "RuntimeError"
    assert "all_reduce" in r0["after_timeout"][1] and "unusable" in r0["after_timeout"][1]
    assert r0["after_timeout_s"] < 1
    # the state the failed step held is lost: the first error, the next compiled call and an
    # eager op on a parameter say so and what to do, instead of JAX's "buffer deleted"
    for k in ("timeout", "step_after_timeout", "op_after_timeout"):
        name, msg = r0[k]
        assert name == "RuntimeError" and "optimizer" in msg and "checkpoint" in msg, (k, msg)
        assert "deleted" not in msg and "donated" not in msg
    assert "lost with it" in r0["timeout"][1]
    assert r0["step_after_timeout"][1].startswith("compiled DDP step over 2 ranks: its parameters")
    assert "timed out" in r0["step_after_timeout"][1]  # names the failure that lost them
    assert r0["op_after_timeout"][1].startswith("linear(): this tensor was lost")


def test_backend_started_before_init_is_a_clear_error():
    code = ("import jtorch as torch, jtorch.distributed as dist\n"
            "torch.ones(1)\n"
            f"dist.init_process_group('gloo', init_method='tcp://127.0.0.1:{free_port()}', "
            "rank=0, world_size=1)\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, JAX_PLATFORMS="cpu"))
    assert p.returncode != 0
    assert "RuntimeError: init_process_group must run before" in p.stderr


def _one_rank(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, JAX_PLATFORMS="cpu"))


def test_port_in_use_is_a_clear_error():
    p = _one_rank(
        "import socket, datetime, jtorch.distributed as dist\n"
        "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)\n"
        "dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{s.getsockname()[1]}', "
        "rank=0, world_size=1, timeout=datetime.timedelta(seconds=5))\n")
    assert p.returncode != 0
    assert "RuntimeError: init_process_group: rank 0 could not listen" in p.stderr


def test_wrong_world_size_ends_within_the_timeout():
    # world_size=2 but only rank 0 starts: JAX's rendezvous gives up after `timeout` and ends
    # the process (its coordination client aborts; it does not raise into Python).
    p = _one_rank(
        "import datetime, jtorch.distributed as dist\n"
        f"dist.init_process_group('gloo', init_method='tcp://127.0.0.1:{free_port()}', "
        "rank=0, world_size=2, timeout=datetime.timedelta(seconds=3))\n"
        "print('INITIALISED')\n")
    assert p.returncode != 0 and "INITIALISED" not in p.stdout
    assert "DEADLINE_EXCEEDED" in p.stderr
