"""torch.ops.torchvision.* against numpy references written from torchvision's documented
semantics (box coordinates, sampling grid, bilinear rules), eager and under jtorch.compile."""
import math
import warnings

import numpy as np
import pytest

import jtorch

rng = np.random.default_rng(1)
X = rng.standard_normal((2, 8, 6, 7))
ROIS = np.array([[0, 0.5, 1.0, 4.0, 5.0], [1, -1.5, 2.0, 8.5, 3.1], [0, 2.0, 2.0, 2.2, 2.1],
                 [1, 3.0, 0.0, 6.9, 5.9]])
tv = jtorch.ops.torchvision


def T(a):
    return jtorch.tensor(np.asarray(a, dtype=np.float64))


def _bilinear(img, y, x):
    H, W = img.shape
    if not (-1.0 <= y <= H and -1.0 <= x <= W):
        return 0.0
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(y), int(x)
    y1, x1 = (y0 + 1, x0 + 1)
    if y0 >= H - 1:
        y0 = y1 = H - 1
        y = float(y0)
    if x0 >= W - 1:
        x0 = x1 = W - 1
        x = float(x0)
    ly, lx = y - y0, x - x0
    return ((1 - ly) * (1 - lx) * img[y0, x0] + (1 - ly) * lx * img[y0, x1]
            + ly * (1 - lx) * img[y1, x0] + ly * lx * img[y1, x1])


def ref_roi_align(x, rois, scale, ph, pw, sr, aligned, ps=False):
    C = x.shape[1] // (ph * pw) if ps else x.shape[1]
    out = np.zeros((len(rois), C, ph, pw))
    for k, (b, *box) in enumerate(rois):
        off = 0.5 if aligned else 0.0
        x1, y1, x2, y2 = [v * scale - off for v in box]
        rw, rh = x2 - x1, y2 - y1
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        gh = sr if sr > 0 else math.ceil(rh / ph)
        gw = sr if sr > 0 else math.ceil(rw / pw)
        for c in range(C):
            for i in range(ph):
                for j in range(pw):
                    ch = (c * ph + i) * pw + j if ps else c
                    s = sum(_bilinear(x[int(b), ch], y1 + i * rh / ph + (iy + 0.5) * rh / ph / gh,
                                      x1 + j * rw / pw + (ix + 0.5) * rw / pw / gw)
                            for iy in range(gh) for ix in range(gw))
                    out[k, c, i, j] = s / (gh * gw if ps else max(gh * gw, 1))
    return out


def ref_roi_pool(x, rois, scale, ph, pw, ps=False):
    H, W = x.shape[2:]
    C = x.shape[1] // (ph * pw) if ps else x.shape[1]
    out = np.zeros((len(rois), C, ph, pw))
    for k, (b, *box) in enumerate(rois):
        x1, y1, x2, y2 = [int(np.sign(v * scale) * np.floor(abs(v * scale) + 0.5)) for v in box]
        extra = 0 if ps else 1
        rh, rw = max(y2 - y1 + extra, 1), max(x2 - x1 + extra, 1)
        hi_h, hi_w = (H - 1, W - 1) if ps else (H, W)
        for i in range(ph):
            for j in range(pw):
                h0 = min(max(math.floor(i * rh / ph) + y1, 0), hi_h)
                h1 = min(max(math.ceil((i + 1) * rh / ph) + y1, 0), hi_h)
                w0 = min(max(math.floor(j * rw / pw) + x1, 0), hi_w)
                w1 = min(max(math.ceil((j + 1) * rw / pw) + x1, 0), hi_w)
                for c in range(C):
                    ch = (c * ph + i) * pw + j if ps else c
                    win = x[int(b), ch, h0:h1, w0:w1]
                    out[k, c, i, j] = 0.0 if win.size == 0 else (win.mean() if ps else win.max())
    return out


@pytest.mark.parametrize("scale,sr,aligned", [(1.0, -1, False), (0.5, 2, True), (1.0, 0, True)])
def test_roi_align(scale, sr, aligned):
    got = tv.roi_align(T(X), T(ROIS), scale, 2, 3, sr, aligned)
    np.testing.assert_allclose(got.numpy(), ref_roi_align(X, ROIS, scale, 2, 3, sr, aligned), atol=1e-12)


def test_ps_roi_align_and_pools():
    out, mapping = tv.ps_roi_align(T(X), T(ROIS), 1.0, 2, 2, -1)
    np.testing.assert_allclose(out.numpy(), ref_roi_align(X, ROIS, 1.0, 2, 2, -1, True, ps=True),
                               atol=1e-12)
    assert mapping.dtype == jtorch.int32 and mapping[0, 1].tolist() == [[4, 5], [6, 7]]
    out, argmax = tv.roi_pool(T(X), T(ROIS), 0.5, 3, 2)
    np.testing.assert_allclose(out.numpy(), ref_roi_pool(X, ROIS, 0.5, 3, 2), atol=1e-12)
    flat = X.reshape(2, 8, -1)
    picked = np.take_along_axis(flat[ROIS[:, 0].astype(int)], argmax.numpy().reshape(4, 8, -1), 2)
    np.testing.assert_allclose(picked.reshape(out.shape), out.numpy())
    out, _ = tv.ps_roi_pool(T(X), T(ROIS), 1.0, 2, 2)
    np.testing.assert_allclose(out.numpy(), ref_roi_pool(X, ROIS, 1.0, 2, 2, ps=True), atol=1e-12)


def ref_nms(boxes, scores, thr):
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    keep = []
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    for i in order:
        ok = True
        for j in keep:
            iw = max(min(boxes[i, 2], boxes[j, 2]) - max(boxes[i, 0], boxes[j, 0]), 0)
            ih = max(min(boxes[i, 3], boxes[j, 3]) - max(boxes[i, 1], boxes[j, 1]), 0)
            inter = iw * ih
            if inter / (area[i] + area[j] - inter) > thr:
                ok = False
                break
        if ok:
            keep.append(i)
    return keep


def test_nms():
    xy = rng.uniform(0, 10, (30, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(1, 5, (30, 2))], 1)
    scores = rng.uniform(0, 1, 30)
    for thr in (0.2, 0.5):
        assert tv.nms(T(boxes), T(scores), thr).tolist() == ref_nms(boxes, scores, thr)
    assert tv.nms(T(np.zeros((0, 4))), T(np.zeros(0)), 0.5).shape == (0,)


def ref_deform(x, w, off, mask, bias, stride, pad, dil, groups, ogroups):
    B, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    OH = (H + 2 * pad[0] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    OW = (W + 2 * pad[1] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((B, O, OH, OW))

    def sample(img, y, xx):  # zero padding outside, each corner read only inside
        if y <= -1 or y >= H or xx <= -1 or xx >= W:
            return 0.0
        y0, x0 = math.floor(y), math.floor(xx)
        v = 0.0
        for yy, xq, wt in ((y0, x0, (1 - (y - y0)) * (1 - (xx - x0))), (y0, x0 + 1, (1 - (y - y0)) * (xx - x0)),
                           (y0 + 1, x0, (y - y0) * (1 - (xx - x0))), (y0 + 1, x0 + 1, (y - y0) * (xx - x0))):
            if 0 <= yy < H and 0 <= xq < W:
                v += wt * img[yy, xq]
        return v
    for b in range(B):
        for o in range(O):
            g = o // (O // groups)
            for oh in range(OH):
                for ow in range(OW):
                    s = bias[o]
                    for cl in range(Cg):
                        c = g * Cg + cl
                        og = c // (C // ogroups)
                        for i in range(kh):
                            for j in range(kw):
                                k = i * kw + j
                                y = oh * stride[0] - pad[0] + i * dil[0] + off[b, og * 2 * kh * kw + 2 * k, oh, ow]
                                xx = ow * stride[1] - pad[1] + j * dil[1] + off[b, og * 2 * kh * kw + 2 * k + 1, oh, ow]
                                m = mask[b, og * kh * kw + k, oh, ow] if mask is not None else 1.0
                                s += w[o, cl, i, j] * m * sample(x[b, c], y, xx)
                    out[b, o, oh, ow] = s
    return out


def test_deform_conv2d():
    x, w = rng.standard_normal((1, 4, 5, 5)), rng.standard_normal((2, 2, 2, 3))
    off = rng.standard_normal((1, 2 * 2 * 6, 3, 3)) * 2
    mask, bias = rng.uniform(0, 1, (1, 2 * 6, 3, 3)), rng.standard_normal(2)
    got = tv.deform_conv2d(T(x), T(w), T(off), T(mask), T(bias), 2, 1, 1, 0, 1, 1, 2, 2, True)
    np.testing.assert_allclose(got.numpy(), ref_deform(x, w, off, mask, bias, (2, 1), (1, 0), (1, 1), 2, 2),
                               atol=1e-12)
    got = tv.deform_conv2d(T(x), T(w), T(off), T(np.zeros((1, 0, 3, 3))), T(bias), 2, 1, 1, 0, 1, 1, 2, 2,
                           False)
    np.testing.assert_allclose(got.numpy(), ref_deform(x, w, off, None, bias, (2, 1), (1, 0), (1, 1), 2, 2),
                               atol=1e-12)


def test_roi_align_under_compile_matches_eager():
    x = jtorch.nn.Parameter(jtorch.tensor(X[:, :3], dtype=jtorch.float32))
    rois = jtorch.tensor(ROIS, dtype=jtorch.float32)

    def f(rois):
        y = tv.roi_align(x, rois, 0.5, 2, 2, 2, True)
        (y * y).sum().backward()
        return y
    eager = f(rois).detach().numpy()
    g_eager = x.grad.numpy().copy()
    x.grad = None
    cf = jtorch.compile(f, fullgraph=True)
    for _ in range(3):
        x.grad = None
        out = cf(rois)
    np.testing.assert_allclose(out.detach().numpy(), eager, rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), g_eager, rtol=1e-5)


def test_nms_under_compile_falls_back_to_eager():
    boxes = T([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]])
    scores = T([0.9, 0.8, 0.7])
    f = jtorch.compile(lambda b, s: tv.nms(b, s, 0.5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = [f(boxes, scores).tolist() for _ in range(3)]
    assert results == [[0, 2]] * 3


def test_errors():
    with pytest.raises(RuntimeError, match=r"Tensor\[K, 5\]"):
        tv.roi_align(T(X), T(ROIS[:, :4]), 1.0, 2, 2, 2, True)
    with pytest.raises(RuntimeError, match="same dtype"):
        tv.roi_align(T(X), jtorch.tensor(ROIS, dtype=jtorch.float32), 1.0, 2, 2, 2, True)
    with pytest.raises(RuntimeError, match="multiple of pooling"):
        tv.ps_roi_align(T(X), T(ROIS), 1.0, 3, 3, 2)
    with pytest.raises(RuntimeError, match="2d tensor"):
        tv.nms(T(np.zeros((3, 5))), T(np.zeros(3)), 0.5)
    with pytest.raises(RuntimeError, match="offset.shape"):
        tv.deform_conv2d(T(np.zeros((1, 2, 4, 4))), T(np.zeros((2, 2, 3, 3))), T(np.zeros((1, 9, 2, 2))),
                         T(np.zeros((1, 0, 2, 2))), T(np.zeros(2)), 1, 1, 0, 0, 1, 1, 1, 1, False)
    with pytest.raises(NotImplementedError, match="quantized"):
        tv.qnms(T(np.zeros((1, 4))), T(np.zeros(1)), 0.5)
    assert tv._cuda_version() == -1


def test_load_library_of_torchvision_extension_registers_jax_ops(tmp_path):
    # torchvision's extension loader calls load_library on its `_C` (`_C_stable` in 0.29): the
    # native file is never loaded; jtorch's ops stand in for it.
    path = tmp_path / "torchvision" / "_C_stable.so"
    jtorch.ops.load_library(str(path))
    assert str(path) in jtorch.ops.loaded_libraries
    assert "nms" in list(jtorch.ops.torchvision)
