"""Matches `torch.utils.flop_counter`: FlopCounterMode counts matmul/conv/attention FLOPs.

Counts are torch's: the aten op each jtorch op becomes on CPU (`F.linear` is `aten.addmm` with a
bias, else `aten.mm`; batched `matmul` and `einsum` are `aten.bmm`;
matrix-vector products count 0, as torch's CPU kernels do) and torch's formulas. Backward FLOPs
are counted when `backward()` runs inside the mode, per input that needs a gradient, and are
attributed to the modules that ran the forward op. Attention counts only off the CPU (torch's
CPU attention kernel has no FLOP formula).
"""
from __future__ import annotations

import math
from collections import defaultdict

from .._ops import OpOverloadPacket
from ._python_dispatch import TorchDispatchMode, _MODES

_PACKETS: dict = {}


def _packet(name):
    p = _PACKETS.get(name)
    if p is None:
        p = _PACKETS[name] = OpOverloadPacket("aten", name, fn=lambda *a, **k: None)
    return p


def mm_flop(a_shape, b_shape, *args, out_shape=None, **kwargs) -> int:
    """Matches `torch.utils.flop_counter.mm_flop`: 2*m*k*n."""
    m, k = a_shape
    k2, n = b_shape
    return 2 * m * k * n


def bmm_flop(a_shape, b_shape, out_shape=None, **kwargs) -> int:
    """Matches `torch.utils.flop_counter.bmm_flop`: 2*b*m*k*n."""
    b, m, k = a_shape
    return 2 * b * m * k * b_shape[2]


def conv_flop_count(x_shape, w_shape, out_shape, transposed: bool = False) -> int:
    """Matches `torch.utils.flop_counter.conv_flop_count`."""
    spatial = (x_shape if transposed else out_shape)[2:]
    return 2 * x_shape[0] * math.prod(spatial) * math.prod(w_shape)


def sdpa_flop_count(query_shape, key_shape, value_shape) -> int:
    """Matches `torch.utils.flop_counter.sdpa_flop_count`: the two batched matmuls."""
    b, h, sq, d = query_shape
    sk, dv = key_shape[-2], value_shape[-1]
    return 2 * b * h * sq * d * sk + 2 * b * h * sq * sk * dv


def _matmul(a, b):
    """(aten name, flops) of torch.matmul's CPU decomposition."""
    if b.ndim == 1 or (a.ndim == 1 and b.ndim == 1):
        return None, 0  # mv / dot: no formula in torch
    k, n = b.shape[-2], b.shape[-1]
    if b.ndim == 2:  # folded into one mm
        m = math.prod(a.shape[:-1])
        return "mm", 2 * m * k * n
    m = 1 if a.ndim == 1 else a.shape[-2]
    batch = math.prod(_broadcast(tuple(a.shape[:-2]), tuple(b.shape[:-2])))
    return "bmm", 2 * batch * m * k * n


def _broadcast(a, b):
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    return tuple(max(x, y) for x, y in zip(a, b))


def _einsum(eq, ops):
    if len(ops) != 2 or "..." in eq:
        return None, 0
    ins, _, out = eq.replace(" ", "").partition("->")
    s0, s1 = ins.split(",")
    sizes = {**dict(zip(s0, ops[0].shape)), **dict(zip(s1, ops[1].shape))}
    keep = (set(s0) & set(s1)) | set(out)
    return "bmm", 2 * math.prod(sizes[c] for c in keep)


def _count(op, args, kwargs, out):
    """(aten name, forward flops, backward name, flops per input position needing grad)."""
    name = op.name
    a = args
    if name in ("mm", "bmm"):
        f = 2 * math.prod(a[0].shape) * a[1].shape[-1]
        return name, f, name, {0: f, 1: f}
    if name in ("addmm", "baddbmm"):
        f = 2 * math.prod(a[1].shape) * a[2].shape[-1]
        back = "mm" if name == "addmm" else "bmm"
        return name, f, back, {1: f, 2: f}
    if name == "linear":
        x, w = a[0], a[1]
        bias = a[2] if len(a) > 2 else kwargs.get("bias")
        f = 2 * math.prod(x.shape[:-1]) * w.shape[0] * w.shape[1]
        key = "addmm" if bias is not None else "mm"
        return key, f, "mm", {0: f, 1: f}
    if name == "matmul":
        key, f = _matmul(a[0], a[1])
        return key, f, key, {0: f, 1: f}
    if name == "einsum":
        key, f = _einsum(a[0], a[1])
        return key, f, key, {(1, 0): f, (1, 1): f}
    if name in ("_conv", "_conv_transpose"):
        f = conv_flop_count(tuple(a[0].shape), tuple(a[1].shape), tuple(out.shape),
                            name == "_conv_transpose")
        return "convolution", f, "convolution_backward", {0: f, 1: f}
    if name == "_sdpa" and a[0].device.type != "cpu":
        f = sdpa_flop_count(tuple(a[0].shape), tuple(a[1].shape), tuple(a[2].shape))
        key = "_scaled_dot_product_efficient_attention"
        return key, f, key + "_backward", {0: f, 1: f, 2: f}
    return None, 0, None, {}


class FlopCounterMode(TorchDispatchMode):
    """Matches `torch.utils.flop_counter.FlopCounterMode` (see the module docstring)."""

    def __init__(self, mods=None, depth: int = 2, display: bool = True, custom_mapping=None):
        super().__init__()
        self.depth, self.display = depth, display
        self.flop_counts = defaultdict(lambda: defaultdict(int))
        self._custom = {getattr(k, "__name__", str(k)).split(".")[0]: v
                        for k, v in (custom_mapping or {}).items()}
        self._names: dict = {}
        self._parents = ["Global"]
        self._hooks = []

    def get_total_flops(self) -> int:
        return sum(self.flop_counts["Global"].values())

    def get_flop_counts(self) -> dict:
        return {k: dict(v) for k, v in self.flop_counts.items()}

    def get_table(self, depth=None) -> str:
        depth = self.depth if depth is None else depth
        rows = [("Module", "FLOP", "% Total")]
        total = max(self.get_total_flops(), 1)
        for mod, counts in self.flop_counts.items():
            level = 0 if mod == "Global" else mod.count(".") + 1
            if level > depth:
                continue
            rows.append((" " * level + mod, f"{sum(counts.values()):,}",
                         f"{100 * sum(counts.values()) / total:.2f}%"))
            for k, v in counts.items():
                rows.append((" " * (level + 1) + "- " + str(k), f"{v:,}", f"{100 * v / total:.2f}%"))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows)

    # -- module tracking (torch's names: the root's class name, then dotted child names) --
    def _pre(self, module, args):
        name = self._names.get(module)
        if name is None:
            name = self._names[module] = type(module).__name__
        for cname, child in module.named_children():
            self._names.setdefault(child, f"{name}.{cname}")
        self._parents.append(name)

    def _post(self, module, args, out):
        if len(self._parents) > 1:
            self._parents.pop()

    def __enter__(self):
        from ..nn.modules._hooks import register_module_forward_hook, register_module_forward_pre_hook
        self.flop_counts.clear()
        self._hooks = [register_module_forward_pre_hook(self._pre),
                       register_module_forward_hook(self._post, always_call=True)]
        return super().__enter__()

    def __exit__(self, *exc):
        for h in self._hooks:
            h.remove()
        self._hooks = []
        super().__exit__(*exc)
        if self.display:
            print(self.get_table())

    def _add(self, key, flops, parents):
        p = _packet(key)
        for mod in dict.fromkeys(parents):
            self.flop_counts[mod][p] += flops

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        op = getattr(func, "_jtorch_op", None)
        if op is None:
            return out
        if op.name in self._custom:
            self._add(op.name, self._custom[op.name](*[getattr(a, "shape", a) for a in args]),
                      self._parents)
            return out
        key, f, back, per_input = _count(op, args, kwargs, out)
        if key is None:
            return out
        parents = list(self._parents)
        self._add(key, f, parents)
        node = getattr(out, "grad_fn", None)
        if node is not None and per_input and getattr(node, "ctx", None):
            paths = node.ctx[1]
            bflops = sum(per_input.get(p, 0) for p in paths)

            def count_backward(grad_outputs):
                if self in _MODES:
                    self._add(back, bflops, parents)
            node.register_prehook(count_backward)
        return out
