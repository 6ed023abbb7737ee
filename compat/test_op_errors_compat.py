"""Invalid arguments raise the same exception type in jtorch as in torch (OpInfo `error_inputs`)."""
import pytest

torch = pytest.importorskip("torch")
import jtorch  # noqa: E402


def _f(lib, *shape, dtype="float32"):
    return lib.zeros(shape, dtype=getattr(lib, dtype)) + 0.5


def _i(lib, *vals):
    return lib.tensor(vals, dtype=lib.int64)


CASES = {
    # dims out of range / repeated / identical
    "amax_repeated_dim": lambda lib: lib.amax(_f(lib, 2, 3), dim=(0, -2)),
    "amax_empty_no_dim": lambda lib: lib.amax(_f(lib, 2, 0)),
    "amin_empty_dim": lambda lib: lib.amin(_f(lib, 2, 0), dim=1),
    "aminmax_empty_dim": lambda lib: lib.aminmax(_f(lib, 2, 0), dim=1),
    "logcumsumexp_dim": lambda lib: lib.logcumsumexp(_f(lib, 2, 3), 2),
    "roll_dim": lambda lib: lib.roll(_f(lib, 3), 1, 1),
    "roll_0dim": lambda lib: lib.roll(_f(lib), 1, 0),
    "roll_misaligned": lambda lib: lib.roll(_f(lib, 3, 3), (1, 2), 0),
    "roll_no_shifts": lambda lib: lib.roll(_f(lib, 3), ()),
    "diagonal_same_dims": lambda lib: lib.diagonal(_f(lib, 2, 3), dim1=1, dim2=1),
    "movedim_lengths": lambda lib: lib.movedim(_f(lib, 2, 3, 4), (0, 1), (2,)),
    "movedim_repeated": lambda lib: lib.movedim(_f(lib, 2, 3, 4), (0, -3), (1, 2)),
    "linalg_cross_dim": lambda lib: lib.linalg.cross(_f(lib, 2, 3), _f(lib, 2, 3), dim=2),
    "linalg_cross_len": lambda lib: lib.linalg.cross(_f(lib, 2, 2), _f(lib, 2, 2)),
    "max_binary_dim": lambda lib: lib.max(_i(lib, 1, 2, 3), 2),
    "max_number_input": lambda lib: lib.max(2, _i(lib, 1, 2)),
    "rot90_same_dims": lambda lib: lib.rot90(_f(lib, 2, 2), 1, (1, 1)),
    # joins
    "cat_empty": lambda lib: lib.cat([]),
    "cat_ndim": lambda lib: lib.cat([_f(lib, 2, 2), _f(lib, 2, 2, 2)]),
    "cat_sizes": lambda lib: lib.cat([_f(lib, 2, 2), _f(lib, 2, 3)]),
    "cat_zero_dim": lambda lib: lib.cat([_f(lib), _f(lib)]),
    "cat_none": lambda lib: lib.cat([_f(lib, 2), None]),
    "cat_tensor": lambda lib: lib.cat(_f(lib, 2, 3)),
    "hstack_empty": lambda lib: lib.hstack([]),
    "vstack_ndim": lambda lib: lib.vstack([_f(lib, 3), _f(lib, 3, 3, 3)]),
    "dstack_empty": lambda lib: lib.dstack(()),
    # shapes and ranks
    "tril_1d": lambda lib: lib.tril(_f(lib, 3)),
    "triu_1d": lambda lib: lib.triu(_f(lib, 3)),
    "renorm_0d": lambda lib: lib.renorm(_f(lib), 2, 0, 1.0),
    "narrow_0d": lambda lib: lib.narrow(_f(lib), 0, 0, 1),
    "narrow_start": lambda lib: lib.narrow(_f(lib, 4, 3), 0, 5, 0),
    "narrow_bool_start": lambda lib: lib.narrow(_f(lib, 4, 3), 0, lib.tensor(True), 1),
    "gather_ndim": lambda lib: lib.gather(_f(lib, 2, 2), 1, _i(lib, 0, 1)),
    "gather_size": lambda lib: lib.gather(_f(lib, 1, 1), 1, lib.zeros((2, 2), dtype=lib.int64)),
    "scatter_dtype": lambda lib: lib.scatter(_f(lib, 3, 2, dtype="float64"), 0,
                                             lib.zeros((1, 2), dtype=lib.int64), _f(lib, 1, 2)),
    "scatter_add_ndim": lambda lib: lib.scatter_add(_f(lib, 3, 2, 2), 0,
                                                    lib.zeros((1, 2), dtype=lib.int64), _f(lib, 1, 2)),
    "index_add_shape": lambda lib: lib.index_add(_f(lib, 3, 2), 0, _i(lib, 0, 1), _f(lib, 2)),
    "masked_fill_value_dim": lambda lib: lib.masked_fill(_f(lib, 2, 2), lib.tensor(True), _f(lib, 1)),
    "masked_fill_complex": lambda lib: lib.masked_fill(_f(lib, 2, 2), lib.tensor(True), 1j),
    "bucketize_2d": lambda lib: lib.bucketize(_f(lib, 3), _f(lib, 2, 2)),
    "vdot_dtype": lambda lib: lib.vdot(_f(lib, 3), _f(lib, 3, dtype="float64")),
    "vdot_size": lambda lib: lib.vdot(_f(lib, 3), _f(lib, 2)),
    "dot_size": lambda lib: lib.dot(_f(lib, 3), _f(lib, 2)),
    "lstsq_0d": lambda lib: lib.linalg.lstsq(_f(lib), _f(lib)),
    "kthvalue_k": lambda lib: lib.kthvalue(_f(lib, 2, 2), 3),
    "polar_number": lambda lib: lib.polar(_f(lib, 3), 2),
    "isclose_rtol": lambda lib: lib.isclose(_f(lib, 2), _f(lib, 2), rtol=-1.0),
    "hsplit_zero": lambda lib: lib.hsplit(_f(lib, 2, 4), 0),
    "mean_int_dtype": lambda lib: lib.mean(_f(lib, 2, 3), dtype=lib.int64),
    "cov_fweights_dtype": lambda lib: lib.cov(_f(lib, 5), fweights=_f(lib, 5)),
    # matrix products
    "mm_shapes": lambda lib: lib.mm(_f(lib, 3, 4), _f(lib, 3, 4)),
    "mv_shapes": lambda lib: lib.mv(_f(lib, 3, 4), _f(lib, 3)),
    "bmm_shapes": lambda lib: lib.bmm(_f(lib, 2, 3, 4), _f(lib, 2, 3, 5)),
    "matmul_batch": lambda lib: lib.matmul(_f(lib, 2, 3, 4), _f(lib, 3, 4, 5)),
    "addmm_shapes": lambda lib: lib.addmm(_f(lib, 3, 5), _f(lib, 3, 4), _f(lib, 3, 5)),
    "baddbmm_shapes": lambda lib: lib.baddbmm(_f(lib, 2, 3, 5), _f(lib, 2, 3, 4), _f(lib, 2, 3, 5)),
    "addbmm_shapes": lambda lib: lib.addbmm(_f(lib, 3, 5), _f(lib, 2, 3, 4), _f(lib, 2, 3, 5)),
    "linear_shapes": lambda lib: lib.nn.functional.linear(_f(lib, 2, 4), _f(lib, 3, 5)),
    "linear_bias": lambda lib: lib.nn.functional.linear(_f(lib, 2, 4), _f(lib, 3, 4), _f(lib, 5)),
    "bilinear_shapes": lambda lib: lib.nn.functional.bilinear(_f(lib, 2, 3), _f(lib, 2, 4),
                                                              _f(lib, 5, 3, 3)),
    "outer_2d": lambda lib: lib.outer(_f(lib, 2, 2), _f(lib, 3)),
    "inner_shapes": lambda lib: lib.inner(_f(lib, 2, 4), _f(lib, 2, 3)),
    "tensordot_shapes": lambda lib: lib.tensordot(_f(lib, 2, 3), _f(lib, 4, 5), 1),
    "multi_dot_shapes": lambda lib: lib.linalg.multi_dot([_f(lib, 2, 3), _f(lib, 4, 5)]),
    # dims out of range in reductions, sorting, indexing
    "sum_dim": lambda lib: lib.sum(_f(lib, 2, 3), 2),
    "sum_repeated": lambda lib: lib.sum(_f(lib, 2, 3), (0, 0)),
    "mean_0d_dim": lambda lib: lib.mean(_f(lib), 1),
    "softmax_dim": lambda lib: lib.softmax(_f(lib, 2, 3), 2),
    "cumsum_dim": lambda lib: lib.cumsum(_f(lib, 2, 3), -3),
    "argmax_dim": lambda lib: lib.argmax(_f(lib, 2, 3), 2),
    "max_dim": lambda lib: lib.max(_f(lib, 2, 3), 2),
    "sort_dim": lambda lib: lib.sort(_f(lib, 2, 3), 2),
    "topk_dim": lambda lib: lib.topk(_f(lib, 2, 3), 1, 2),
    "median_dim": lambda lib: lib.median(_f(lib, 2, 3), 2),
    "flip_repeated": lambda lib: lib.flip(_f(lib, 2, 3), (0, 0)),
    "stack_dim": lambda lib: lib.stack([_f(lib, 2), _f(lib, 2)], 2),
    "index_select_dim": lambda lib: lib.index_select(_f(lib, 2, 3), 2, _i(lib, 0)),
    "normalize_dim": lambda lib: lib.nn.functional.normalize(_f(lib, 2, 3), dim=2),
    "tile_negative": lambda lib: lib.tile(_f(lib, 2, 3), (-1,)),
    "batch_norm_stats": lambda lib: lib.nn.functional.batch_norm(_f(lib, 2, 3), _f(lib, 4), _f(lib, 3)),
    "einsum_sizes": lambda lib: lib.einsum("ij,jk->ik", _f(lib, 3, 4), _f(lib, 3, 4)),
    "gather_out_dtype": lambda lib: lib.gather(_f(lib, 2, 2), 1, lib.zeros((2, 2), dtype=lib.int64),
                                               out=_f(lib, 2, 2, dtype="float64")),
    "mm_out_dtype": lambda lib: lib.mm(_f(lib, 2, 2), _f(lib, 2, 2), out=_f(lib, 2, 2, dtype="float64")),
    "sort_out_dtype": lambda lib: lib.sort(_f(lib, 3), out=(_f(lib, 3, dtype="float64"),
                                                            lib.zeros(3, dtype=lib.int64))),
    # creation
    "eye_negative": lambda lib: lib.eye(-1),
    "linspace_negative": lambda lib: lib.linspace(0, 3, -1),
    "linspace_float_steps": lambda lib: lib.linspace(0, 3, 1.0),
    "logspace_negative": lambda lib: lib.logspace(0, 3, -1),
    "arange_sign": lambda lib: lib.arange(0, -3, 2),
    "arange_inf": lambda lib: lib.arange(0, float("inf"), 2),
    "normal_std": lambda lib: _f(lib, 4).normal_(0, -1),
    "multinomial_3d": lambda lib: lib.multinomial(_f(lib, 1, 2, 3, dtype="float64"), 2),
    "multinomial_int": lambda lib: lib.multinomial(lib.ones((1, 2), dtype=lib.int64), 2),
    "multinomial_zero": lambda lib: lib.multinomial(_f(lib, 3, dtype="float64"), 0),
    # nn.functional
    "max_pool1d_stride0": lambda lib: lib.nn.functional.max_pool1d(_f(lib, 1, 2, 6), 2, stride=0),
    "max_pool1d_pad": lambda lib: lib.nn.functional.max_pool1d(_f(lib, 1, 2, 6), 2, padding=-1),
    "max_pool2d_too_small": lambda lib: lib.nn.functional.max_pool2d(_f(lib, 1, 1, 4), 2),
    "max_pool1d_empty": lambda lib: lib.nn.functional.max_pool1d(_f(lib, 1, 2, 0), 1),
    "avg_pool2d_divisor": lambda lib: lib.nn.functional.avg_pool2d(_f(lib, 1, 3, 3), 2,
                                                                   divisor_override=0),
    "adaptive_avg2d_rank": lambda lib: lib.nn.functional.adaptive_avg_pool2d(_f(lib, 2, 2), (2, 2)),
    "adaptive_avg1d_size": lambda lib: lib.nn.functional.adaptive_avg_pool1d(_f(lib, 1, 2, 3), ()),
    "adaptive_max2d_negative": lambda lib: lib.nn.functional.adaptive_max_pool2d(
        _f(lib, 1, 1, 2, 2), (-1, 1)),
    "conv1d_bias_dtype": lambda lib: lib.nn.functional.conv1d(
        _f(lib, 1, 1, 4), _f(lib, 1, 1, 2), _f(lib, 1, dtype="float64")),
    "conv2d_stride": lambda lib: lib.nn.functional.conv2d(_f(lib, 1, 1, 4, 4), _f(lib, 1, 1, 2, 2),
                                                          stride=0),
    "conv2d_padding": lambda lib: lib.nn.functional.conv2d(_f(lib, 1, 1, 4, 4), _f(lib, 1, 1, 2, 2),
                                                           padding=-1),
    "conv1d_dilation": lambda lib: lib.nn.functional.conv1d(_f(lib, 1, 1, 4), _f(lib, 1, 1, 2),
                                                            dilation=-1),
    "max_unpool2d_indices": lambda lib: lib.nn.functional.max_unpool2d(
        _f(lib, 1, 1, 2, 2), lib.zeros((1, 1, 2, 1), dtype=lib.int64), 2),
    "embedding_weight_rank": lambda lib: lib.nn.functional.embedding(_i(lib, 0, 1), _f(lib, 2, 2, 2)),
    "hardtanh_bounds": lambda lib: lib.nn.functional.hardtanh(_f(lib, 2), 0.5, -0.5),
    "rrelu_bounds": lambda lib: lib.nn.functional.rrelu(_f(lib, 2), 0.3, 0.1),
    "softshrink_lambda": lambda lib: lib.nn.functional.softshrink(_f(lib, 2), -0.5),
    "rms_norm_empty_shape": lambda lib: lib.nn.functional.rms_norm(_f(lib, 2, 3), ()),
    "rms_norm_input_shape": lambda lib: lib.nn.functional.rms_norm(_f(lib, 2, 3), (2,)),
    "layer_norm_weight": lambda lib: lib.nn.functional.layer_norm(_f(lib, 2, 3), (3,), _f(lib, 2)),
    "l1_loss_broadcast": lambda lib: lib.nn.functional.l1_loss(_f(lib, 5, 4), _f(lib, 5)),
    "huber_delta": lambda lib: lib.nn.functional.huber_loss(_f(lib, 2), _f(lib, 2), delta=0),
    "triplet_margin": lambda lib: lib.nn.functional.triplet_margin_loss(
        _f(lib, 2, 3), _f(lib, 2, 3), _f(lib, 2, 3), margin=-1.0),
    "triplet_ndim": lambda lib: lib.nn.functional.triplet_margin_with_distance_loss(
        _f(lib, 3), _f(lib, 2, 3), _f(lib, 2, 3)),
    "multi_margin_target": lambda lib: lib.nn.functional.multi_margin_loss(_f(lib, 2, 3), _f(lib, 2)),
    "multilabel_margin_target": lambda lib: lib.nn.functional.multilabel_margin_loss(
        _f(lib, 2, 3), lib.zeros((3,), dtype=lib.int64)),
    "linear_cross_entropy_weight": lambda lib: lib.nn.functional.linear_cross_entropy(
        _f(lib, 2, 3), _f(lib, 3), lib.zeros((2,), dtype=lib.int64)),
}


def _raised(fn, lib):
    try:
        fn(lib)
    except Exception as e:  # the type is what is compared
        return type(e)
    return None


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_exception_type(name):
    expected = _raised(CASES[name], torch)
    assert expected is not None, "torch accepts this input; the case is wrong"
    got = _raised(CASES[name], jtorch)
    assert got is expected, f"jtorch raised {got and got.__name__}, torch raises {expected.__name__}"


@pytest.mark.parametrize("n", [4, 80])  # 80: the long-list (host) path
def test_stack_unequal_sizes_and_empty_list(n):
    for fn in (lambda lib: lib.stack([lib.ones(2, 3)] * (n - 1) + [lib.ones(2, 4)]),
               lambda lib: lib.stack([])):
        expected = _raised(fn, torch)
        assert expected is RuntimeError
        assert _raised(fn, jtorch) is expected
    msg = lambda lib: str(pytest.raises(RuntimeError, lib.stack,  # noqa: E731
                                        [lib.ones(2, 3)] * (n - 1) + [lib.ones(2, 4)]).value)
    assert msg(jtorch) == msg(torch)
