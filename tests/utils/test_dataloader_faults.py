"""DataLoader worker faults (issue 14 §9): a killed worker is reported within a fraction of a
second; a script that iterates a DataLoader at top level (no `__main__` guard) gets an error
that explains the spawn limit instead of a bare 'exited unexpectedly'."""
import os
import subprocess
import sys
import time

import pytest

from jtorch.utils.data import DataLoader, Dataset


class DiesAtOne(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 1:
            os._exit(9)  # as if killed: nothing raised, nothing sent back
        return i


def test_killed_worker_reported_fast():
    it = iter(DataLoader(DiesAtOne(), batch_size=1, num_workers=1, prefetch_factor=1))
    assert next(it).tolist() == [0]
    t = time.monotonic()
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        next(it)
    assert time.monotonic() - t < 2.0  # was up to 5 s (one liveness check per 5 s)


SCRIPT = """
from jtorch.utils.data import DataLoader
print(list(DataLoader(list(range(4)), batch_size=2, num_workers=1)))
"""


def test_unguarded_script_error_explains(tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text(SCRIPT)
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                       cwd=tmp_path)
    assert r.returncode != 0
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("RuntimeError: DataLoader with num_workers > 0 was started while a "
                           "worker process was importing the main script")
    assert 'if __name__ == "__main__":' in last
