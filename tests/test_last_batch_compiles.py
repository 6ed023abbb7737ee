"""A training loop whose last batch is smaller compiles that batch's shapes once, in the first
epoch only (issue 15), eagerly and under jtorch.compile; later epochs compile nothing."""
import jax
import numpy as np
import pytest

import jtorch as torch
from jtorch.utils.data import DataLoader, TensorDataset

_COMPILES = [0]
jax.monitoring.register_event_duration_secs_listener(
    lambda name, d, **k: name == "/jax/core/compile/backend_compile_duration"
    and _COMPILES.__setitem__(0, _COMPILES[0] + 1))


def _setup(compiled):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    # 10 samples in batches of 4: 4, 4, 2 (a batch size no other test uses, so shapes are new)
    data = TensorDataset(torch.tensor(rng.standard_normal((10, 7)), dtype=torch.float32),
                         torch.tensor(rng.integers(0, 3, 10)))
    loader = DataLoader(data, batch_size=4, shuffle=True)
    model = torch.nn.Sequential(torch.nn.Linear(7, 13), torch.nn.ReLU(), torch.nn.Linear(13, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def step(x, y):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return loader, (torch.compile(step) if compiled else step)


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
def test_later_epochs_compile_nothing(compiled):
    loader, step = _setup(compiled)
    per_epoch, losses = [], []
    for _ in range(4):
        before = _COMPILES[0]
        for x, y in loader:
            losses.append(step(x, y).item())
        per_epoch.append(_COMPILES[0] - before)
    assert per_epoch[0] > 0  # the counter sees this loop's compiles
    # a compiled function runs a signature's first call eagerly and compiles at its second, so
    # the small batch's program compiles in epoch 2; from then on nothing compiles
    settled = 2 if compiled else 1
    assert per_epoch[settled:] == [0] * (4 - settled), per_epoch
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
