"""jtorch.nn.functional without torch: expected numbers were produced by PyTorch 2.13."""
import numpy as np
import pytest

import jtorch
import jtorch.nn.functional as F


def t(x, **kw):
    return jtorch.tensor(x, **kw)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a.detach().numpy() if hasattr(a, "detach") else a),
                               np.asarray(b), rtol=tol, atol=tol)


def grad_of(fn, x):
    x = t(x, requires_grad=True)
    fn(x).sum().backward()
    return x.grad


def test_branch_point_gradients_match_torch():
    pts = [-3.0, -1e-30, 0.0, 3.0, 1.0]
    close(grad_of(F.hardswish, pts), [0.0, 0.5, 0.5, 1.0, 0.8333333])
    close(grad_of(F.elu, pts), [0.0497871, 1.0, 1.0, 1.0, 1.0])
    close(grad_of(F.selu, pts), [0.0875306, 1.7580993, 1.7580993, 1.0507010, 1.0507010])
    close(grad_of(F.relu, [-1.0, 0.0, 2.0]), [0.0, 0.0, 1.0])
    close(grad_of(lambda x: F.hardtanh(x, -1.0, 1.0), [-1.0, 0.0, 1.0, 2.0]), [0.0, 1.0, 0.0, 0.0])
    close(grad_of(lambda x: F.leaky_relu(x, 0.1), [-1.0, 0.0, 1.0]), [0.1, 0.1, 1.0])


def test_activation_values():
    x = t([-2.0, -0.25, 0.0, 0.25, 2.0])
    close(F.hardshrink(x, 0.5), [-2.0, 0.0, 0.0, 0.0, 2.0])
    close(F.softshrink(x, 0.5), [-1.5, 0.0, 0.0, 0.0, 1.5])
    close(F.threshold(x, 0.1, 9.0), [9.0, 9.0, 9.0, 0.25, 2.0])
    close(F.relu6(t([-1.0, 3.0, 7.0])), [0.0, 3.0, 6.0])
    close(F.glu(t([[1.0, 2.0, 0.0, 0.0]])), [[0.5, 1.0]])
    close(F.softplus(t([30.0, 0.0]), beta=1, threshold=20), [30.0, np.log(2)])


def test_inplace_activation_writes_input():
    x = t([-1.0, 2.0])
    y = F.relu(x, inplace=True)
    assert y is x
    close(x, [0.0, 2.0])
    z = t([-1.0, 2.0])
    F.leaky_relu_(z, 0.5)
    close(z, [-0.5, 2.0])


def test_max_pool_indices_and_tie_gradient():
    x = t([[[[1.0, 3.0, 3.0, 0.0], [2.0, 3.0, 1.0, 1.0], [0.0, 5.0, 5.0, 2.0]]]], requires_grad=True)
    v, i = F.max_pool2d(x, 2, 1, return_indices=True)
    close(v, [[[[3.0, 3.0, 3.0], [5.0, 5.0, 5.0]]]])
    assert i.tolist() == [[[[1, 1, 2], [9, 9, 10]]]]
    v.sum().backward()
    # Ties go to the first maximum of each window, as in PyTorch.
    close(x.grad, [[[[0.0, 2.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 2.0, 1.0, 0.0]]]])


def test_avg_pool_ceil_and_padding_count():
    x = jtorch.arange(12.0).reshape(1, 1, 3, 4)
    close(F.avg_pool2d(x, 2, 2, 1, ceil_mode=True, count_include_pad=False),
          [[[[0.0, 1.5, 3.0], [6.0, 7.5, 9.0]]]])
    close(F.avg_pool2d(x, 2, 2, 1, ceil_mode=True), [[[[0.0, 0.75, 0.75], [3.0, 7.5, 4.5]]]])


def test_adaptive_pools_shapes():
    x = jtorch.randn(2, 3, 7, 5)
    assert F.adaptive_avg_pool2d(x, (3, None)).shape == (2, 3, 3, 5)
    v, i = F.adaptive_max_pool2d(x, 2, return_indices=True)
    assert v.shape == i.shape == (2, 3, 2, 2)
    close(F.adaptive_avg_pool2d(x, 1).reshape(2, 3), x.mean((2, 3)))


def test_conv_and_transpose():
    x = t([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]])
    w = t([[[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]]])
    close(F.conv1d(x, w, padding=1), [[[2.5, 5.5, 7.5]]])
    close(F.conv_transpose1d(x[:, :1], w[:, :1].reshape(1, 1, 3), stride=2),
          [[[1.0, 0.0, 1.0, 0.0, 1.0, 0.0, -3.0]]])
    assert F.conv2d(jtorch.randn(1, 4, 5, 5), jtorch.randn(6, 2, 3, 3), groups=2,
                    padding="same").shape == (1, 6, 5, 5)


def test_cross_entropy_options():
    logits = t([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    tgt = t([1, 2, -100])
    close(F.cross_entropy(logits, tgt), 0.2651263475)
    close(F.cross_entropy(logits, tgt, weight=t([1.0, 2.0, 3.0]), reduction="none"),
          [0.9287375808, 0.1976517439, 0.0])
    loss = F.cross_entropy(logits, tgt, label_smoothing=0.2)
    close(loss, 0.5817930698)
    loss.backward()
    close(logits.grad, [[0.0822786093, -0.1190674901, 0.0367888547],
                        [-0.0100270230, -0.0247594230, 0.0347864330], [0.0, 0.0, 0.0]])


def test_bce_gradient_at_the_ends_matches_torch():
    p = t([0.0, 1.0, 0.3], requires_grad=True)
    F.binary_cross_entropy(p, t([1.0, 0.0, 1.0])).backward()
    close(p.grad, [-333333331968.0, 333333331968.0, -1.1111110449], tol=1e-4)
    close(F.binary_cross_entropy(t([0.0, 1.0, 0.3]), t([0.0, 1.0, 1.0])), 0.4013242722)


def test_ctc_loss_value():
    lp = t(np.log(np.array([[[0.5, 0.3, 0.2]], [[0.4, 0.4, 0.2]], [[0.1, 0.6, 0.3]]])))
    close(F.ctc_loss(lp, t([[1, 2]]), [3], [2], reduction="sum"), 1.8578992717326)


def test_interpolate_modes():
    x = jtorch.arange(6.0).reshape(1, 1, 2, 3)
    close(F.interpolate(x, size=(3, 4), mode="bilinear", align_corners=False),
          [[[[0.0, 0.625, 1.375, 2.0], [1.5, 2.125, 2.875, 3.5], [3.0, 3.625, 4.375, 5.0]]]])
    close(F.interpolate(x, size=(3, 4), mode="bilinear", align_corners=True),
          [[[[0.0, 2 / 3, 4 / 3, 2.0], [1.5, 13 / 6, 17 / 6, 3.5], [3.0, 11 / 3, 13 / 3, 5.0]]]])
    close(F.interpolate(x, scale_factor=1.5, mode="nearest"),
          [[[[0.0, 0.0, 1.0, 2.0], [0.0, 0.0, 1.0, 2.0], [3.0, 3.0, 4.0, 5.0]]]])


def test_norms():
    close(F.group_norm(jtorch.arange(8.0).reshape(1, 4, 2), 2),
          [[[-1.3416355, -0.4472118], [0.4472118, 1.3416355], [-1.3416355, -0.4472118],
            [0.4472118, 1.3416355]]])
    close(F.local_response_norm(jtorch.arange(1.0, 5.0).reshape(1, 4, 1), 3),
          [[[0.9998751], [1.9993002], [2.9978268], [3.9975016]]])
    y = F.layer_norm(jtorch.randn(3, 5), (5,))
    close(y.mean(-1), np.zeros(3), tol=1e-5)


def test_batch_norm_updates_running_stats_in_place():
    rm, rv = jtorch.zeros(2), jtorch.ones(2)
    x = t([[1.0, 2.0], [3.0, 6.0]])
    F.batch_norm(x, rm, rv, training=True, momentum=0.5)
    close(rm, [1.0, 2.0])  # 0.5 * 0 + 0.5 * mean
    close(rv, [1.5, 4.5])  # 0.5 * 1 + 0.5 * unbiased var (2 and 8)
    assert rm._version > 0


def test_pad_modes_and_embedding_bag():
    r = jtorch.arange(3.0).reshape(1, 3)
    close(F.pad(r, (2, 1), mode="reflect"), [[2.0, 1.0, 0.0, 1.0, 2.0, 1.0]])
    close(F.pad(r, (2, 1), mode="circular"), [[1.0, 2.0, 0.0, 1.0, 2.0, 0.0]])
    close(F.pad(r, (2, 1), mode="replicate"), [[0.0, 0.0, 0.0, 1.0, 2.0, 2.0]])
    close(F.embedding_bag(t([0, 2, 1, 1]), jtorch.arange(6.0).reshape(3, 2), t([0, 1]), mode="mean"),
          [[0.0, 1.0], [8 / 3, 11 / 3]])


def test_embedding_padding_row_gets_no_gradient():
    w = jtorch.randn(4, 2, requires_grad=True)
    F.embedding(t([0, 1, 1, 3]), w, padding_idx=1).sum().backward()
    close(w.grad, [[1.0, 1.0], [0.0, 0.0], [0.0, 0.0], [1.0, 1.0]])


def test_dropout_statistics_and_modes():
    jtorch.manual_seed(0)
    x = jtorch.ones(20000)
    y = F.dropout(x, 0.3)
    kept = (y != 0).float().mean().item()
    assert abs(kept - 0.7) < 0.02
    close(y[y != 0][:5], np.full(5, 1 / 0.7))
    assert F.dropout(x, 0.3, training=False) is x
    assert (F.dropout(x, 1.0) == 0).all().item()
    with pytest.raises(ValueError):
        F.dropout(x, 1.5)
    z = F.dropout2d(jtorch.ones(4, 50, 3, 3), 0.5)
    per_channel = z.reshape(4, 50, 9)
    assert ((per_channel == 0).all(-1) | (per_channel != 0).all(-1)).all().item()


def test_one_hot_and_normalize():
    assert F.one_hot(t([1, 3, 0])).tolist() == [[0, 1, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0]]
    close(F.normalize(t([[3.0, 4.0]]), dim=1), [[0.6, 0.8]])
