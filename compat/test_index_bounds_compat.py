"""Value-dependent bad input raises as in torch (type and message): indices out of range,
integer division by zero, integer ** negative int. Each bad case has one bad value, so the
message names the same value in both libraries (jtorch names the extreme one, torch the first)."""
import pytest


def _x(lib):
    return lib.arange(5.0)


def _x2(lib):
    return lib.arange(6.0).reshape(2, 3)


def _i(lib, *vals):
    return lib.tensor(vals, dtype=lib.int64)


def _F(lib):
    return lib.nn.functional


def _singular(lib):
    return lib.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=lib.float64)


def _set(t, key, value):
    t[key] = value
    return t


BAD = {
    "getitem": lambda lib: _x(lib)[_i(lib, 7)],
    "getitem_negative": lambda lib: _x(lib)[_i(lib, -9)],
    "getitem_int32": lambda lib: _x(lib)[lib.tensor([7], dtype=lib.int32)],
    "getitem_list": lambda lib: _x(lib)[[7]],
    "getitem_2d_second": lambda lib: _x2(lib)[_i(lib, 0), _i(lib, 3)],
    "getitem_2d_slice_first": lambda lib: _x2(lib)[:, _i(lib, 3)],
    "getitem_int_and_tensor": lambda lib: _x2(lib)[5, _i(lib, 0)],
    "getitem_mask_then_tensor": lambda lib: lib.zeros(2, 3, 4)[lib.ones(2, 3, dtype=lib.bool),
                                                             _i(lib, 9)],
    "setitem": lambda lib: _set(_x(lib), _i(lib, 7), 1.0),
    "setitem_negative": lambda lib: _set(_x(lib), _i(lib, -6), 1.0),
    "index_put_": lambda lib: _x(lib).index_put_((_i(lib, 7),), lib.tensor(1.0)),
    "index_put_accumulate": lambda lib: _x(lib).index_put_((_i(lib, 7),), lib.tensor(1.0), True),
    "gather": lambda lib: _x(lib).gather(0, _i(lib, 7)),
    "gather_negative": lambda lib: _x(lib).gather(0, _i(lib, -1)),
    "gather_2d": lambda lib: _x2(lib).gather(1, lib.tensor([[3]])),
    "gather_0dim": lambda lib: lib.zeros(()).gather(0, lib.tensor(1)),
    "scatter_value": lambda lib: _x(lib).scatter(0, _i(lib, 9), 1.0),
    "scatter_negative": lambda lib: _x(lib).scatter(0, _i(lib, -1), 1.0),
    "scatter_src": lambda lib: _x(lib).scatter(0, _i(lib, 9), lib.ones(1)),
    "scatter_reduce_arg": lambda lib: _x(lib).scatter(0, _i(lib, 9), lib.ones(1), reduce="add"),
    "scatter_inplace": lambda lib: _x(lib).scatter_(0, _i(lib, 9), 1.0),
    "scatter_add": lambda lib: _x(lib).scatter_add(0, _i(lib, 9), lib.ones(1)),
    "scatter_reduce": lambda lib: _x(lib).scatter_reduce(0, _i(lib, 9), lib.ones(1), "sum"),
    "scatter_reduce_2d": lambda lib: lib.zeros(2, 3).scatter_reduce(1, lib.tensor([[3]]),
                                                                    lib.ones(1, 1), "amax"),
    "index_select": lambda lib: _x(lib).index_select(0, _i(lib, 7)),
    "index_select_negative": lambda lib: _x(lib).index_select(0, _i(lib, -1)),
    "index_select_0dim": lambda lib: lib.zeros(()).index_select(0, _i(lib, 1)),
    "index_add": lambda lib: _x(lib).index_add(0, _i(lib, 9), lib.ones(1)),
    "index_add_negative": lambda lib: _x(lib).index_add(0, _i(lib, -1), lib.ones(1)),
    "index_add_inplace": lambda lib: _x(lib).index_add_(0, _i(lib, 9), lib.ones(1)),
    "index_copy": lambda lib: _x(lib).index_copy(0, _i(lib, 9), lib.ones(1)),
    "index_copy_negative": lambda lib: _x(lib).index_copy(0, _i(lib, -1), lib.ones(1)),
    "index_fill": lambda lib: _x(lib).index_fill(0, _i(lib, 9), 1.0),
    "index_fill_negative": lambda lib: _x(lib).index_fill(0, _i(lib, -6), 1.0),
    "index_reduce": lambda lib: _x(lib).index_reduce(0, _i(lib, 9), lib.ones(1), "prod"),
    "index_reduce_negative": lambda lib: _x(lib).index_reduce(0, _i(lib, -1), lib.ones(1), "amax"),
    "take": lambda lib: _x(lib).take(_i(lib, 9)),
    "take_negative": lambda lib: _x(lib).take(_i(lib, -6)),
    "take_along_dim_flat": lambda lib: _x(lib).take_along_dim(_i(lib, 9)),
    "take_along_dim_flat_negative": lambda lib: _x(lib).take_along_dim(_i(lib, -1)),
    "put": lambda lib: _x(lib).put(_i(lib, 9), lib.ones(1)),
    "put_negative": lambda lib: _x(lib).put(_i(lib, -6), lib.ones(1)),
    "put_inplace": lambda lib: _x(lib).put_(_i(lib, 9), lib.ones(1)),
    "embedding": lambda lib: _F(lib).embedding(_i(lib, 9), lib.ones(5, 2)),
    "embedding_negative": lambda lib: _F(lib).embedding(_i(lib, -1), lib.ones(5, 2)),
    "embedding_2d": lambda lib: _F(lib).embedding(lib.tensor([[0, 3]]), lib.ones(3, 2)),
    "embedding_module": lambda lib: lib.nn.Embedding(5, 2)(_i(lib, 5)),
    "embedding_bag": lambda lib: _F(lib).embedding_bag(_i(lib, 9), lib.ones(5, 2),
                                                                 _i(lib, 0)),
    "embedding_bag_negative": lambda lib: _F(lib).embedding_bag(
        _i(lib, 1, -1), lib.ones(5, 2), _i(lib, 0)),
    "embedding_bag_offsets_start": lambda lib: _F(lib).embedding_bag(
        _i(lib, 1, 2), lib.ones(5, 2), _i(lib, 1)),
    "embedding_bag_offsets_past_end": lambda lib: _F(lib).embedding_bag(
        _i(lib, 1, 2), lib.ones(5, 2), _i(lib, 0, 5)),
    "nll_loss": lambda lib: _F(lib).nll_loss(lib.ones(2, 3), _i(lib, 0, 5)),
    "nll_loss_negative": lambda lib: _F(lib).nll_loss(lib.ones(2, 3), _i(lib, 0, -1)),
    "cross_entropy": lambda lib: _F(lib).cross_entropy(lib.ones(2, 3), _i(lib, 0, 5)),
    "cross_entropy_smoothing": lambda lib: _F(lib).cross_entropy(
        lib.ones(2, 3), _i(lib, 0, 5), label_smoothing=0.1),
    "cross_entropy_weight": lambda lib: _F(lib).cross_entropy(
        lib.ones(2, 3), _i(lib, 0, 5), weight=lib.ones(3)),
    "cross_entropy_spatial": lambda lib: _F(lib).cross_entropy(
        lib.ones(2, 3, 4), lib.tensor([[0, 1, 2, 5], [0, 0, 0, 0]])),
    "cross_entropy_unbatched": lambda lib: _F(lib).cross_entropy(lib.ones(3), lib.tensor(5)),
    "cross_entropy_module": lambda lib: lib.nn.CrossEntropyLoss()(lib.ones(2, 3), _i(lib, 0, 3)),
    "one_hot": lambda lib: _F(lib).one_hot(_i(lib, 5), 3),
    "one_hot_negative": lambda lib: _F(lib).one_hot(_i(lib, -1), 3),
    "one_hot_auto_negative": lambda lib: _F(lib).one_hot(_i(lib, -1)),
    "multi_margin_loss": lambda lib: _F(lib).multi_margin_loss(lib.ones(2, 3), _i(lib, 0, 5)),
    "multi_margin_loss_0dim": lambda lib: _F(lib).multi_margin_loss(lib.tensor(1.0), lib.tensor(1)),
    "multi_margin_loss_negative": lambda lib: _F(lib).multi_margin_loss(
        lib.ones(2, 3), _i(lib, 0, -1)),
    "multilabel_margin_loss": lambda lib: _F(lib).multilabel_margin_loss(
        lib.ones(2, 3), lib.tensor([[0, 5, -1], [0, 1, -1]])),
    "multilabel_margin_loss_below": lambda lib: _F(lib).multilabel_margin_loss(
        lib.ones(1, 3), lib.tensor([[0, -2, -1]])),
    "max_unpool1d": lambda lib: _F(lib).max_unpool1d(lib.ones(1, 1, 2), lib.tensor([[[0, 9]]]), 2),
    "max_unpool1d_negative": lambda lib: _F(lib).max_unpool1d(
        lib.ones(1, 1, 2), lib.tensor([[[0, -1]]]), 2),
    "max_unpool2d": lambda lib: _F(lib).max_unpool2d(
        lib.ones(1, 1, 2, 2), lib.tensor([[[[0, 1], [2, 16]]]]), 2),
    "repeat_interleave_negative": lambda lib: lib.repeat_interleave(_i(lib, 1, -1)),
    "repeat_interleave_tensor_negative": lambda lib: lib.repeat_interleave(lib.ones(2),
                                                                           _i(lib, 1, -1)),
    "repeat_interleave_0dim_negative": lambda lib: lib.repeat_interleave(lib.ones(2),
                                                                         lib.tensor(-1)),
    "repeat_interleave_int_negative": lambda lib: lib.repeat_interleave(lib.ones(2), -1),
    "searchsorted_sorter": lambda lib: lib.searchsorted(lib.tensor([1.0, 2.0, 3.0]), lib.tensor([2.0]),
                                                        sorter=_i(lib, 0, 1, 5)),
    "select_scatter": lambda lib: lib.zeros(2).select_scatter(lib.tensor(1.0), 0, 5),
    "select_scatter_negative": lambda lib: lib.zeros(2, 3).select_scatter(lib.zeros(2), 1, -4),
    "randint_empty_range": lambda lib: lib.randint(3, 3, (2,)),
    "histc_bins": lambda lib: lib.histc(lib.tensor([1.0]), bins=0),
    "bernoulli_float_p": lambda lib: lib.bernoulli(lib.zeros(2), p=1.5),
    "bernoulli_inplace_float_p": lambda lib: lib.zeros(2).bernoulli_(1.5),
    "multinomial_negative": lambda lib: lib.multinomial(lib.tensor([-1.0, 2.0]), 1),
    "multinomial_nan": lambda lib: lib.multinomial(lib.tensor([float("nan"), 1.0]), 1),
    "multinomial_zero_row": lambda lib: lib.multinomial(lib.tensor([[1.0, 2.0], [0.0, 0.0]]), 1),
    "ctc_input_lengths": lambda lib: _F(lib).ctc_loss(lib.zeros(5, 1, 3), _i(lib, 1, 2), _i(lib, 9),
                                                      _i(lib, 2)),
    "ctc_input_lengths_negative": lambda lib: _F(lib).ctc_loss(lib.zeros(5, 1, 3), _i(lib, 1, 2),
                                                               _i(lib, -1), _i(lib, 2)),
    "cholesky_minor_order": lambda lib: lib.linalg.cholesky(lib.tensor([[1.0, 2.0], [2.0, 1.0]])),
    "matrix_power_negative_singular": lambda lib: lib.linalg.matrix_power(_singular(lib), -1),
    "tensorinv_singular": lambda lib: lib.linalg.tensorinv(_singular(lib), 1),
    "lu_factor_singular": lambda lib: lib.linalg.lu_factor(_singular(lib)),
    "lu_factor_ex_check_errors": lambda lib: lib.linalg.lu_factor_ex(_singular(lib), check_errors=True),
    "bincount_negative": lambda lib: lib.bincount(_i(lib, -1, 2)),
    "floor_divide_int": lambda lib: _i(lib, 1) // 0,
    "floor_divide_tensor": lambda lib: _i(lib, 1, 2) // _i(lib, 1, 0),
    "floor_divide_0dim": lambda lib: _i(lib, 1) // lib.tensor(0),
    "floor_divide_bool": lambda lib: _i(lib, 1) // lib.tensor([False]),
    "floor_divide_uint8": lambda lib: lib.tensor([1], dtype=lib.uint8) // 0,
    "floor_divide_reflected": lambda lib: 1 // _i(lib, 0),
    "floor_divide_inplace": lambda lib: _i(lib, 1).floor_divide_(0),
    "floor_divide_ioperator": lambda lib: _set(_i(lib, 1), slice(None), 0).__ifloordiv__(0),
    "remainder_int": lambda lib: _i(lib, 1) % 0,
    "remainder_tensor": lambda lib: _i(lib, 1) % _i(lib, 0),
    "remainder_reflected": lambda lib: 5 % _i(lib, 0),
    "remainder_inplace": lambda lib: _i(lib, 4).remainder_(_i(lib, 0)),
    "fmod_int": lambda lib: lib.fmod(_i(lib, 1), 0),
    "fmod_tensor": lambda lib: lib.fmod(_i(lib, 1), _i(lib, 0)),
    "div_floor": lambda lib: lib.div(_i(lib, 1), 0, rounding_mode="floor"),
    "div_trunc": lambda lib: lib.div(_i(lib, 1), _i(lib, 0), rounding_mode="trunc"),
    "pow_negative": lambda lib: _i(lib, 2) ** -1,
    "pow_negative_one_base": lambda lib: _i(lib, 1) ** -2,
    "pow_inplace": lambda lib: _i(lib, 2).pow_(-1),
    "pow_uint8": lambda lib: lib.tensor([2], dtype=lib.uint8) ** -1,
    "pow_bool": lambda lib: lib.tensor([True]) ** -1,
}


# In range: the boundaries torch accepts, and the values it returns.
GOOD = {
    "getitem_last": lambda lib: _x(lib)[_i(lib, 4, -5)],
    "setitem_wrap": lambda lib: _set(_x(lib), _i(lib, -1), 9.0),
    "gather_last": lambda lib: _x2(lib).gather(1, lib.tensor([[2], [0]])),
    "scatter_last": lambda lib: _x(lib).scatter(0, _i(lib, 4), 9.0),
    "index_select_empty": lambda lib: _x(lib).index_select(0, lib.tensor([], dtype=lib.int64)),
    "index_fill_wrap": lambda lib: _x(lib).index_fill(0, _i(lib, -1), 9.0),
    "take_wrap": lambda lib: _x(lib).take(_i(lib, -1, 4)),
    "put_wrap": lambda lib: _x(lib).put(_i(lib, -1), lib.ones(1)),
    "embedding_bag_last_offset": lambda lib: _F(lib).embedding_bag(
        _i(lib, 1, 2), lib.ones(5, 2), _i(lib, 0, 2), include_last_offset=True),
    "max_unpool_last": lambda lib: (
        _F(lib).max_unpool1d(lib.ones(1, 1, 2), lib.tensor([[[0, 3]]]), 2)),
    "repeat_interleave_zero": lambda lib: lib.repeat_interleave(lib.ones(2), _i(lib, 0, 2)),
    "bernoulli_tensor_p_certain": lambda lib: lib.bernoulli(lib.zeros(2), p=lib.tensor(1.0)),
    "histc_empty": lambda lib: lib.histc(lib.tensor([]), bins=4),
    "matrix_power_negative": lambda lib: lib.linalg.matrix_power(
        lib.tensor([[2.0, 0.0], [1.0, 1.0]], dtype=lib.float64), -2),
    "cholesky_ex_info": lambda lib: lib.linalg.cholesky_ex(lib.tensor(
        [[[4.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]], [[1.0, 0.0, 0.0], [0.0, 2.0, 0.0],
                                                             [0.0, 0.0, -1.0]]])).info,
    "lu_factor_ex_singular_info": lambda lib: lib.linalg.lu_factor_ex(_singular(lib)).info,
    "bernoulli_certain": lambda lib: lib.bernoulli(lib.tensor([0.0, 1.0])),
    "multinomial_certain": lambda lib: lib.multinomial(lib.tensor([[0.0, 1.0], [2.0, 0.0]]), 1),
    "embedding_padding": lambda lib: _F(lib).embedding(_i(lib, 2), lib.ones(3, 2),
                                                                 padding_idx=2),
    "nll_loss_ignored": lambda lib: _F(lib).nll_loss(lib.ones(2, 3), _i(lib, 0, -100)),
    "nll_loss_ignore_index": lambda lib: _F(lib).nll_loss(lib.ones(2, 3), _i(lib, 0, 5),
                                                                    ignore_index=5),
    "cross_entropy_probabilities": lambda lib: _F(lib).cross_entropy(
        lib.ones(2, 3), lib.full((2, 3), 1 / 3)),
    "one_hot_last": lambda lib: _F(lib).one_hot(_i(lib, 2), 3),
    "multi_margin_loss_0dim_ok": lambda lib: (
        _F(lib).multi_margin_loss(lib.tensor(1.0), lib.tensor(0))),
    "multilabel_margin_stop": lambda lib: _F(lib).multilabel_margin_loss(
        lib.ones(1, 3), lib.tensor([[2, -1, 0]])),
    "float_divide_by_zero": lambda lib: _i(lib, 1) / 0,
    "float_remainder_by_zero": lambda lib: lib.remainder(_i(lib, 1), 0.0),
    "float_floor_divide_by_zero": lambda lib: lib.ones(1) // 0,
    "pow_float_exponent": lambda lib: _i(lib, 2) ** -1.0,
    "pow_float_base": lambda lib: lib.tensor([2.0]) ** -1,
    "float_div_floor_by_zero": lambda lib: lib.div(lib.tensor([1.0, -1.0, 0.0]), 0.0,
                                                   rounding_mode="floor"),
    "pow_int_tensor_negative": lambda lib: (lib.tensor([-2, -1, 0, 1, 2])
                                            ** _i(lib, -3, -2, -1, -1, -2)),
    "pow_int_tensor_odd_even": lambda lib: lib.tensor([-1, -1, 2]) ** _i(lib, -1, -2, 3),
    "pow_number_base_negative": lambda lib: lib.pow(-1, _i(lib, -1, -2)),
    "pow_bool_tensor_negative": lambda lib: lib.tensor([True, False]) ** lib.tensor(-1),
}


# torch's message here ends in an advert for better messages: the type and start are compared.
BAD_TYPE_ONLY = {
    "bernoulli_tensor_p": lambda lib: lib.bernoulli(lib.tensor([-0.5])),
    "bernoulli_inplace_0dim_p": lambda lib: lib.zeros(2).bernoulli_(lib.tensor(1.5)),
    "bernoulli_inplace_tensor_p": lambda lib: lib.zeros(2).bernoulli_(lib.tensor([0.5, 2.0])),
}


def _error(fn):
    def run(lib):
        try:
            fn(lib)
        except Exception as e:  # the type and first line of the message are compared
            return f"{type(e).__name__}: {str(e).splitlines()[0]}"
        return "no error"
    return run


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_raises(compat, name):
    compat.value(_error(BAD[name]))


@pytest.mark.parametrize("name", sorted(BAD_TYPE_ONLY))
def test_bad_input_raises_type(compat, name):
    compat.value(lambda lib: _error(BAD_TYPE_ONLY[name])(lib)[:60])


@pytest.mark.parametrize("name", sorted(GOOD))
def test_in_range(compat, name):
    compat.value(GOOD[name])
