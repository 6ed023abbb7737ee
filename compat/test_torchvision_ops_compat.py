"""torch.ops.torchvision.* vs real torchvision, through a recorded fixture.

torchvision cannot be imported beside the torch 2.13 oracle, so the expected values come from
compat/fixtures/torchvision_ops.json, written by compat/fixtures/gen_torchvision_ops.py under
torch 2.14.1 + torchvision 0.29.1 (CPU kernels) in a separate environment: outputs, auxiliary
outputs (argmax, channel mapping), nms keep lists and the input gradients of sum(out * r).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import jtorch

DATA = json.loads((Path(__file__).parent / "fixtures" / "torchvision_ops.json").read_text())
CASES = DATA["cases"]


def T(a, grad=False):
    t = jtorch.tensor(np.array(a, dtype=np.float64))
    return t.requires_grad_() if grad else t


def _close(got, exp):
    np.testing.assert_allclose(got.detach().numpy(), np.array(exp, dtype=np.float64).reshape(got.shape),
                               rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("i", [i for i, c in enumerate(CASES) if c["op"] not in ("nms", "deform_conv2d")])
def test_roi_ops_match_torchvision(i):
    c = CASES[i]
    x = T(c["input"], grad=True)
    out = getattr(jtorch.ops.torchvision, c["op"])(x, T(c["rois"]), *c["args"])
    main = out[0] if isinstance(out, tuple) else out
    _close(main, c["out"])
    if "aux" in c:
        assert out[1].tolist() == c["aux"]
    (main * T(c["upstream"])).sum().backward()
    _close(x.grad, c["grad"])
    if any(d["op"] == c["op"] for d in CASES[:i]):
        return  # the backward op is checked on each op's first case (compiles cost time)
    # the backward op torchvision's autograd registration calls gives the same gradient
    n, ch, h, w = x.shape
    up, rois, a = T(c["upstream"]), T(c["rois"]), c["args"]
    tv = jtorch.ops.torchvision
    if c["op"] == "roi_align":
        g = tv._roi_align_backward(up, rois, a[0], a[1], a[2], n, ch, h, w, a[3], a[4])
    elif c["op"] == "roi_pool":
        g = tv._roi_pool_backward(up, rois, out[1], a[0], a[1], a[2], n, ch, h, w)
    elif c["op"] == "ps_roi_align":
        g = tv._ps_roi_align_backward(up, rois, out[1], a[0], a[1], a[2], a[3], n, ch, h, w)
    else:
        g = tv._ps_roi_pool_backward(up, rois, out[1], a[0], a[1], a[2], n, ch, h, w)
    _close(g, c["grad"])


@pytest.mark.parametrize("i", [i for i, c in enumerate(CASES) if c["op"] == "nms"])
def test_nms_matches_torchvision(i):
    c = CASES[i]
    keep = jtorch.ops.torchvision.nms(T(c["boxes"]), T(c["scores"]), c["thr"])
    assert keep.dtype == jtorch.int64 and keep.tolist() == c["keep"]


@pytest.mark.parametrize("i", [i for i, c in enumerate(CASES) if c["op"] == "deform_conv2d"])
def test_deform_conv2d_matches_torchvision(i):
    c = CASES[i]
    ts = [T(a, grad=True) for a in c["inputs"]]
    out = jtorch.ops.torchvision.deform_conv2d(*ts, *c["args"])
    _close(out, c["out"])
    (out * T(c["upstream"])).sum().backward()
    for t, g in zip(ts, c["grads"]):
        _close(t.grad, g)
    grads = jtorch.ops.torchvision._deform_conv2d_backward(T(c["upstream"]), *[t.detach() for t in ts],
                                                           *c["args"])
    for t, g in zip(grads, c["grads"]):
        _close(t, g)
