"""timm and torchvision workflows: one script run unmodified under torch and under jtorch.

    python vision_workflow.py [PART ...]   (parts: tv_resnet18 timm_resnet18 timm_vit timm_convnext
                                            transforms ops; default all) -> one RESULT json line

Weights are set from a seeded numpy stream by parameter name, so both libraries start from
the same model without shipping checkpoints. torch's side is recorded by
compat/eco_vision_record.py (torch 2.14.1 + torchvision 0.29.1, see compat/ecosystem.md).
"""
import json
import sys

import numpy as np
import torch


def fill(model, seed=0):
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for name, t in sorted(model.state_dict().items()):
            if not t.is_floating_point():
                continue
            if name.endswith("running_var"):
                v = np.ones(t.shape)
            elif name.endswith("running_mean"):
                v = np.zeros(t.shape)
            elif t.dim() <= 1:
                base = 1.0 if name.endswith("weight") or name.endswith("gamma") else 0.0
                v = base + 0.1 * rng.standard_normal(t.shape)
            else:
                v = rng.standard_normal(t.shape) / np.sqrt(np.prod(t.shape[1:]))
            t.copy_(torch.tensor(v.astype("float32")))
    return model


def head(t, n=8):
    return [round(float(v), 6) for v in t.flatten()[:n].tolist()]


def train(model, size):
    rng = np.random.default_rng(1)
    x = torch.tensor(rng.standard_normal((2, 3, size, size)).astype("float32"))
    y = torch.tensor([1, 7])
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    gnorm = torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters() if p.grad is not None))
    opt.step()
    model.eval()
    with torch.no_grad():
        logits = model(x)
    return {"loss": loss.item(), "gradnorm": gnorm.item(), "logits_after_step": head(logits, 20)}


def tv_resnet18():
    import torchvision
    return train(fill(torchvision.models.resnet18(num_classes=10)), 64)


def timm_resnet18():
    import timm
    return train(fill(timm.create_model("resnet18", num_classes=10)), 64)


def timm_vit():
    import timm
    return train(fill(timm.create_model("vit_tiny_patch16_224", img_size=32, patch_size=8, depth=2,
                                        num_classes=10)), 32)


def timm_convnext():
    import timm
    return train(fill(timm.create_model("convnext_atto", num_classes=10)), 64)


def transforms():
    from torchvision import tv_tensors
    from torchvision.transforms import v2
    rng = np.random.default_rng(2)
    img = torch.tensor(rng.integers(0, 256, (3, 37, 45), dtype=np.uint8))
    resized = v2.Resize(20, antialias=True)(img)
    pipe = v2.Compose([v2.Resize(20, antialias=True), v2.CenterCrop(16), v2.RandomHorizontalFlip(p=1.0),
                       v2.ToDtype(torch.float32, scale=True), v2.Normalize([0.5, 0.4, 0.3], [0.2, 0.25, 0.3])])
    out = pipe(img)
    boxes = tv_tensors.BoundingBoxes([[2, 3, 20, 30], [10, 5, 40, 36]], format="XYXY", canvas_size=(37, 45))
    im2, b2 = v2.Resize(20, antialias=True)(tv_tensors.Image(img), boxes)
    down = v2.Resize((9, 11), antialias=True)(img.float())
    bicubic = v2.Resize((17, 13), interpolation=v2.InterpolationMode.BICUBIC, antialias=True)(img.float())
    return {"resized_uint8": resized.flatten().tolist()[:60], "resized_shape": list(resized.shape),
            "pipe": head(out, 40), "pipe_shape": list(out.shape), "pipe_dtype": str(out.dtype),
            "image_type": type(im2).__name__, "boxes_type": type(b2).__name__, "boxes": b2.tolist(),
            "canvas": list(b2.canvas_size), "down": head(down, 40), "bicubic": head(bicubic, 40)}


def ops():
    import torchvision
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 30, (12, 2))
    wh = rng.uniform(5, 20, (12, 2))
    boxes = torch.tensor(np.concatenate([xy, xy + wh], 1).astype("float32"))
    scores = torch.tensor(rng.random(12).astype("float32"))
    keep = torchvision.ops.nms(boxes, scores, 0.4)
    bkeep = torchvision.ops.batched_nms(boxes, scores, torch.tensor([0, 1] * 6), 0.4)
    feat = torch.tensor(rng.standard_normal((2, 3, 16, 16)).astype("float32"), requires_grad=True)
    rois = torch.tensor([[0, 1.0, 2.0, 20.0, 18.0], [1, 4.5, 3.0, 12.0, 30.0]], dtype=torch.float32)
    ra = torchvision.ops.roi_align(feat, rois, output_size=(3, 3), spatial_scale=0.5, sampling_ratio=2,
                                   aligned=True)
    ra.sum().backward()
    return {"nms": keep.tolist(), "batched_nms": bkeep.tolist(), "roi_align": head(ra, 30),
            "roi_align_grad": round(feat.grad.abs().sum().item(), 5),
            "box_iou": head(torchvision.ops.box_iou(boxes[:3], boxes[3:6]), 9)}


PARTS = {f.__name__: f for f in (tv_resnet18, timm_resnet18, timm_vit, timm_convnext, transforms, ops)}


def main():
    out = {}
    for name in sys.argv[1:] or PARTS:
        torch.manual_seed(0)
        try:
            out[name] = PARTS[name]()
        except Exception as e:  # one part failing must not hide the others
            out[name] = {"error": f"{type(e).__name__}: {str(e)[:300]}"}
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
