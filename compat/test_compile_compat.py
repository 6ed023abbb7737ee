"""Training steps under jtorch.compile against the same steps in torch (eager).

torch runs each step eagerly (its compiled result is the same by definition); jtorch runs it
through `jtorch.compile`, so these pin the compiled program to torch's numbers: losses, weights,
optimizer state, learning rates and GradScaler scales. (Losses are compared as numbers: a loss
returned by a compiled step carries no grad_fn in jtorch.)
"""
import numpy as np

from compat._harness import randn


def _compiled(lib, fn, **kw):
    return lib.compile(fn, **kw) if lib.__name__ == "jtorch" else fn


def _mlp(lib):
    nn = lib.nn
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    with lib.no_grad():  # the same start on both libraries
        for i, p in enumerate(model.parameters()):
            p.copy_(lib.tensor(randn(*p.shape, dtype="float32", seed=10 + i) * 0.5))
    return model


def _batch(n, seed):
    x = randn(n, 4, dtype="float32", seed=seed)
    y = np.random.default_rng(seed).integers(0, 3, n)
    return x, y


def test_sgd_momentum_steplr_training(compat):
    def run(lib):
        F = lib.nn.functional
        model = _mlp(lib)
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            sched.step()
            return loss
        f = _compiled(lib, step)
        x, y = _batch(8, 0)
        losses = [f(lib.tensor(x), lib.tensor(y)).item() for _ in range(6)]
        return losses, list(model.parameters()), sched.get_last_lr()
    compat.value(run, rtol=1e-5, atol=1e-6)


def test_adamw_clip_cosine_training(compat):
    def run(lib):
        F = lib.nn.functional
        model = _mlp(lib)
        opt = lib.optim.AdamW(model.parameters(), lr=0.05, weight_decay=0.1)
        sched = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            lib.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            opt.step()
            sched.step()
            return loss
        f = _compiled(lib, step)
        x, y = _batch(8, 1)
        losses = [f(lib.tensor(x), lib.tensor(y)).item() for _ in range(5)]
        return losses, list(model.parameters()), [s["exp_avg_sq"] for s in opt.state.values()]
    compat.value(run, rtol=1e-5, atol=1e-6)


def test_grad_scaler_training_with_a_skipped_step(compat):
    def run(lib):
        F = lib.nn.functional
        model = _mlp(lib)
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        scaler = lib.amp.GradScaler("cpu", init_scale=2.0**4, growth_interval=2)

        def step(x, y, boom):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            scaler.scale(loss * boom).backward()  # boom = inf: the step is skipped
            scaler.step(opt)
            scaler.update()
            return loss
        f = _compiled(lib, step, fullgraph=True)
        x, y = _batch(8, 2)
        out = []
        for b in (1.0, 1.0, 1.0, float("inf"), 1.0, 1.0):
            out.append((f(lib.tensor(x), lib.tensor(y), lib.tensor(b)).item(), scaler.get_scale()))
        return out, list(model.parameters()), scaler.state_dict()
    compat.value(run, rtol=1e-5, atol=1e-6)


def test_dynamic_batch_sizes(compat):
    def run(lib):
        F = lib.nn.functional
        model = _mlp(lib)
        opt = lib.optim.SGD(model.parameters(), lr=0.1)

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss
        f = _compiled(lib, step, dynamic=True)
        losses = [f(*map(lib.tensor, _batch(n, n))).item() for n in (8, 5, 8, 3)]
        return losses, list(model.parameters())
    compat.value(run, rtol=1e-5, atol=1e-6)
