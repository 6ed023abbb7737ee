"""L-BFGS with an optional strong-Wolfe line search.

The outer loop is Python (it calls the closure a data-dependent number of times); the
vector math is jax on one flat array of all parameters. Scalars that torch keeps as 0-dim
tensors (`ys`, `gtd`, `ro`, ...) are 0-dim arrays in the parameters' dtype here too, so
float32 runs round the way torch's do.
"""
from __future__ import annotations

import jax.numpy as jnp

from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad, no_grad
from .optimizer import Optimizer, hyper

__all__ = ["LBFGS"]


def _cubic_min(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimizer of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to `bounds`."""
    lo, hi = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_sq = d1 ** 2 - g1 * g2
    if d2_sq >= 0:
        d2 = jnp.sqrt(d2_sq)
        if x1 <= x2:
            m = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            m = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(m, lo), hi)
    return (lo + hi) / 2.0


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """Line search along `d` from step `t` (Nocedal & Wright, algorithms 3.5 and 3.6).

    `evaluate(t)` returns (loss, flat grad) at x + t d. Returns (loss, grad, t, evaluations).
    """
    d_norm = jnp.max(jnp.abs(d))
    f_new, g_new = evaluate(t)
    evals = 1
    gtd_new = jnp.dot(g_new, d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    it = 0
    # Bracketing phase: grow the step until an interval holding a good point is found.
    while it < max_ls:
        if f_new > (f + c1 * t * gtd) or (it > 1 and f_new >= f_prev):
            br, br_f, br_g, br_gtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new], [gtd_prev,
                                                                                        gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            br, br_f, br_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            br, br_f, br_g, br_gtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new], [gtd_prev,
                                                                                        gtd_new]
            break
        lo_step, hi_step = t + 0.01 * (t - t_prev), t * 10
        t_prev, t = t, _cubic_min(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                  bounds=(lo_step, hi_step))
        f_prev, g_prev, gtd_prev = f_new, g_new, gtd_new
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = jnp.dot(g_new, d)
        it += 1
    if it == max_ls:
        br, br_f, br_g, br_gtd = [0, t], [f, f_new], [g, g_new], [gtd, gtd_new]

    # Zoom phase: shrink the bracket until the strong Wolfe conditions hold.
    insuf_progress = False
    low, high = (0, 1) if br_f[0] <= br_f[-1] else (1, 0)
    while not done and it < max_ls:
        if abs(br[1] - br[0]) * d_norm < tolerance_change:
            break
        t = _cubic_min(br[0], br_f[0], br_gtd[0], br[1], br_f[1], br_gtd[1])
        top, bot = max(br), min(br)
        eps = 0.1 * (top - bot)
        if min(top - t, t - bot) < eps:
            # Too close to an end: move away from it unless the last step also was.
            if insuf_progress or t >= top or t <= bot:
                t = top - eps if abs(t - top) < abs(t - bot) else bot + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = jnp.dot(g_new, d)
        it += 1
        if f_new > (f + c1 * t * gtd) or f_new >= br_f[low]:
            br[high], br_f[high], br_g[high], br_gtd[high] = t, f_new, g_new, gtd_new
            low, high = (0, 1) if br_f[0] <= br_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (br[high] - br[low]) >= 0:
                br[high], br_f[high], br_g[high], br_gtd[high] = (br[low], br_f[low], br_g[low],
                                                                  br_gtd[low])
            br[low], br_f[low], br_g[low], br_gtd[low] = t, f_new, g_new, gtd_new
    return br_f[low], br_g[low], br[low], evals


def _tensor(v):
    return Tensor._from_array(v) if isinstance(v, jnp.ndarray) else v


def _array(v):
    return v._data if isinstance(v, Tensor) else v


class LBFGS(Optimizer):
    """Matches `torch.optim.LBFGS` (one parameter group; `step` needs a closure)."""

    _TENSOR_STATE = ("d", "t", "H_diag", "prev_flat_grad")
    _LIST_STATE = ("old_dirs", "old_stps", "ro", "al")

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # ---- flat views of all parameters ------------------------------------------------------
    def _flat_grad(self):
        parts = []
        for p in self._params:
            g = jnp.zeros(p.shape, p._data.dtype) if p.grad is None else p.grad._data
            parts.append(_real(g).reshape(-1))
        return jnp.concatenate(parts)

    def _add(self, t, d):
        off = 0
        with no_grad():
            for p in self._params:
                a = _real(p._data)
                n = a.size
                a = a + t * d[off:off + n].reshape(a.shape)
                p._set_array(_unreal(a, p._data))
                off += n

    def _evaluate(self, closure, x, t, d):
        self._add(t, d)
        with enable_grad():
            loss = float(closure())
        g = self._flat_grad()
        with no_grad():
            for p, a in zip(self._params, x):
                p._set_array(a)
        return loss, g

    # ---- the step ----------------------------------------------------------------------------
    def step(self, closure):
        """Matches `torch.optim.LBFGS.step`: runs up to `max_iter` iterations."""
        if closure is None:
            raise RuntimeError("LBFGS requires a closure that reevaluates the model and returns "
                               "the loss")
        group = self.param_groups[0]
        lr = hyper(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        history, search = group["history_size"], group["line_search_fn"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        g = self._flat_grad()
        if jnp.max(jnp.abs(g)) <= tol_grad:
            return orig_loss

        d, t, h_diag, prev_g = (_array(state.get(k)) for k in self._TENSOR_STATE)
        dirs, stps, ro, al = ([_array(v) for v in state[k]] if k in state else None
                              for k in self._LIST_STATE)
        prev_loss = state.get("prev_loss")
        n = 0
        while n < max_iter:
            n += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, dirs, stps, ro, h_diag = -g, [], [], [], 1
            else:
                y = g - prev_g
                s = d * t
                ys = jnp.dot(y, s)
                if ys > 1e-10:  # keep the pair only when it preserves positive curvature
                    if len(dirs) == history:
                        dirs.pop(0), stps.pop(0), ro.pop(0)
                    dirs.append(y), stps.append(s), ro.append(1.0 / ys)
                    h_diag = ys / jnp.dot(y, y)
                if al is None:
                    al = [None] * history
                # Two-loop recursion: d = -H g with the implicit inverse Hessian H.
                q = -g
                for i in range(len(dirs) - 1, -1, -1):
                    al[i] = jnp.dot(stps[i], q) * ro[i]
                    q = q - al[i] * dirs[i]
                d = r = q * h_diag
                for i in range(len(dirs)):
                    be = jnp.dot(dirs[i], r) * ro[i]
                    r = r + (al[i] - be) * stps[i]
                d = r
            prev_g = g
            prev_loss = loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / jnp.sum(jnp.abs(g))) * lr
            else:
                t = lr
            gtd = jnp.dot(g, d)
            if gtd > -tol_change:
                break
            ls_evals = 0
            if search is not None:
                if search != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x0 = [p._data for p in self._params]
                loss, g, t, ls_evals = _strong_wolfe(
                    lambda tt: self._evaluate(closure, x0, tt, d), t, d, loss, g, gtd)
                self._add(t, d)
                opt_cond = jnp.max(jnp.abs(g)) <= tol_grad
            else:
                self._add(t, d)
                opt_cond = False
                if n != max_iter:
                    with enable_grad():
                        loss = float(closure())
                    g = self._flat_grad()
                    opt_cond = jnp.max(jnp.abs(g)) <= tol_grad
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals
            if n == max_iter or evals >= max_eval or opt_cond:
                break
            if jnp.max(jnp.abs(d * t)) <= tol_change:
                break
            if abs(loss - prev_loss) < tol_change:
                break

        state.update({"d": _tensor(d), "t": _tensor(t), "old_dirs": [_tensor(v) for v in dirs],
                      "old_stps": [_tensor(v) for v in stps], "ro": [_tensor(v) for v in ro],
                      "H_diag": _tensor(h_diag), "prev_flat_grad": _tensor(prev_g),
                      "prev_loss": prev_loss})
        if al is not None:
            state["al"] = [_tensor(v) for v in al]
        return orig_loss


def _real(a):
    # Complex parameters are optimized as (real, imag) pairs, as torch's view_as_real does.
    return jnp.stack([a.real, a.imag], -1) if jnp.iscomplexobj(a) else a


def _unreal(a, like):
    return (a[..., 0] + 1j * a[..., 1]).astype(like.dtype) if jnp.iscomplexobj(like) else a
