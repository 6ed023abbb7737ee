"""Views, in-place ops and aliasing (issue 3), each case run on torch and jtorch."""
from __future__ import annotations

import pytest

from compat._harness import randn


def _fresh(lib, x):
    return x.detach().clone()


# Each case mutates a fresh base through views and returns what the base and views hold.
MUTATIONS = {
    "view_flat_setitem": lambda lib, b: (b.view(-1).__setitem__(0, 5.0), b)[1],
    "t_add_": lambda lib, b: (b.t().add_(1), b)[1],
    "slice_step_mul_": lambda lib, b: (b[:, ::2].mul_(3), b)[1],
    "row_fill_": lambda lib, b: (b[1].fill_(7), b)[1],
    "column_setitem": lambda lib, b: (b.__setitem__((slice(None), 3), lib.tensor([1., 2., 3.], dtype=b.dtype)), b)[1],
    "chain_t_slice_reshape": lambda lib, b: (b.t()[1:].reshape(-1).__setitem__(2, 7.0), b)[1],
    "chain_transpose_slice_view": lambda lib, b: (b.t()[1:].t().contiguous().view(-1), b)[1],
    "narrow_zero_": lambda lib, b: (b.narrow(1, 1, 2).zero_(), b)[1],
    "select_copy_": lambda lib, b: (b.select(0, 2).copy_(lib.ones(4, dtype=b.dtype)), b)[1],
    "unbind_sub_": lambda lib, b: (b.unbind(1)[2].sub_(4), b)[1],
    "split_clamp_": lambda lib, b: (b.split(2, dim=1)[1].clamp_(min=0.0), b)[1],
    "chunk_neg_": lambda lib, b: (b.chunk(3, dim=0)[0].neg_(), b)[1],
    "diagonal_fill_": lambda lib, b: (b.diagonal().fill_(-1), b)[1],
    "diagonal_offset_add_": lambda lib, b: (b.diagonal(1).add_(10), b)[1],
    "unsqueeze_squeeze_mul_": lambda lib, b: (b.unsqueeze(0).squeeze(0).mul_(2), b)[1],
    "permute_exp_": lambda lib, b: (b.unsqueeze(2).permute(2, 1, 0).exp_(), b)[1],
    "movedim_abs_": lambda lib, b: (b.movedim(0, 1).abs_(), b)[1],
    "data_add_": lambda lib, b: (b.data.add_(b.data, alpha=-0.5), b)[1],
    "detach_zero_": lambda lib, b: (b.detach().zero_(), b)[1],
    "ellipsis_none_setitem": lambda lib, b: (b[..., None].__setitem__((0, 0, 0), 9.0), b)[1],
    "unfold_mul_": lambda lib, b: (b.unfold(1, 2, 2).mul_(0.5), b)[1],
    "as_strided_add_": lambda lib, b: (b.as_strided((2, 2), (4, 1), 1).add_(100), b)[1],
    "mask_setitem": lambda lib, b: (b.__setitem__(b < 0, 0.0), b)[1],
    "index_setitem": lambda lib, b: (b.__setitem__(lib.tensor([0, 2]), 1.5), b)[1],
    "index_put_accumulate": lambda lib, b: (b.index_put_((lib.tensor([0, 0, 1]),), lib.tensor(1.0, dtype=b.dtype), accumulate=True), b)[1],
    "iadd_through_view": lambda lib, b: (b[1:].__iadd__(1.0), b)[1],
    "view_sees_base_write": lambda lib, b: (lambda v: (b.mul_(2), v)[1])(b[0]),
    "sibling_views": lambda lib, b: (lambda v1, v2: (v1.add_(1), v2)[1])(b[:, 1], b.t()[1]),
    "masked_fill_view": lambda lib, b: (b[:2].masked_fill_(b[:2] > 0, -3.0), b)[1],
    "scatter_add_": lambda lib, b: (b.scatter_add_(1, lib.tensor([[0, 1], [1, 2], [3, 3]]), lib.ones(3, 2, dtype=b.dtype)), b)[1],
    "index_add_": lambda lib, b: (b.index_add_(0, lib.tensor([0, 2]), lib.ones(2, 4, dtype=b.dtype)), b)[1],
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_write_through_view(compat, name):
    fn = MUTATIONS[name]
    compat.same(lambda lib, x: fn(lib, _fresh(lib, x)), randn(3, 4), grad=False)


VERSION_CASES = {
    "add_": lambda lib, b: b.add_(1),
    "view_setitem": lambda lib, b: b.view(-1).__setitem__(0, 1.0),
    "zero_view": lambda lib, b: b[0].zero_(),
    "copy_": lambda lib, b: b.copy_(lib.zeros(3, 4, dtype=b.dtype)),
    "uniform_": lambda lib, b: b.uniform_(),
    "two_writes": lambda lib, b: (b.mul_(2), b.t().sub_(1)),
}


@pytest.mark.parametrize("name", sorted(VERSION_CASES))
def test_version_counter(compat, name):
    def f(lib, x):
        b = _fresh(lib, x)
        v = b.view(-1)
        before = (b._version, v._version)
        VERSION_CASES[name](lib, b)
        return [before[0], before[1], b._version, v._version]
    compat.value(lambda lib: f(lib, lib.tensor(randn(3, 4))))


STRIDES = {
    "t": lambda b: b.t(),
    "slice": lambda b: b[1:, ::2],
    "select": lambda b: b[1],
    "unsqueeze": lambda b: b.unsqueeze(1),
    "expand": lambda b: b[:, :1].expand(3, 5),
    "diagonal": lambda b: b.diagonal(),
    "unfold": lambda b: b.unfold(1, 2, 1),
    "permute3": lambda b: b.reshape(3, 2, 2).permute(2, 0, 1),
    "flatten_contig": lambda b: b.flatten(),
    "narrow": lambda b: b.narrow(1, 1, 2),
    "as_strided": lambda b: b.as_strided((2, 3), (1, 2), 1),
    "squeeze": lambda b: b[:1].squeeze(0),
}


@pytest.mark.parametrize("name", sorted(STRIDES))
def test_strides_and_contiguity(compat, name):
    def f(lib):
        b = lib.arange(12.0).reshape(3, 4)
        v = STRIDES[name](b)
        return [list(v.shape), list(v.stride()), v.storage_offset(), v.is_contiguous(),
                v._base is b, v.data_ptr() - b.data_ptr()]
    compat.value(f)


ERRORS = {
    "write_expanded": lambda lib: lib.zeros(3, 1).expand(3, 4).add_(1),
    "view_noncontig": lambda lib: lib.zeros(3, 4).t().view(-1),
    "leaf_inplace": lambda lib: lib.zeros(3, requires_grad=True).add_(1),
    "leaf_view_inplace": lambda lib: lib.zeros(3, requires_grad=True)[0].add_(1),
    "int_result_cast": lambda lib: lib.zeros(3, dtype=lib.int64).add_(1.5),
    "broadcast_inplace": lambda lib: lib.zeros(3).add_(lib.ones(2, 3)),
    "nograd_view_inplace": lambda lib: _nograd_view(lib),
    "saved_modified": lambda lib: _saved_modified(lib),
    "negative_step": lambda lib: lib.zeros(4)[::-1],
}


def _nograd_view(lib):
    a = lib.ones(3, requires_grad=True).clone()
    with lib.no_grad():
        v = a[:2]
    v.mul_(lib.ones(2, requires_grad=True))


def _saved_modified(lib):
    a = lib.ones(3, requires_grad=True)
    y = a.exp()
    y.add_(1)
    y.sum().backward()


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors(compat, name):
    compat.value(lambda lib: ERRORS[name](lib))


# Autograd through in-place ops and views.
AUTOGRAD = {
    "issue_example": lambda lib, a, b: (lambda y: (y.add_(1), y[0].mul_(2), y)[2])(a * b),
    "inplace_on_view_of_nonleaf": lambda lib, a, b: (lambda y: (y[:, 1].mul_(b[:, 0]), y)[1])(a * 2),
    "setitem_tensor_value": lambda lib, a, b: (lambda y: (y.__setitem__(0, b[1]), y)[1])(a.clone()),
    "copy_into_slice": lambda lib, a, b: (lambda y: (y[1:].copy_(b[:2].exp()), y)[1])(a + 0),
    "chain_view_write": lambda lib, a, b: (lambda y: (y.t()[1].mul_(3), y.sin())[1])(a * b),
    "base_after_view_write_view_grad": lambda lib, a, b: (lambda y: (lambda v: (y.mul_(2), v * b[0])[1])(y[0]))(a + b),
    "masked_fill_": lambda lib, a, b: (lambda y: (y.masked_fill_(a > 0, 0.0), y * b)[1])(a * 1),
    "index_put_grad": lambda lib, a, b: (lambda y: (y.index_put_((lib.tensor([0, 2]),), b[:2]), y)[1])(a * 1),
    "relu_inplace_chain": lambda lib, a, b: (a * b).relu_().mul_(3),
    "sigmoid_tanh_inplace": lambda lib, a, b: (a + b).sigmoid_().tanh_(),
}


@pytest.mark.parametrize("name", sorted(AUTOGRAD))
def test_autograd_through_inplace(compat, name):
    compat.same(AUTOGRAD[name], randn(3, 3, seed=1), randn(3, 3, seed=2))


def test_out_argument(compat):
    def f(lib, x):
        out = lib.zeros(3, 4, dtype=x.dtype)
        lib.add(x.detach(), 1, out=out)
        return out
    compat.same(f, randn(3, 4), grad=False)
