"""jtorch.signal.windows: values checked against torch 2.13 (recorded here), argument errors."""
import math

import numpy as np
import pytest

import jtorch
from jtorch.signal import windows as W


def test_values_match_torch():
    # expected values computed with torch.signal.windows
    np.testing.assert_allclose(W.hann(5).numpy(), [0.0, 0.5, 1.0, 0.5, 0.0], atol=1e-7)
    np.testing.assert_allclose(W.bartlett(5).numpy(), [0.0, 0.5, 1.0, 0.5, 0.0], atol=1e-7)
    np.testing.assert_allclose(W.hann(4, sym=False).numpy(), [0.0, 0.5, 1.0, 0.5], atol=1e-7)
    np.testing.assert_allclose(W.kaiser(3, beta=2.0, dtype=jtorch.float64).numpy(),
                               [0.4386762798370488, 1.0, 0.4386762798370488], rtol=1e-12)
    np.testing.assert_allclose(
        W.exponential(3, center=0, sym=False, dtype=jtorch.float64).numpy(),
        [1.0, math.exp(-1), math.exp(-2)], rtol=1e-12)
    np.testing.assert_allclose(W.gaussian(3, dtype=jtorch.float64).numpy(),
                               [0.6065306597126335, 1.0, 0.6065306597126335], rtol=1e-12)
    np.testing.assert_allclose(W.cosine(2).numpy(), [0.70710677, 0.70710677], rtol=1e-6)


def test_dtype_length_and_grad_flag():
    assert W.blackman(0).shape == (0,)
    assert W.nuttall(1).tolist() == [1.0]
    assert W.hamming(4).dtype is jtorch.float32
    w = W.general_cosine(6, a=[0.5, 0.5], dtype=jtorch.float64, requires_grad=True)
    assert w.dtype is jtorch.float64 and w.requires_grad and w.shape == (6,)


@pytest.mark.parametrize("call", [
    lambda: W.hann(-1),
    lambda: W.hann(3, dtype=jtorch.int64),
    lambda: W.hann(3, layout=jtorch.sparse_coo),
    lambda: W.gaussian(3, std=0.0),
    lambda: W.exponential(3, center=1.0),
    lambda: W.kaiser(3, beta=-1.0),
    lambda: W.general_cosine(3, a=[]),
])
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()
