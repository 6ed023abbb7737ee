"""In-place view ops on both libraries: values, strides, storage sharing and gradients."""
import pytest

from compat._harness import randn

X = randn(2, 3)
X3 = randn(2, 1, 3, seed=1)


def _meta(t):
    return [t, list(t.shape), list(t.stride()), t.storage_offset(), t.is_contiguous()]


def _root_chain(lib, x):
    r = x * 1  # a non-leaf root
    early = r[0]
    r.t_()
    r[0, 1] = 10.0
    out = _meta(r) + [early * 1]  # a view taken before t_(): values and gradient as torch
    r.unsqueeze_(0).squeeze_(0).transpose_(0, 1)
    return out + _meta(r)


CASES = {
    "t_root": lambda lib, x: _meta((x * 1).t_()),
    "t_root_chain": _root_chain,
    "transpose_view": lambda lib, x: _meta((x * 1)[:, 1:].transpose_(0, 1)),
    "swapaxes_": lambda lib, x: _meta((x * 1).swapaxes_(1, 0)),
    "squeeze_all": lambda lib, x: _meta((x * 1).squeeze_()),
    "squeeze_dim": lambda lib, x: _meta((x * 1).squeeze_(1)),
    "squeeze_dims": lambda lib, x: _meta((x * 1).squeeze_((0, 1))),
    "unsqueeze_": lambda lib, x: _meta((x * 1).unsqueeze_(-1)),
    "as_strided_root": lambda lib, x: _meta((x * 1).as_strided_((2, 2), (1, 2), 1)),
    "as_strided_view": lambda lib, x: _meta((x * 1)[1].as_strided_((2,), (2,))),
}
INPUT = {"squeeze_all": X3, "squeeze_dim": X3, "squeeze_dims": X3}


@pytest.mark.parametrize("name", sorted(CASES))
def test_inplace_view(compat, name):
    compat.same(CASES[name], INPUT.get(name, X), grad=True, rtol=1e-6, atol=1e-7)
