"""timm and torchvision under jtorch vs torch's recorded results (compat/expected/eco_vision_torch.json).

torchvision's wheel for torch 2.13 does not load next to the CPU build, so torch's side is
recorded with torch 2.14.1 + torchvision 0.29.1 (compat/eco_vision_record.py). jtorch's side
imports the same torchvision/timm Python code from JTORCH_ECO_VISION_PATH (default
.eco-vision/): `pip install --no-deps --target .eco-vision torchvision==0.29.1 timm==1.0.31`.
Installing torchvision next to real torch 2.13 would break transformers' import under torch.
"""
import json
import os

import pytest

from compat import _eco

EXPECTED = os.path.join(_eco.ROOT, "compat", "expected", "eco_vision_torch.json")
PATH = os.environ.get("JTORCH_ECO_VISION_PATH", os.path.join(_eco.ROOT, ".eco-vision"))
PARTS = ["tv_resnet18", "timm_vit", "timm_convnext", "transforms", "ops"]


@pytest.fixture(scope="module")
def results():
    if not os.path.isdir(os.path.join(PATH, "torchvision")) or not os.path.isdir(os.path.join(PATH, "timm")):
        pytest.skip(f"torchvision/timm not found in {PATH} (see this module's docstring)")
    with open(EXPECTED) as f:
        t = json.load(f)
    return t, _eco.run("jtorch", "vision_workflow.py", *PARTS, extra_path=PATH)


def part(results, name):
    t, j = results
    if "error" in j[name]:
        missing = [m for m in _eco._MISSING if m in j[name]["error"]]
        if missing:
            pytest.xfail("jtorch lacks a torch API: " + j[name]["error"])
        raise AssertionError(j[name]["error"])
    return t[name], j[name]


@pytest.mark.parametrize("name", ["tv_resnet18", "timm_vit", "timm_convnext"])
def test_model_train_step_matches_torch(results, name):
    t, j = part(results, name)
    _eco.close(j["loss"], t["loss"], rtol=1e-4)
    _eco.close(j["gradnorm"], t["gradnorm"], rtol=1e-3)
    _eco.close(j["logits_after_step"], t["logits_after_step"], rtol=1e-3, atol=1e-3)


def test_transforms_v2_and_tv_tensors(results):
    t, j = part(results, "transforms")
    for k in ("resized_shape", "pipe_shape", "pipe_dtype", "image_type", "boxes_type", "canvas"):
        assert j[k] == t[k], k
    _eco.close(j["boxes"], t["boxes"])
    _eco.close(j["down"], t["down"], rtol=1e-5, atol=1e-4)
    _eco.close(j["bicubic"], t["bicubic"], rtol=1e-5, atol=1e-4)
    # uint8 Resize: torchvision takes torch's native uint8 kernel only where
    # torch.backends.cpu.get_cpu_capability() says AVX2/AVX512; jtorch says DEFAULT, so it
    # resizes in float32 and rounds (torchvision's non-AVX path): within 1 of torch's.
    _eco.close(j["resized_uint8"], t["resized_uint8"], rtol=0, atol=1)
    _eco.close(j["pipe"], t["pipe"], rtol=0, atol=1 / 255 / 0.2 + 1e-5)


def test_ops_nms_roi_align(results):
    t, j = part(results, "ops")
    assert j["nms"] == t["nms"] and j["batched_nms"] == t["batched_nms"]
    _eco.close(j["roi_align"], t["roi_align"], rtol=1e-5, atol=1e-5)
    _eco.close(j["roi_align_grad"], t["roi_align_grad"], rtol=1e-5)
    _eco.close(j["box_iou"], t["box_iou"], rtol=1e-5, atol=1e-6)
