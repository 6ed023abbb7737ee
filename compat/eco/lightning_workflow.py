"""A LightningModule fit for one epoch with Trainer's default settings (summary, checkpoint, logger).

    python lightning_workflow.py DIR     (run under torch or jtorch; prints one RESULT json line)
"""
import json
import sys

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(0)
X = torch.tensor(rng.standard_normal((64, 8)).astype("float32"))
Y = torch.tensor(rng.integers(0, 3, 64))
W1 = rng.standard_normal((16, 8)).astype("float32") * 0.3
W2 = rng.standard_normal((3, 16)).astype("float32") * 0.3


class Net(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
        with torch.no_grad():
            self.net[0].weight.copy_(torch.tensor(W1))
            self.net[0].bias.zero_()
            self.net[2].weight.copy_(torch.tensor(W2))
            self.net[2].bias.zero_()
        self.losses = []

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = torch.nn.functional.cross_entropy(self(x), y)
        self.log("train_loss", loss)
        self.losses.append(loss.item())
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", torch.nn.functional.cross_entropy(self(x), y))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1, momentum=0.9)


def main():
    model = Net()
    data = DataLoader(TensorDataset(X, Y), batch_size=16)
    trainer = L.Trainer(max_epochs=1, accelerator="cpu", default_root_dir=sys.argv[1])
    trainer.fit(model, data, DataLoader(TensorDataset(X, Y), batch_size=32))
    ckpt = trainer.checkpoint_callback.best_model_path or trainer.checkpoint_callback.last_model_path
    loaded = Net.load_from_checkpoint(ckpt) if ckpt else None
    out = {"losses": model.losses, "global_step": trainer.global_step,
           "weight_sum": model.net[0].weight.sum().item(),
           "val_loss": trainer.callback_metrics["val_loss"].item(),
           "checkpoint_same": bool(loaded is not None and torch.equal(loaded.net[2].weight, model.net[2].weight))}
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
