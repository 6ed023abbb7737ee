"""Process-wide state a test may change is put back after it: grad mode, default dtype."""
import pytest

import jtorch


@pytest.fixture(autouse=True)
def _restore_global_state():
    dtype = jtorch.get_default_dtype()
    yield
    jtorch.set_grad_enabled(True)
    if jtorch.get_default_dtype() is not dtype:
        jtorch.set_default_dtype(dtype)
