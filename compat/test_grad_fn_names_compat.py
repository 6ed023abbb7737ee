"""grad_fn class names (what `print(y)` and `y.grad_fn` show) vs torch, overloads included."""
import numpy as np
import pytest

X = np.random.RandomState(0).randn(3, 4).astype(np.float32)
Y = np.random.RandomState(1).randn(3, 4).astype(np.float32)

# expression over L (the library), x and y (3x4 float tensors requiring grad)
CASES = {
    "sum": "x.sum()", "sum_dim": "x.sum(0)", "sum_dim_none": "x.sum(dim=None)",
    "sum_dims": "x.sum((0, 1))", "sum_dtype": "x.sum(dtype=L.float64)", "mean": "x.mean()",
    "mean_dim": "x.mean(1)", "mean_keep": "x.mean(-1, keepdim=True)", "prod": "x.prod()",
    "prod_dim": "x.prod(0)", "pow_number": "x ** 2", "pow_tensor": "x.abs() ** y",
    "rpow": "2.0 ** x", "torch_pow_number_base": "L.pow(2, x)", "float_power": "x.float_power(y)",
    "div": "x / y", "div_floor": "x.div(y, rounding_mode='floor')",
    "div_trunc_number": "x.div(2, rounding_mode='trunc')", "clamp_numbers": "x.clamp(-1, 1)",
    "clamp_min_number": "x.clamp(min=-1)", "clamp_tensor": "x.clamp(min=y)",
    "clamp_max_tensor": "x.clamp(max=y)", "clip": "L.clip(x, -1, 1)",
    "squeeze_all": "x.unsqueeze(0).squeeze()", "squeeze_dim": "x.unsqueeze(0).squeeze(0)",
    "squeeze_dims": "x.unsqueeze(0).squeeze((0,))", "squeeze_noop": "x.squeeze(0)",
    "narrow": "x.narrow(0, 0, 1)", "split": "x.split(2)[1]", "split_sizes": "x.split([1, 2])[0]",
    "chunk": "x.chunk(2)[0]", "unbind": "x.unbind()[0]", "iterate": "list(x)[0]",
    "masked_select": "x.masked_select(x > 0)", "norm": "x.norm()", "norm_dim": "x.norm(dim=0)",
    "norm_p1": "x.norm(p=1)", "norm_nuc": "x.norm(p='nuc')", "vector_norm": "L.linalg.vector_norm(x)",
    "tile": "x.tile(2)", "linear_mm": "L.nn.functional.linear(x, y)",
    "linear_addmm": "L.nn.functional.linear(x, y, x[:, 0])",
    "linear_3d": "L.nn.functional.linear(x.unsqueeze(0), y)",
    "H": "x.H", "mH": "x.mH", "T": "x.T", "mT": "x.mT",
    "index_select_first": "x[0, :]", "index_slice_last": "x[0, 1:]", "index_int_last": "x[1:, 0]",
    "index_none_last": "x[0, :, None]", "index_ellipsis": "x[..., 0]", "index_all": "x[:]",
    "index_step": "x[0, ::2]",
    "interp_nearest1d": "L.nn.functional.interpolate(x.unsqueeze(0), scale_factor=2.0)",
    "interp_linear1d": "L.nn.functional.interpolate(x.unsqueeze(0), scale_factor=2.0, mode='linear')",
    "interp_bilinear": "L.nn.functional.interpolate(x[None, None], scale_factor=2.0, mode='bilinear')",
    "interp_bicubic": "L.nn.functional.interpolate(x[None, None], scale_factor=2.0, mode='bicubic')",
    "interp_nearest_exact": "L.nn.functional.interpolate(x[None, None], size=(5, 7), mode='nearest-exact')",
}


def _name(expr):
    def run(lib):
        x = lib.tensor(X, requires_grad=True)
        y = lib.tensor(Y, requires_grad=True)
        out = eval(expr, {"L": lib, "x": x, "y": y})
        return type(out.grad_fn).__name__
    return run


@pytest.mark.parametrize("name", sorted(CASES))
def test_grad_fn_name(compat, name):
    compat.value(_name(CASES[name]))


BROADCAST_ERRORS = {
    "add_1d": lambda lib: lib.ones(3) + lib.ones(4),
    "add_2d": lambda lib: lib.ones(2, 3) + lib.ones(4, 5),
    "mul_grad": lambda lib: lib.ones(2, 1, 3, requires_grad=True) * lib.ones(5, 4),
    "where": lambda lib: lib.where(lib.ones(3) > 0, lib.ones(4), lib.ones(3)),
}


@pytest.mark.parametrize("name", sorted(BROADCAST_ERRORS))
def test_broadcast_error_message(compat, name):
    """Shape mismatches raise torch's RuntimeError with its message (not JAX's TypeError)."""
    def run(lib):
        try:
            BROADCAST_ERRORS[name](lib)
        except Exception as e:  # noqa: BLE001 (the type and text are what is compared)
            return f"{type(e).__name__}: {e}"
        return "no error"
    compat.value(run)


def test_complex_randn_variance(compat):
    """randn with a complex dtype: real and imaginary parts each of variance 1/2, like torch."""
    def run(lib):
        lib.manual_seed(0)
        z = lib.randn(40000, dtype=lib.complex64)
        return [str(z.dtype), round(z.real.var().item(), 1), round(z.imag.var().item(), 1)]
    compat.value(run)


@pytest.mark.parametrize("expr", ["x.tile(2)", "x.tile(2, 2)", "x.tile(dims=(2, 1, 1))"])
def test_tile_call_forms(compat, expr):
    compat.value(lambda lib: tuple(eval(expr, {"L": lib, "x": lib.ones(3, 4)}).shape))


@pytest.mark.parametrize("dim", [0, -1, (0,), 1])
def test_vector_norm_of_0dim(compat, dim):
    compat.value(lambda lib: lib.linalg.vector_norm(lib.tensor(-3.0), dim=dim))


OUT_OVERLAP = {
    "index_select": lambda lib, x: lib.index_select(x, 0, lib.tensor([0, 1]), out=x[:2]),
    "take_disjoint": lambda lib, x: lib.take(x, lib.tensor([0, 1]), out=x[8:]),
    "take_overlap": lambda lib, x: lib.take(x, lib.tensor([0, 9]), out=x[8:]),
    "cat": lambda lib, x: lib.cat([x[:2], x[2:4]], out=x[:4]),
    "masked_select": lambda lib, x: lib.masked_select(x, x > 5, out=x[:4]),
    "gather": lambda lib, x: lib.gather(x, 0, lib.tensor([1, 2]), out=x[5:7]),
    "gather_elsewhere": lambda lib, x: lib.gather(x[:5], 0, lib.tensor([1, 2]), out=x[8:]),
    "expanded_out": lambda lib, x: lib.index_select(x, 0, lib.tensor([1, 2]),
                                                    out=lib.zeros(1).expand(2)),
}


@pytest.mark.parametrize("name", sorted(OUT_OVERLAP))
def test_out_overlapping_an_input(compat, name):
    """out= sharing memory with an input of index_select/take/cat/...: torch's RuntimeError."""
    def run(lib):
        x = lib.arange(10.0)
        try:
            OUT_OVERLAP[name](lib, x)
        except Exception as e:  # noqa: BLE001 (the type is what is compared)
            return type(e).__name__
        return x.tolist()
    compat.value(run)
