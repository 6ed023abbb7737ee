"""torch.testing.assert_close: default tolerances per dtype, structure checks, messages."""
import pytest

import jtorch as torch
from jtorch.testing import assert_close


def test_float32_default_tolerances():
    a = torch.tensor([1.0, 2.0, 3.0])
    assert_close(a, a + 5e-6)  # within atol=1e-5
    with pytest.raises(AssertionError, match="Tensor-likes are not close!") as e:
        assert_close(a, torch.tensor([1.0, 2.0, 3.1]))
    assert "Mismatched elements: 1 / 3 (33.3%)" in str(e.value)
    assert_close(a, torch.tensor([1.0, 2.0, 3.1]), rtol=0.1, atol=0.0)


def test_structure_dtype_shape_and_numbers():
    assert_close({"a": [torch.ones(2)], "b": 1.0}, {"a": [torch.ones(2)], "b": 1.0 + 1e-7})
    with pytest.raises(AssertionError, match="'dtype' do not match"):
        assert_close(torch.ones(2), torch.ones(2, dtype=torch.float64))
    assert_close(torch.ones(2), torch.ones(2, dtype=torch.float64), check_dtype=False)
    with pytest.raises(AssertionError, match="'shape' do not match"):
        assert_close(torch.ones(2), torch.ones(3))
    with pytest.raises(AssertionError, match="Tensor-likes are not equal!"):
        assert_close(torch.tensor([1, 2]), torch.tensor([1, 3]))
    with pytest.raises(AssertionError):
        assert_close(torch.tensor([float("nan")]), torch.tensor([float("nan")]))
    assert_close(torch.tensor([float("nan")]), torch.tensor([float("nan")]), equal_nan=True)
    with pytest.raises(ValueError):
        assert_close(1.0, 1.0, rtol=1e-3)
    with pytest.raises(AssertionError, match="custom"):
        assert_close(1, 2, msg="custom")
