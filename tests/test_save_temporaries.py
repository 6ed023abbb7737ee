"""torch.save's temporaries (issue 14 §5): a save killed mid-write leaves `.name.*.tmp`; the
next save to the same path removes it, but never the temporary of a save still running."""
import fcntl
import os
import time

import jtorch


def _stale(tmp_path, name):
    p = tmp_path / name
    p.write_bytes(b"x" * 1000)
    old = time.time() - 60
    os.utime(p, (old, old))
    return p


def test_next_save_removes_a_killed_saves_temporary(tmp_path):
    target = tmp_path / "ckpt.pt"
    stale = _stale(tmp_path, ".ckpt.pt.abc123.tmp")
    other = _stale(tmp_path, ".other.pt.abc123.tmp")  # another target's: left alone
    jtorch.save({"w": jtorch.ones(3)}, str(target))
    assert not stale.exists() and other.exists()
    assert jtorch.load(str(target))["w"].tolist() == [1.0, 1.0, 1.0]
    assert sorted(os.listdir(tmp_path)) == [".other.pt.abc123.tmp", "ckpt.pt"]


def test_a_running_saves_temporary_is_kept(tmp_path):
    target = tmp_path / "ckpt.pt"
    live = _stale(tmp_path, ".ckpt.pt.live.tmp")
    fd = os.open(live, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as the writer holds it
    try:
        jtorch.save({"w": jtorch.ones(2)}, str(target))
        assert live.exists()
    finally:
        os.close(fd)
    recent = tmp_path / ".ckpt.pt.new.tmp"  # just created, lock not taken yet: kept
    recent.write_bytes(b"")
    jtorch.save({"w": jtorch.ones(2)}, str(target))
    assert recent.exists() and not live.exists()
