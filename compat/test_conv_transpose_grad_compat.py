"""Transposed convolutions: values and gradients (input, weight, bias; double backward; forward
mode) equal torch's over strides, padding, output_padding, groups and dilation, eagerly and
compiled. The weight gradient is computed as torch's gemm + col2im (jtorch/ops/nn_conv.py), not
as JAX's transpose of the input-dilated convolution, which XLA:CPU ran 10-25x slower."""
import numpy as np
import pytest

import jtorch

torch = pytest.importorskip("torch")

# (nd, N, Cin, Cout, size, kernel, stride, padding, output_padding, groups, dilation)
CASES = [
    (2, 2, 4, 6, 5, 4, 2, 1, 0, 1, 1),   # DCGAN's layer
    (2, 2, 4, 6, 5, 3, 2, 1, 1, 2, 1),
    (1, 1, 2, 3, 7, 3, 3, 0, 2, 1, 2),
    (2, 1, 2, 3, 4, 2, 3, 1, 0, 1, 1),   # stride above the kernel: empty phases
    (3, 2, 4, 4, 4, 3, 2, 2, 1, 4, 2),
    (1, 2, 3, 2, 5, 1, 2, 0, 1, 1, 1),
    (2, 1, 2, 3, 5, 2, 2, 3, 0, 1, 1),   # padding above the kernel: cropped output
    (3, 1, 2, 2, 3, 2, 1, 0, 0, 1, 1),
]
IDS = [f"{c[0]}d-k{c[5]}s{c[6]}p{c[7]}op{c[8]}g{c[9]}d{c[10]}" for c in CASES]


def _data(case):
    nd, n, cin, cout, size, k, s, p, op, g, d = case
    rng = np.random.default_rng(hash(case) % 2**32)
    x = rng.standard_normal((n, cin) + (size,) * nd)
    w = rng.standard_normal((cin, cout // g) + (k,) * nd)
    b = rng.standard_normal(cout)
    gy_shape = (n, cout) + ((size - 1) * s - 2 * p + d * (k - 1) + op + 1,) * nd
    return [a.astype(np.float32) for a in (x, w, b, rng.standard_normal(gy_shape))]


def _fn(L, case):
    nd, s, p, op, g, d = case[0], case[6], case[7], case[8], case[9], case[10]
    conv = getattr(L.nn.functional, f"conv_transpose{nd}d")
    return lambda x, w, b: conv(x, w, b, stride=s, padding=p, output_padding=op, groups=g,
                                dilation=d)


def _run(L, case, arrays, compiled=False, double=False):
    x, w, b, gy = [L.tensor(a) for a in arrays]
    for t in (x, w, b, gy):
        t.requires_grad_()
    f = _fn(L, case)

    def step(x, w, b, gy):
        y = f(x, w, b)
        gx, gw, gb = L.autograd.grad(y, (x, w, b), gy, create_graph=double)
        if not double:
            return y, gx, gw, gb
        # double backward: the gradients' own gradient
        return tuple(L.autograd.grad((gx * gx).sum() + (gw * gw).sum(), (x, w, gy)))
    if compiled:
        step = L.compile(step)
        step(x, w, b, gy)  # the first call runs eagerly; the second runs the program
    return [o.detach().numpy() for o in step(x, w, b, gy)]


def _compare(case, names, compiled=False, **kw):
    arrays = _data(case)  # torch runs eagerly (torch.compile would spend a minute in inductor)
    for name, r, o in zip(names, _run(torch, case, arrays, **kw),
                          _run(jtorch, case, arrays, compiled, **kw)):
        np.testing.assert_allclose(o, r, rtol=1e-4, atol=1e-4, err_msg=name)


FIRST = ["y", "grad input", "grad weight", "grad bias"]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_and_gradients_match_torch(case):
    _compare(case, FIRST)


@pytest.mark.parametrize("case", [CASES[0], CASES[4]], ids=[IDS[0], IDS[4]])
def test_compiled_values_and_gradients_match_torch(case):
    _compare(case, FIRST, compiled=True)


@pytest.mark.parametrize("case", [CASES[1], CASES[2]], ids=[IDS[1], IDS[2]])
def test_double_backward_matches_torch(case):
    _compare(case, ["gradgrad input", "gradgrad weight", "gradgrad grad_output"], double=True)


@pytest.mark.parametrize("case", [CASES[0]], ids=[IDS[0]])
def test_forward_mode_matches_torch(case):
    x, w, b, _ = _data(case)
    rng = np.random.default_rng(1)
    tx, tw = rng.standard_normal(x.shape).astype(np.float32), rng.standard_normal(w.shape).astype(np.float32)
    outs = []
    for L in (torch, jtorch):
        f = _fn(L, case)
        _, t = L.func.jvp(lambda x, w: f(x, w, L.tensor(b)), (L.tensor(x), L.tensor(w)),
                          (L.tensor(tx), L.tensor(tw)))
        outs.append(t.detach().numpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-4, atol=1e-4)
