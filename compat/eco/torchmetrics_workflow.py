"""torchmetrics Accuracy, MeanSquaredError and F1Score: update over batches, compute, reset.

    python torchmetrics_workflow.py     (run under torch or jtorch; prints one RESULT json line)
"""
import json

import numpy as np
import torch
import torchmetrics

rng = np.random.default_rng(0)
out = {}
acc = torchmetrics.Accuracy(task="multiclass", num_classes=4)
f1 = torchmetrics.F1Score(task="multiclass", num_classes=4, average="macro")
f1b = torchmetrics.F1Score(task="binary")
mse = torchmetrics.MeanSquaredError()
for _ in range(3):
    logits = torch.tensor(rng.standard_normal((10, 4)).astype("float32"))
    target = torch.tensor(rng.integers(0, 4, 10))
    out.setdefault("batch_acc", []).append(acc(logits, target).item())
    f1.update(logits, target)
    f1b.update(torch.tensor(rng.random(10).astype("float32")), torch.tensor(rng.integers(0, 2, 10)))
    mse.update(torch.tensor(rng.standard_normal(7).astype("float32")),
               torch.tensor(rng.standard_normal(7).astype("float32")))
out.update(acc=acc.compute().item(), f1=f1.compute().item(), f1_binary=f1b.compute().item(),
           mse=mse.compute().item())
collection = torchmetrics.MetricCollection([torchmetrics.Accuracy(task="binary"),
                                            torchmetrics.Precision(task="binary")])
out["collection"] = {k: v.item() for k, v in collection(torch.tensor([0.2, 0.8, 0.6, 0.4]),
                                                         torch.tensor([0, 1, 0, 1])).items()}
acc.reset()
out["after_reset_state"] = int(acc.tp.sum().item()) if hasattr(acc, "tp") else None
print("RESULT " + json.dumps(out))
