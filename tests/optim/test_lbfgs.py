"""LBFGS on the Rosenbrock function; expected numbers computed with torch 2.13 (float64)."""
from __future__ import annotations

import numpy as np
import pytest

import jtorch

# line_search_fn: (losses returned by two step() calls, x after them, func_evals, n_iter)
EXPECTED = {
    None: ([12.5, 3.1754964895216133], [0.19397539945492967, 0.010145692335085086], 40, 40),
    "strong_wolfe": ([12.5, 1.3079683882673427], [0.9997609786712734, 0.9995387882216061],
                     50, 38),
}


def _rosenbrock_run(line_search_fn, steps=2):
    x = jtorch.tensor([-1.5, 2.0], dtype=jtorch.float64, requires_grad=True)
    opt = jtorch.optim.LBFGS([x], lr=1, max_iter=20, history_size=10,
                             line_search_fn=line_search_fn)

    def closure():
        opt.zero_grad()
        loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        loss.backward()
        return loss

    losses = [float(opt.step(closure)) for _ in range(steps)]
    return x, opt, losses


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_rosenbrock_matches_torch(line_search_fn):
    x, opt, losses = _rosenbrock_run(line_search_fn)
    exp_losses, exp_x, evals, iters = EXPECTED[line_search_fn]
    np.testing.assert_allclose(losses, exp_losses, rtol=1e-10)
    # Rosenbrock is ill-conditioned: last-bit differences in the gradient grow a little.
    np.testing.assert_allclose(x.detach().numpy(), exp_x, rtol=1e-6)
    st = opt.state[x]
    assert (st["func_evals"], st["n_iter"]) == (evals, iters)
    assert len(st["old_dirs"]) <= 10


def test_strong_wolfe_converges_to_the_minimum():
    x, _, losses = _rosenbrock_run("strong_wolfe", steps=4)
    np.testing.assert_allclose(x.detach().numpy(), [1.0, 1.0], atol=1e-4)


def test_lbfgs_needs_a_closure_and_one_group():
    x = jtorch.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="closure"):
        jtorch.optim.LBFGS([x]).step(None)
    with pytest.raises(ValueError, match="parameter groups"):
        jtorch.optim.LBFGS([{"params": [x]}, {"params": [jtorch.zeros(1, requires_grad=True)]}])
    with pytest.raises(RuntimeError, match="strong_wolfe"):
        opt = jtorch.optim.LBFGS([x], line_search_fn="armijo")

        def closure():
            opt.zero_grad()
            loss = ((x - 1) ** 2).sum()
            loss.backward()
            return loss
        opt.step(closure)
