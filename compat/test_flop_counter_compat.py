"""FlopCounterMode and TorchDispatchMode vs torch: the same counts per module and aten op."""
from __future__ import annotations

import importlib

import pytest

from compat._harness import randn


def _fc(lib):
    return importlib.import_module(lib.__name__ + ".utils.flop_counter").FlopCounterMode


def _t(lib, *shape, grad=False, seed=0):
    return lib.tensor(randn(*shape, dtype="float32", seed=seed), requires_grad=grad)


CASES = {
    "linear_bias": lambda lib, F: F.linear(_t(lib, 4, 8), _t(lib, 16, 8), _t(lib, 16)),
    "linear_nobias_3d": lambda lib, F: F.linear(_t(lib, 2, 4, 8), _t(lib, 16, 8)),
    "linear_bias_4d": lambda lib, F: F.linear(_t(lib, 2, 2, 4, 8), _t(lib, 16, 8), _t(lib, 16)),
    "linear_1d": lambda lib, F: F.linear(_t(lib, 8), _t(lib, 16, 8), _t(lib, 16)),
    "matmul_3d_2d": lambda lib, F: _t(lib, 2, 4, 8) @ _t(lib, 8, 5),
    "matmul_batched_broadcast": lambda lib, F: _t(lib, 2, 1, 4, 5) @ _t(lib, 3, 5, 6),
    "matmul_mv_dot_vecmat": lambda lib, F: [_t(lib, 16, 8) @ _t(lib, 8), _t(lib, 8) @ _t(lib, 8),
                                            _t(lib, 16) @ _t(lib, 16, 8)],
    "mm_bmm_addmm_baddbmm": lambda lib, F: [
        lib.mm(_t(lib, 3, 4), _t(lib, 4, 5)), lib.bmm(_t(lib, 2, 3, 4), _t(lib, 2, 4, 5)),
        lib.addmm(_t(lib, 3, 5), _t(lib, 3, 4), _t(lib, 4, 5)),
        lib.baddbmm(_t(lib, 2, 3, 5), _t(lib, 2, 3, 4), _t(lib, 2, 4, 5))],
    "einsum": lambda lib, F: lib.einsum("ij,kj->ik", _t(lib, 4, 8), _t(lib, 16, 8)),
    "conv2d_strided": lambda lib, F: F.conv2d(_t(lib, 2, 3, 9, 9), _t(lib, 5, 3, 3, 3), padding=1, stride=2),
    "conv1d_3d_groups": lambda lib, F: [
        F.conv1d(_t(lib, 2, 3, 10), _t(lib, 4, 3, 3)), F.conv3d(_t(lib, 1, 2, 5, 5, 5), _t(lib, 3, 2, 2, 2, 2)),
        F.conv2d(_t(lib, 1, 4, 6, 6), _t(lib, 4, 2, 3, 3), groups=2)],
    "conv_transpose2d": lambda lib, F: F.conv_transpose2d(_t(lib, 2, 3, 9, 9), _t(lib, 3, 5, 3, 3), stride=2),
    "sdpa_cpu": lambda lib, F: F.scaled_dot_product_attention(*[_t(lib, 2, 4, 6, 8)] * 3),
    "linear_backward": lambda lib, F: F.linear(_t(lib, 4, 8, grad=True), _t(lib, 16, 8, grad=True),
                                               _t(lib, 16, grad=True)).sum().backward(),
    "linear_backward_weight_only": lambda lib, F: F.linear(_t(lib, 4, 8), _t(lib, 16, 8, grad=True),
                                                           _t(lib, 16)).sum().backward(),
    "conv_backward": lambda lib, F: F.conv2d(_t(lib, 2, 3, 6, 6, grad=True), _t(lib, 4, 3, 3, 3, grad=True),
                                             stride=2).sum().backward(),
    "bmm_backward": lambda lib, F: lib.bmm(_t(lib, 2, 3, 4, grad=True), _t(lib, 2, 4, 5)).sum().backward(),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_flop_counts(compat, name):
    def f(lib):
        with _fc(lib)(display=False) as m:
            CASES[name](lib, lib.nn.functional)
        return m.get_total_flops(), m.get_flop_counts()
    compat.value(f)


def _net(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)
            self.block = nn.Sequential(nn.Linear(4 * 6 * 6, 16), nn.ReLU(), nn.Sequential(nn.Linear(16, 4)))

        def forward(self, t):
            return self.block(lib.relu(self.conv(t)).flatten(1))
    return Net()


def test_module_hierarchy_forward_and_backward(compat):
    def f(lib):
        lib.manual_seed(0)
        net = _net(lib)
        x = _t(lib, 2, 3, 6, 6)
        with _fc(lib)(display=False) as m:
            with lib.no_grad():
                net(x)
        fwd = m.get_flop_counts()
        with _fc(lib)(display=False) as m:
            net(x).sum().backward()
        return fwd, m.get_flop_counts(), m.get_total_flops()
    compat.value(f)


def test_backward_outside_the_mode_is_not_counted(compat):
    def f(lib):
        with _fc(lib)(display=False) as m:
            y = lib.mm(_t(lib, 3, 4, grad=True), _t(lib, 4, 5, grad=True)).sum()
        y.backward()
        return m.get_total_flops()
    compat.value(f)


def test_dispatch_mode_sees_ops(compat):
    def f(lib):
        pd = importlib.import_module(lib.__name__ + ".utils._python_dispatch")
        seen = []

        class D(pd.TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                seen.append((str(func.overloadpacket), types))
                return func(*args, **(kwargs or {}))
        x = _t(lib, 2, 3)
        xt = x.T  # views are jtorch-internal ops (not aten.permute)
        with D() as d:
            inside = pd._get_current_dispatch_mode() is d
            y = lib.mm(x, xt).relu() * 2
        return seen, y, inside, pd._get_current_dispatch_mode() is None, pd.is_traceable_wrapper_subclass(x)
    compat.value(f)
