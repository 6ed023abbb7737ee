"""Tensor printing on numpy arrays. Matches `torch._tensor_str` text exactly.

Pure numpy, so the Tensor class only has to hand over its values and a few
attributes; `tensor_repr` returns what torch prints for `repr(tensor)`.
"""
import contextlib
import math

import numpy as np

_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}
_opts = dict(_PROFILES["default"], sci_mode=None)

_FLOAT8 = {"float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu"}
_FLOATING = {"float16", "bfloat16", "float32", "float64"} | _FLOAT8


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set the global print options. Matches `torch.set_printoptions`.

    As in torch, an unknown profile is ignored and `sci_mode` is always
    overwritten (omitting it resets it to automatic).
    """
    if profile in _PROFILES:
        _opts.update(_PROFILES[profile])
    given = dict(precision=precision, threshold=threshold, edgeitems=edgeitems, linewidth=linewidth)
    _opts.update({k: v for k, v in given.items() if v is not None})
    _opts["sci_mode"] = sci_mode


def get_printoptions() -> dict:
    """Return a copy of the print options. Matches `torch._tensor_str.get_printoptions`."""
    return dict(_opts)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Set print options inside a `with` block. Matches `torch._tensor_str.printoptions`."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Picks int, fixed or scientific notation and one column width for a set of values."""

    def __init__(self, values: np.ndarray, floating: bool):
        self.floating = floating
        self.int_mode, self.sci_mode, self.width = True, False, 1
        flat = values.ravel()
        if not floating:
            self.width = max([1, *(len(str(v)) for v in flat.tolist())])
            return
        vals = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if vals.size == 0:
            return  # torch ignores a forced sci_mode here too
        p = _opts["precision"]
        lo, hi = np.abs(vals).min(), np.abs(vals).max()
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        if _opts["sci_mode"] is not None:
            self.sci_mode = _opts["sci_mode"]
        else:  # hi / lo may overflow to inf, which still means "wide range"
            with np.errstate(over="ignore"):
                self.sci_mode = bool(hi / lo > 1000.0 or hi > 1.0e8 or (not self.int_mode and lo < 1.0e-4))
        if self.sci_mode:
            lens = [len(f"{v:.{p}e}") for v in vals.tolist()]
        elif self.int_mode:
            lens = [len(f"{v:.0f}") + 1 for v in vals.tolist()]  # + 1 for the trailing "."
        else:
            lens = [len(f"{v:.{p}f}") for v in vals.tolist()]
        self.width = max(self.width, *lens)

    def format(self, v) -> str:
        p = _opts["precision"]
        if not self.floating:
            s = str(v)
        elif self.sci_mode:
            s = f"{v:.{p}e}"
        elif self.int_mode:
            s = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
        else:
            s = f"{v:.{p}f}"
        return s.rjust(self.width)


def _summarized(x: np.ndarray) -> np.ndarray:
    """Flat values that will be shown once `...` hides the middle of each dim."""
    e = _opts["edgeitems"]
    if x.ndim <= 1:
        # x[-0:] is all of x, so edgeitems=0 keeps every value of a vector (as torch does).
        return np.concatenate([x[:e], x[-e:]]) if x.ndim and len(x) > 2 * e else x.ravel()
    if not e:
        return x.ravel()[:0]
    rows = [*range(e), *range(len(x) - e, len(x))] if len(x) > 2 * e else range(len(x))
    return np.concatenate([_summarized(x[i]) for i in rows])


def _element(v, fmts) -> str:
    if len(fmts) == 1:
        return fmts[0].format(v)
    real = fmts[0].format(v.real)
    imag = (fmts[1].format(v.imag) + "j").lstrip()
    return real + imag if imag[0] in "+-" else real + "+" + imag


def _vector(x: np.ndarray, indent: int, summarize: bool, fmts) -> str:
    e = _opts["edgeitems"]
    # Each element takes its width plus ", "; a complex one also its "j".
    elem_len = fmts[0].width + 2 + (fmts[1].width + 1 if len(fmts) == 2 else 0)
    per_line = max(1, math.floor((_opts["linewidth"] - indent) / elem_len))
    if summarize and not e:
        data = ["..."]
    elif summarize and len(x) > 2 * e:
        data = [_element(v, fmts) for v in x[:e].tolist()] + [" ..."]
        data += [_element(v, fmts) for v in x[-e:].tolist()]
    else:
        data = [_element(v, fmts) for v in x.tolist()]
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(x: np.ndarray, indent: int, summarize: bool, fmts) -> str:
    if x.ndim == 0:
        return _element(x.item(), fmts)
    if x.ndim == 1:
        return _vector(x, indent, summarize, fmts)
    e, n = _opts["edgeitems"], len(x)
    if summarize and n > 2 * e:
        rows = [_nested(x[i], indent + 1, summarize, fmts) for i in range(e)] + ["..."]
        rows += [_nested(x[i], indent + 1, summarize, fmts) for i in range(n - e, n)]
    else:
        rows = [_nested(x[i], indent + 1, summarize, fmts) for i in range(n)]
    # Blank lines between blocks grow with the rank, as in numpy.
    return "[" + ("," + "\n" * (x.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _tensor_str(values: np.ndarray, dtype_name: str, indent: int) -> str:
    summarize = values.size > _opts["threshold"]
    if dtype_name in ("float16", "bfloat16") or dtype_name in _FLOAT8:
        values = values.astype(np.float32)
    if dtype_name.startswith("complex"):
        fmts = (
            _Formatter(_summarized(values.real) if summarize else values.real, True),
            _Formatter(_summarized(values.imag) if summarize else values.imag, True),
        )
    else:
        floating = dtype_name in _FLOATING
        fmts = (_Formatter(_summarized(values) if summarize else values, floating),)
    return _nested(values, indent, summarize, fmts)


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append `, name=value` parts, wrapping one onto a new line when it would pass linewidth."""
    parts = [text]
    # torch counts two more than the last line's length; kept so wrapping matches.
    last_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_len + len(suffix) + 2 > _opts["linewidth"]:
            parts.append(",\n" + " " * indent + suffix)
            last_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_len += len(suffix) + 2
    return "".join(parts) + ")"


def tensor_repr(
    values: np.ndarray,
    dtype_name: str,
    *,
    default_float: str = "float32",
    requires_grad: bool = False,
    grad_fn_name: str | None = None,
    device: str | None = None,
    prefix: str = "tensor(",
) -> str:
    """Return what torch prints for `repr(tensor)`. Matches `torch._tensor_str._str`.

    `values` holds the data (bfloat16 as an ml_dtypes array), `dtype_name` is
    the torch dtype without `torch.`, `default_float` the current default
    dtype. `requires_grad` is printed only when no `grad_fn_name` is given;
    `device` None means cpu. Continuation lines are indented by the length of
    the last line of `prefix`.
    """
    values = np.asarray(values)
    indent = len(prefix.rsplit("\n", 1)[-1])
    suffixes = [f"device='{device}'"] if device is not None else []
    if values.size == 0:
        if values.ndim != 1:
            suffixes.append(f"size={tuple(values.shape)}")
        # No values to hint at the dtype, so only the default float one is implied.
        if dtype_name != default_float:
            suffixes.append(f"dtype=torch.{dtype_name}")
        body = "[]"
    else:
        if not _opts["edgeitems"]:
            suffixes.append(f"size={tuple(values.shape)}")
        default_complex = "complex128" if default_float == "float64" else "complex64"
        if dtype_name not in (default_float, default_complex, "int64", "bool"):
            suffixes.append(f"dtype=torch.{dtype_name}")
        body = _tensor_str(values, dtype_name, indent)
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
