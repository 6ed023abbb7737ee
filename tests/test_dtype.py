"""dtypes, defaults and type promotion. Expected dtypes were checked against torch 2.13
(compat/test_promotion_compat.py compares the full table)."""
import numpy as np
import pytest

import jtorch

# name, is_floating_point, is_complex, is_signed, itemsize (torch 2.13's values)
DTYPES = [("bool", False, False, False, 1), ("uint8", False, False, False, 1),
          ("int8", False, False, True, 1), ("int16", False, False, True, 2),
          ("int32", False, False, True, 4), ("int64", False, False, True, 8),
          ("float16", True, False, True, 2), ("bfloat16", True, False, True, 2),
          ("float32", True, False, True, 4), ("float64", True, False, True, 8),
          ("complex64", False, True, True, 8), ("complex128", False, True, True, 16)]


@pytest.mark.parametrize("name, fp, cx, signed, size", DTYPES)
def test_dtype_attributes_and_printing(name, fp, cx, signed, size):
    d = getattr(jtorch, name)
    assert isinstance(d, jtorch.dtype)
    assert repr(d) == str(d) == f"torch.{name}"
    assert (d.is_floating_point, d.is_complex, d.is_signed, d.itemsize) == (fp, cx, signed, size)
    t = jtorch.zeros(2, dtype=d)
    assert t.dtype is d and t.element_size() == size


@pytest.mark.parametrize("name", [d[0] for d in DTYPES])
def test_every_dtype_round_trips_through_numpy(name):
    d = getattr(jtorch, name)
    t = jtorch.ones(3, dtype=d)
    back = t.float() if name == "bfloat16" else t
    assert np.asarray(back).tolist() == [1, 1, 1]
    assert jtorch.tensor(np.asarray(back)).dtype is (jtorch.float32 if name == "bfloat16" else d)


def test_aliases():
    assert jtorch.float is jtorch.float32 and jtorch.double is jtorch.float64
    assert jtorch.half is jtorch.float16 and jtorch.long is jtorch.int64
    assert jtorch.int is jtorch.int32 and jtorch.short is jtorch.int16
    assert jtorch.cfloat is jtorch.complex64 and jtorch.cdouble is jtorch.complex128


def test_default_dtypes():
    assert jtorch.get_default_dtype() is jtorch.float32
    assert jtorch.tensor(3.5).dtype is jtorch.float32
    assert jtorch.tensor([1, 2.0]).dtype is jtorch.float32
    assert jtorch.tensor(1 + 2j).dtype is jtorch.complex64
    assert jtorch.tensor([True, 1]).dtype is jtorch.int64
    assert jtorch.tensor([1, 2]).dtype is jtorch.int64
    assert jtorch.ones(2).dtype is jtorch.float32 and jtorch.arange(3).dtype is jtorch.int64
    assert jtorch.from_numpy(np.array([1.0])).dtype is jtorch.float64
    assert jtorch.from_numpy(np.array([1], np.int32)).dtype is jtorch.int32


def test_set_default_dtype():
    try:
        jtorch.set_default_dtype(jtorch.float64)
        assert jtorch.get_default_dtype() is jtorch.float64
        assert jtorch.tensor(1.5).dtype is jtorch.float64 and jtorch.ones(1).dtype is jtorch.float64
        assert jtorch.tensor(1j).dtype is jtorch.complex128
        assert (jtorch.tensor([1]) + 2.5).dtype is jtorch.float64
        assert (jtorch.tensor([1]) / 2).dtype is jtorch.float64
    finally:
        jtorch.set_default_dtype(jtorch.float32)
    assert (jtorch.tensor([1]) + 2.5).dtype is jtorch.float32
    with pytest.raises(TypeError, match="floating-point"):
        jtorch.set_default_dtype(jtorch.int32)


@pytest.mark.parametrize("a, b, expected", [
    (("int32", 2), 2.5, "float32"),          # int tensor + Python float -> default float
    (("float16", 2), 2.5, "float16"),        # a Python float does not widen float16
    (("int32", 2), ("int64", 0), "int32"),   # a 0-dim tensor of the same category does not widen
    (("int32", 2), ("float64", 0), "float64"),  # a 0-dim tensor of a higher category wins
    (("uint8", 2), ("int8", 2), "int16"),
    (("bool", 2), True, "bool"),
    (("bool", 2), 1, "int64"),
    (("uint8", 2), 300, "uint8"),
    (("int8", 2), 1.0, "float32"),
    (("float32", 2), 1j, "complex64"),
    (("float64", 2), 1j, "complex128"),
    (("float16", 2), ("bfloat16", 2), "float32"),
    (("int64", 0), 2.5, "float32"),
    (("float32", 2), ("complex128", 0), "complex64"),
    (("float64", 2), ("complex64", 0), "complex128"),
    (("int16", 0), ("int32", 0), "int32"),
])
def test_result_type_and_op_dtype(a, b, expected):
    def make(v):
        if isinstance(v, tuple):
            name, nd = v
            return jtorch.ones((2,) * (nd and 1), dtype=getattr(jtorch, name))
        return v
    x, y = make(a), make(b)
    assert jtorch.result_type(x, y) is getattr(jtorch, expected)
    assert (x + y).dtype is getattr(jtorch, expected)
    if not isinstance(y, (bool, int, float, complex)):
        assert (y + x).dtype is getattr(jtorch, expected)
    else:
        assert (y + x).dtype is getattr(jtorch, expected)


def test_promote_types():
    assert jtorch.promote_types(jtorch.uint8, jtorch.int8) is jtorch.int16
    assert jtorch.promote_types(jtorch.int64, jtorch.float16) is jtorch.float16
    assert jtorch.promote_types(jtorch.bfloat16, jtorch.float16) is jtorch.float32
    assert jtorch.promote_types(jtorch.float64, jtorch.complex64) is jtorch.complex128
    assert jtorch.promote_types(jtorch.bool, jtorch.bool) is jtorch.bool


def test_division_and_integer_results():
    assert (jtorch.tensor([1]) / 2).dtype is jtorch.float32
    assert (jtorch.tensor([1]) // 2).dtype is jtorch.int64
    assert (jtorch.tensor([True]) + 1).dtype is jtorch.int64
    assert (jtorch.tensor([True]) + True).tolist() == [True]
    assert jtorch.tensor([1], dtype=jtorch.int8).sum().dtype is jtorch.int64
    assert jtorch.tensor([True, True]).sum().item() == 2


def test_can_cast():
    assert not jtorch.can_cast(jtorch.float32, jtorch.int32)
    assert jtorch.can_cast(jtorch.int32, jtorch.float16)
    assert not jtorch.can_cast(jtorch.complex64, jtorch.float64)
    assert not jtorch.can_cast(jtorch.int8, jtorch.bool)


def test_64_bit_values_are_not_truncated():
    big = 2 ** 40
    assert jtorch.tensor(big).dtype is jtorch.int64
    assert (jtorch.tensor([big]) * 2).item() == 2 ** 41
    assert jtorch.tensor([2 ** 62]).tolist() == [2 ** 62]
    x = jtorch.tensor([1e300], dtype=jtorch.float64) * 10
    assert x.dtype is jtorch.float64 and x.item() == pytest.approx(1e301)
    assert (jtorch.tensor([1.0], dtype=jtorch.float64) + 1e-12).item() == 1.0 + 1e-12
    assert jtorch.arange(3, dtype=jtorch.int64).sum().item() == 3
