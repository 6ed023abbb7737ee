"""Training parity: the same model from the same weights, 20 manual SGD steps on torch and
jtorch; the loss at every step and the final weights and buffers agree (float32)."""
import numpy as np

STEPS = 20
LR = 0.1


def _weights(lib, m, seed):
    r = np.random.default_rng(seed)
    sd = {}
    for k, v in m.state_dict().items():
        if v.dtype == lib.int64:
            sd[k] = v
        elif k.endswith("running_var"):
            sd[k] = lib.tensor(r.random(tuple(v.shape)) + 0.5, dtype=lib.float32)
        else:
            fan_in = int(np.prod(v.shape[1:])) if v.dim() > 1 else 4
            a = r.standard_normal(tuple(v.shape)) / np.sqrt(fan_in)
            sd[k] = lib.tensor(a, dtype=lib.float32)
    m.load_state_dict(sd)


def _train(lib, model, loss_fn, xs, ys):
    losses = []
    for step in range(STEPS):
        x, y = xs[step % len(xs)], ys[step % len(ys)]
        for p in model.parameters():
            p.grad = None
        loss = loss_fn(model(x), y)
        loss.backward()
        with lib.no_grad():
            for p in model.parameters():
                p -= LR * p.grad
        losses.append(loss.item())
    model.eval()
    eval_loss = loss_fn(model(xs[0]), ys[0]).item()
    return {"losses": losses, "eval_loss": eval_loss,
            "state": {k: v.detach().clone() for k, v in model.state_dict().items()}}


def _data(lib, shape, n_classes, seed, batches=4):
    r = np.random.default_rng(seed)
    xs = [lib.tensor(r.standard_normal(shape), dtype=lib.float32) for _ in range(batches)]
    ys = [lib.tensor(r.integers(0, n_classes, shape[0]), dtype=lib.int64) for _ in range(batches)]
    return xs, ys


def test_mlp_training(compat):
    def run(lib):
        nn = lib.nn
        model = nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 32), nn.GELU(),
                              nn.LayerNorm(32), nn.Linear(32, 5))
        _weights(lib, model, 0)
        xs, ys = _data(lib, (16, 12), 5, 1)
        return _train(lib, model, nn.CrossEntropyLoss(label_smoothing=0.05), xs, ys)
    compat.value(run, rtol=1e-4, atol=1e-5)


def test_cnn_batchnorm_pooling_training(compat):
    def run(lib):
        nn = lib.nn
        model = nn.Sequential(
            nn.Conv2d(2, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 8, 3, stride=1, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
            nn.AvgPool2d(2), nn.Conv2d(8, 8, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(8, 4))
        _weights(lib, model, 2)
        xs, ys = _data(lib, (8, 2, 8, 8), 4, 3)
        return _train(lib, model, nn.CrossEntropyLoss(), xs, ys)
    compat.value(run, rtol=1e-4, atol=1e-5)


def test_mlp_regression_training(compat):
    def run(lib):
        nn = lib.nn
        model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.SiLU(),
                              nn.BatchNorm1d(16), nn.Linear(16, 2))
        _weights(lib, model, 4)
        r = np.random.default_rng(5)
        xs = [lib.tensor(r.standard_normal((10, 6)), dtype=lib.float32) for _ in range(3)]
        ys = [lib.tensor(r.standard_normal((10, 2)), dtype=lib.float32) for _ in range(3)]
        return _train(lib, model, nn.SmoothL1Loss(beta=0.5), xs, ys)
    compat.value(run, rtol=1e-4, atol=1e-5)
