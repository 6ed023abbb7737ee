"""Type promotion: every pair of dtypes and scalar kinds vs torch.result_type and the dtype
of `a + b`."""
import jax
import pytest

import jtorch

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
          "float64", "complex64", "complex128"]
SCALARS = {"py_bool": True, "py_int": 3, "py_float": 2.5, "py_complex": 1 + 2j}
# An operand: a dimensioned tensor, a 0-dim tensor, or a Python scalar.
OPERANDS = [f"dim_{d}" for d in DTYPES] + [f"zerodim_{d}" for d in DTYPES] + list(SCALARS)


def make(lib, name):
    if name in SCALARS:
        return SCALARS[name]
    kind, d = name.split("_", 1)
    return lib.ones((2,) if kind == "dim" else (), dtype=getattr(lib, d))


def _try(f):
    try:
        return str(f())
    except Exception as e:  # noqa: BLE001 - the error type is the answer
        return type(e).__name__


def row(lib, left):
    out = {}
    for right in OPERANDS:
        if left in SCALARS and right in SCALARS:
            continue
        a, b = make(lib, left), make(lib, right)
        out[right] = [_try(lambda: lib.result_type(a, b)), _try(lambda: (a + b).dtype)]
    return out


def jtorch_row(left):
    # The same jtorch code traced abstractly: promotion happens at trace time, so the dtypes
    # are those of real calls, without compiling 700 programs.
    res = []
    jax.eval_shape(lambda: res.append(row(jtorch, left)))
    return res[0]


# JAX has no complex32: where torch gives complex32 (float16 with a complex scalar), jtorch
# gives complex64 (pinned by test_complex32_cells).
def _differs(exp, got):
    return {k: (got[k], exp[k]) for k in exp if got[k] != exp[k] and "complex32" not in str(exp[k])}


@pytest.mark.parametrize("left", OPERANDS)
def test_result_type_and_add_dtype(compat, left):
    expected = compat.oracle(lambda lib: row(lib, left))
    got = jtorch_row(left)
    assert sorted(got) == sorted(expected)
    assert _differs(expected, got) == {}, "(jtorch, torch) per right operand"


@pytest.mark.xfail(strict=True, reason="JAX has no complex32 dtype; jtorch promotes float16 with "
                   "a complex scalar/0-dim tensor to complex64 where torch gives complex32")
def test_complex32_cells(compat):
    expected = compat.oracle(lambda lib: row(lib, "dim_float16"))
    got = jtorch_row("dim_float16")
    cells = {k: v for k, v in expected.items() if "complex32" in str(v)}
    assert cells and {k: got[k] for k in cells} == cells


def test_default_dtype_float64_changes_scalar_promotion(compat):
    def fn(lib):
        old = lib.get_default_dtype()
        lib.set_default_dtype(lib.float64)
        try:
            a = lib.ones(2, dtype=lib.int32)
            return [str(lib.result_type(a, 2.5)), str((a + 2.5).dtype), str((a + 1j).dtype),
                    str(lib.tensor([1.5]).dtype), str(lib.get_default_dtype())]
        finally:
            lib.set_default_dtype(old)
    compat.value(fn)


def test_promote_types_table(compat):
    def fn(lib):
        return [[str(lib.promote_types(getattr(lib, a), getattr(lib, b))) for b in DTYPES]
                for a in DTYPES]
    compat.value(fn)
