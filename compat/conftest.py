"""The `compat` fixture (see _harness.py) and saving recordings after a JTORCH_RECORD=1 run."""
import pytest

from compat import _harness


@pytest.fixture
def compat(request):
    module = request.node.module.__name__.rsplit(".", 1)[-1]
    return _harness.Compat(module, request.node.name)


def pytest_sessionfinish(session, exitstatus):
    if _harness.RECORD:
        _harness.save_recordings()
