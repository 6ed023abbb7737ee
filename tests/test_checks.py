"""jtorch/_checks.py: torch's exception types and wording for argument checks."""
import pytest

from jtorch import _checks


def test_wrap_dim():
    assert _checks.wrap_dim(-1, 3) == 2
    assert _checks.wrap_dim(0, 0) == 0 and _checks.wrap_dim(-1, 0) == 0
    with pytest.raises(IndexError, match=r"expected to be in range of \[-2, 1\], but got 2\)"):
        _checks.wrap_dim(2, 2)
    with pytest.raises(IndexError, match="Dimension specified as 0 but tensor has no dimensions"):
        _checks.wrap_dim(0, 0, scalar_ok=False)
    with pytest.raises(TypeError):
        _checks.wrap_dim(True, 2)


def test_wrap_dims_repeated():
    assert _checks.wrap_dims((0, -1), 3) == (0, 2)
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
        _checks.wrap_dims((0, -3), 3)


def test_broadcast_shapes():
    assert _checks.broadcast_shapes((5, 1), (4,), ()) == (5, 4)
    with pytest.raises(RuntimeError, match=r"size of tensor a \(4\) must match the size of tensor "
                                           r"b \(5\) at non-singleton dimension 1"):
        _checks.broadcast_shapes((5, 4), (5,))
