"""gradcheck / gradgradcheck: analytic gradients against central finite differences."""
from __future__ import annotations

import numpy as np


class GradcheckError(RuntimeError):
    """Matches `torch.autograd.gradcheck.GradcheckError`."""


def _tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _jacobians(func, inputs, eps):
    """(numerical, analytical) Jacobians per (output, differentiable input)."""
    from .. import _creation
    from . import grad as autograd_grad
    diff = [i for i, t in enumerate(inputs) if hasattr(t, "requires_grad") and t.requires_grad]
    outs = _tuple(func(*inputs))
    num, ana = [], []
    for oi, out in enumerate(outs):
        if not (out.dtype.is_floating_point or out.dtype.is_complex):
            continue
        n_out = out.numel()
        for ii in diff:
            x = inputs[ii]
            base = x.detach().numpy().astype(np.float64).reshape(-1)
            jn = np.zeros((base.size, n_out))
            for k in range(base.size):
                vals = []
                for sign in (1, -1):
                    pert = base.copy()
                    pert[k] += sign * eps
                    args = list(inputs)
                    # Keep requires_grad: the function may itself differentiate (gradgradcheck).
                    args[ii] = _creation.tensor(pert.reshape(x.shape), dtype=x.dtype,
                                                requires_grad=True)
                    vals.append(_tuple(func(*args))[oi].detach().numpy().astype(np.float64).reshape(-1))
                jn[k] = (vals[0] - vals[1]) / (2 * eps)
            ja = np.zeros((base.size, n_out))
            for j in range(n_out):
                ct = np.zeros(n_out)
                ct[j] = 1.0
                outs2 = _tuple(func(*inputs))
                g = autograd_grad(outs2[oi], x, _creation.tensor(ct.reshape(out.shape), dtype=out.dtype),
                                  allow_unused=True)[0]
                ja[:, j] = 0.0 if g is None else g.detach().numpy().astype(np.float64).reshape(-1)
            num.append(jn)
            ana.append(ja)
    return num, ana


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False, check_forward_ad=False,
              check_backward_ad=True, fast_mode=False, masked=None):
    """Matches `torch.autograd.gradcheck` (slow mode: full Jacobians, real inputs)."""
    inputs = _tuple(inputs)
    num, ana = _jacobians(func, inputs, eps)
    for n, a in zip(num, ana):
        if not np.allclose(a, n, rtol=rtol, atol=atol):
            if raise_exception:
                raise GradcheckError(f"Jacobian mismatch for output 0 with respect to input 0,\n"
                                     f"numerical:{n}\nanalytical:{a}\n")
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False, masked=False):
    """Matches `torch.autograd.gradgradcheck`: gradcheck of the first derivative."""
    from .. import _creation
    from . import grad as autograd_grad
    inputs = _tuple(inputs)
    outs = _tuple(func(*inputs))
    if grad_outputs is None:
        grad_outputs = tuple(_creation.ones_like(o) for o in outs)
    diff = [t for t in inputs if hasattr(t, "requires_grad") and t.requires_grad]

    def first(*xs):
        o = _tuple(func(*xs))
        d = [x for x in xs if hasattr(x, "requires_grad") and x.requires_grad]
        return autograd_grad(o, d, _tuple(grad_outputs), create_graph=True, allow_unused=True)
    return gradcheck(first, inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception) \
        if diff else True
