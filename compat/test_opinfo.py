"""PyTorch's OpInfo database as the judge, a fast subset: the full run is
`python -m compat.opinfo_report` (summary in compat/opinfo_summary.md).

Each test runs one op_db entry on its first few samples per dtype: values, dtypes, shapes,
method/in-place/operator variants, gradients and error types must match torch's.
"""
import pytest

pytest.importorskip("torch")
pytest.importorskip("torch.testing._internal.common_methods_invocations")

import torch  # noqa: E402

import jtorch  # noqa: E402

from compat import _opinfo as O  # noqa: E402
from compat.opinfo_xfail import XFAIL  # noqa: E402

# A fixed sample of commonly used entries across the op families jtorch ships; the report
# command runs every entry.
SUBSET = ["add", "mul", "div.no_rounding_mode", "sum", "mean", "prod", "var", "argmax", "argmin",
          "cumsum", "cumprod", "logsumexp", "softmax", "where", "clamp", "exp", "log", "sqrt", "abs",
          "median", "mode", "searchsorted", "stack", "take_along_dim", "flip", "matmul", "bmm", "diff",
          "kron", "cross", "rot90", "cummax", "quantile", "block_diag", "tensordot", "tile", "cdist",
          "histc", "bincount", "repeat_interleave", "unique", "unique_consecutive", "nonzero",
          "linalg.inv", "linalg.det", "linalg.cholesky", "linalg.svd", "linalg.qr", "linalg.solve",
          "linalg.vector_norm", "fft.fft", "special.ndtr", "special.erfcx",
          # method-only entries, undefined values, random draws, F.x(..., inplace=True) variants
          "mT", "__rsub__", "__getitem__", "view", "new_zeros", "to", "unfold", "empty", "new_empty",
          "normal", "randn_like", "cauchy", "geometric", "log_normal", "nn.functional.dropout", "nn.functional.elu", "nn.functional.hardsigmoid"]
# Entries that still fail (mostly error types of core ops) are listed in compat/opinfo_summary.md.
_BY_NAME = {O.entry_name(op): op for op in O.entries()}


@pytest.mark.parametrize("name", SUBSET)
def test_opinfo_entry(name):
    r = O.run_entry(_BY_NAME[name], max_samples=1, dtypes=(torch.float32, torch.int64))
    if name in XFAIL and (r.failed or r.errors_failed):  # reasons at other dtypes keep these checked
        pytest.xfail(XFAIL[name])
    assert r.shipped, f"jtorch does not ship {name}"
    assert r.failed == 0 and r.errors_failed == 0, "; ".join(r.reasons)


# The other dtypes each entry lists (the report judges all twelve): half precision's fused
# rounding, complex and int32 inputs, on entries fixed for them.
LOW_SUBSET = ["cumsum", "addcmul", "linalg.ldl_factor_ex", "fft.fft"]


@pytest.mark.parametrize("name", LOW_SUBSET)
def test_opinfo_entry_other_dtypes(name):
    r = O.run_entry(_BY_NAME[name], max_samples=1, errors=False,
                    dtypes=(torch.bfloat16, torch.complex64, torch.int32))
    assert r.passed > 0 and r.failed == 0, "; ".join(r.reasons)


def test_judge_tolerance_follows_the_entrys_overrides():
    # torch.testing's defaults per dtype, loosened by an OpInfo's toleranceOverride for a test
    # the judge emulates (addbmm: bfloat16 rtol 0.6/atol 0.2; acos: float16 precision 1e-2)
    assert O.tolerance(O.TOL, (0.0, 0.0), torch.bfloat16) == (1.6e-2, 1e-5)
    assert O.tolerance(O.TOL, (0.0, 0.0), torch.float64) == (1e-7, 1e-7)
    assert O.overrides(_BY_NAME["addbmm"], torch.bfloat16, O.FWD_TESTS) == (0.6, 0.2)
    assert O.tolerance(O.TOL, O.overrides(_BY_NAME["acos"], torch.float16, O.FWD_TESTS),
                       torch.float16) == (1e-3, 1e-2)
    assert O.overrides(_BY_NAME["add"], torch.float16, O.FWD_TESTS) == (0.0, 0.0)


def test_judge_resolves_methods_and_keeps_private_ops_unshipped():
    by = _BY_NAME
    assert O.resolve_entry(by["mT"]) is not None  # `lambda x: x.mT` re-bound to jtorch
    assert O.resolve_entry(by["__radd__"]) is not None  # Tensor.__radd__
    assert O.resolve_entry(by["_softmax_backward_data"]) is None
    assert O.resolve_entry(by["torch.ops.aten._safe_softmax.default"]) is None
    # an OpInfo in-place variant F.elu(x, inplace=True) maps to jtorch.nn.functional.elu
    import jtorch
    f = O.rebind(by["nn.functional.elu"].inplace_variant)
    x = jtorch.tensor([-1.0, 2.0])
    assert f(x) is x and x[1].item() == 2.0


def test_judge_float64_rule_accepts_only_results_no_farther_than_torchs():
    # torch's test_python_ref rule: summed |error| against the float64 computation, NaN = NaN
    p = torch.tensor([1.0, 2.0, float("nan")], dtype=torch.float64)
    t = torch.tensor([1.5, 2.0, float("nan")])
    assert O._precise_ok([(t, jtorch.tensor([1.25, 2.0, float("nan")]), p)])
    assert O._precise_ok([(t, jtorch.tensor([0.5, 2.0, float("nan")]), p)])  # a tie passes
    assert not O._precise_ok([(t, jtorch.tensor([1.0, 2.75, float("nan")]), p)])
    assert not O._precise_ok([(t, jtorch.tensor([1.0, 2.0, 0.0]), p)])


def test_judge_counts_a_less_rounded_half_gradient_apart():
    # sinc's bfloat16 gradient: torch's formula rounds each step to bfloat16, jtorch rounds once
    # (atanh, the earlier example, now rounds as torch does); jtorch's is closer to float64, so
    # the sample is counted by the rule, not passed
    r = O.run_entry(_BY_NAME["sinc"], max_samples=1, errors=False, dtypes=(torch.bfloat16,))
    assert r.failed == 1 and r.precise == {"bfloat16": 1}, r.reasons
