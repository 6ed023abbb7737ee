"""torch.distributed.checkpoint basics in one process (no process group): dcp.save / dcp.load of
a nested state dict, in place, and torch's errors. Resuming DDP training from FQN-keyed model and
optimizer state dicts on two ranks, and loading that checkpoint at world size 1, is
compat/distributed/dcp.py, compared with torch."""
import pytest

import jtorch as torch
import jtorch.distributed.checkpoint as dcp


def test_save_load_nested_in_place(tmp_path):
    sd = {"a": torch.arange(6.0).reshape(2, 3), "n": {"b": torch.tensor([4, 5]), "l": [1.5, "x"]},
          "v": 5}
    dcp.save(sd, checkpoint_id=tmp_path)
    a = torch.zeros(2, 3)
    got = {"a": a, "n": {"b": torch.zeros(2, dtype=torch.int64), "l": [0.0, ""]}, "v": 0}
    dcp.load(got, checkpoint_id=tmp_path)
    assert got["a"] is a and a.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]  # in place
    assert got["n"]["b"].tolist() == [4, 5] and got["n"]["l"] == [1.5, "x"] and got["v"] == 5
    with pytest.raises(dcp.CheckpointException, match="Missing key in checkpoint state_dict: zz."):
        dcp.load({"zz": torch.ones(1)}, checkpoint_id=tmp_path)
    with pytest.raises(dcp.CheckpointException, match=r"Size mismatch between saved "
                       r"torch.Size\(\[2, 3\]\) and current: torch.Size\(\[3, 3\]\) for a"):
        dcp.load({"a": torch.ones(3, 3)}, checkpoint_id=tmp_path)
