"""interpolate(antialias=True): bilinear and bicubic, float (values, gradients) and uint8 (exact), eager and compiled."""
import numpy as np
import pytest

import jtorch
from compat._harness import randn

CASES = [((37, 45), dict(size=(20, 24)), "bilinear"), ((37, 45), dict(size=(9, 11)), "bilinear"),
         ((16, 16), dict(size=(40, 33)), "bilinear"), ((37, 45), dict(size=(17, 13)), "bicubic"),
         ((20, 30), dict(size=(50, 7)), "bicubic"), ((33, 17), dict(scale_factor=0.37), "bilinear"),
         ((33, 17), dict(scale_factor=0.5), "bicubic"), ((33, 17), dict(scale_factor=2.5), "bilinear"),
         ((10, 12), dict(size=(10, 5)), "bicubic")]


@pytest.mark.parametrize("hw,kw,mode", CASES)
def test_antialias_float_values_and_grads(compat, hw, kw, mode):
    compat.same(lambda lib, x: lib.nn.functional.interpolate(x, mode=mode, antialias=True, **kw),
                randn(2, 3, *hw, dtype="float32"), rtol=1e-5, atol=1e-5,
                grad_fn=False)  # jtorch names the node after its einsum


@pytest.mark.parametrize("hw,kw,mode", CASES)
def test_antialias_uint8_exact(compat, hw, kw, mode):
    img = np.random.default_rng(1).integers(0, 256, (1, 3, *hw), dtype=np.uint8)
    compat.value(lambda lib: lib.nn.functional.interpolate(lib.tensor(img), mode=mode, antialias=True, **kw),
                 rtol=0, atol=0)


def test_antialias_errors(compat):
    compat.value(lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 4, 4), size=(2, 2), mode="nearest",
                                                           antialias=True))


@pytest.mark.parametrize("dtype", ["float32", "uint8"])
def test_antialias_compiled_matches_eager(dtype):
    x = jtorch.tensor(np.random.default_rng(2).integers(0, 256, (1, 3, 21, 17)).astype(dtype))

    def f(x):
        return jtorch.nn.functional.interpolate(x, size=(8, 9), mode="bilinear", antialias=True)
    eager, compiled = f(x), jtorch.compile(f)
    for _ in range(3):
        out = compiled(x)
    assert out.dtype == eager.dtype
    np.testing.assert_allclose(out.numpy(), eager.numpy(), rtol=1e-6, atol=0)
