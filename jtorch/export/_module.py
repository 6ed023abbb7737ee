"""`ExportedProgram.module()`: an nn.Module that checks its inputs against the exported specs
and runs the compiled program with its own parameters and buffers."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from .. import random as _random
from .._tensor import Tensor
from ..autograd import engine
from ..autograd.grad_mode import _MODE
from ..nn.modules.module import Module
from . import _spec


class ExportedModule(Module):
    """What `ExportedProgram.module()` returns (torch's is a GraphModule). Outputs carry gradients
    to the parameters (and to inputs that require grad) when grad mode is on."""

    def __init__(self, ep):
        super().__init__()
        object.__setattr__(self, "_ep", ep)
        meta = ep._meta
        slots = []
        for (name, kind, persistent), t in zip(meta["state"], ep._state_dict.values()):
            owner, attr = self._holder(name)
            if kind == "parameter":
                owner.register_parameter(attr, t)
                slots.append((owner._parameters, attr))
            else:
                owner.register_buffer(attr, t, persistent=persistent)
                slots.append((owner._buffers, attr))
        object.__setattr__(self, "_slots", slots)
        in_c = meta["in_spec"]["c"]
        object.__setattr__(self, "_n_plain", len(in_c[0]["c"]) if not in_c[1]["keys"] and
                           all(c["k"] == "T" for c in in_c[0]["c"]) else -1)
        object.__setattr__(self, "_checks", _Checks(meta))
        mutated = {n: i for i, (n, _, _) in enumerate(meta["state"])}
        object.__setattr__(self, "_mutated", [mutated[n] for n in meta["mutated"]])
        object.__setattr__(self, "_vjp_cache", {})

    def train(self, mode: bool = True):
        """Raises as torch's: the program was exported in one mode (export again in the other)."""
        raise NotImplementedError("Calling train() is not supported yet.")

    def eval(self):
        raise NotImplementedError("Calling eval() is not supported yet.")

    def _holder(self, dotted):
        path, _, attr = dotted.rpartition(".")
        m = self
        for part in path.split(".") if path else ():
            if part not in m._modules:
                m.add_module(part, Module())
            m = m._modules[part]
        return m, attr

    def forward(self, *args, **kwargs):
        meta = self._ep._meta
        if not kwargs and len(args) == self._n_plain and all(type(a) is Tensor for a in args):
            ins = args
        else:
            spec, ins, _ = _spec.flatten_call(meta.get("arg_names", ()), args, kwargs)
            if spec != meta["in_spec"]:
                raise ValueError("Trying to flatten user inputs with exported input tree spec: "
                                 f"{_spec.text(meta['in_spec'])} but actually got inputs with tree "
                                 f"spec of: {_spec.text(spec)}. Please check that the inputs have "
                                 "the same number and type of args and kwargs as the ones used "
                                 "when exporting.")
        arrays = [a._sa if a._st is None else a._value() for a in ins]
        self._checks(arrays)
        state = [s[k] for s, k in self._slots]
        flat = [t._data for t in state] + arrays
        if meta["rng"]:
            flat.append(_random.default_generator._key)
        call = self._ep._caller()
        try:
            if _MODE.get() & 1 and (any(t._rg for t in state) or any(t._rg for t in ins)):
                outs = self._run_diff(call, flat, list(state) + list(ins))
            else:
                outs = [Tensor._from_array(o) for o in call(*flat)]
        except ValueError as e:
            if "exported for platforms" not in str(e):
                raise
            raise RuntimeError(
                f"This program was exported for platforms {tuple(self._ep.platforms)}, not "
                f"for this machine's ({jax.default_backend()}); export it with "
                f"platforms=(..., '{jax.default_backend()}')") from None
        n = meta["n_out"]
        for i, o in zip(self._mutated, outs[n:]):
            state[i]._set_array(o._data)
        if meta["rng"]:
            _random.default_generator._key = outs[-1]._data
        return _spec.unflatten(meta["out_spec"], iter(outs[:n]))

    def _run_diff(self, call, flat, tensors):
        """One differentiable call: the floating outputs share a node whose pullback is the
        program's VJP (computed with the outputs in one jitted call, as compiled forwards do)."""
        diff = tuple(i for i, t in enumerate(tensors) if t._rg)
        fn = self._vjp_cache.get(diff)
        if fn is None:
            fn = self._vjp_cache[diff] = _vjp_program(call, diff, self._ep._exp.out_avals)
        (fl, other), pb = fn(flat)
        node = engine.node_type("ExportedProgramBackward")(pb, tuple(tensors[i]._edge() for i in diff), fl)
        fl_it, ot_it = iter(enumerate(fl)), iter(other)
        res = []
        for aval in self._ep._exp.out_avals:
            if jnp.issubdtype(aval.dtype, jnp.inexact):
                j, a = next(fl_it)
                t = Tensor._from_array(a)
                t._node, t._onr, t._rg = node, j, True
            else:
                t = Tensor._from_array(next(ot_it))
            res.append(t)
        return res


def _vjp_program(call, diff, out_avals):
    """jit of flat -> ((floating outputs, other outputs), pullback of the floating ones)."""
    is_fl = [jnp.issubdtype(a.dtype, jnp.inexact) for a in out_avals]

    def g(flat):
        def f(*dv):
            a = list(flat)
            for i, v in zip(diff, dv):
                a[i] = v
            outs = call(*a)
            return [o for o, k in zip(outs, is_fl) if k], [o for o, k in zip(outs, is_fl) if not k]
        fl, pb, other = jax.vjp(f, *[flat[i] for i in diff], has_aux=True)
        return (fl, other), pb
    return jax.jit(g)


class _Checks:
    """The exported input specs (ranks, dtypes, static sizes, dynamic ranges) checked at call
    time, with torch's error types and the input's name in the message."""

    def __init__(self, meta):
        p = meta["plan"]
        self.paths, self.dims, self.roots = p["paths"], p["dims"], p["roots"]
        self.dtypes = meta["in_dtypes"]
        self.np_dtypes = [jnp.dtype(d) for d in self.dtypes]
        self.static = [tuple(d) if all(isinstance(s, int) for s in d) else None for d in self.dims]
        self.ranks = [len(d) for d in self.dims]

    def __call__(self, arrays):
        for i, a in enumerate(arrays):
            if a.dtype != self.np_dtypes[i] or (a.shape != self.static[i] if self.static[i] is not None
                                                else a.ndim != self.ranks[i] or self.roots):
                self._check(i, a)
        if self.roots:
            self._check_dynamic(arrays)

    def _check(self, i, a):
        path, dims = self.paths[i], self.dims[i]
        if len(a.shape) != len(dims):
            raise RuntimeError(f"Expected input {path} to have {len(dims)} dimensions (as the "
                               f"exported program), but got {len(a.shape)}: shape {list(a.shape)}")
        for j, (s, d) in enumerate(zip(a.shape, dims)):
            if isinstance(d, int) and s != d:
                raise AssertionError(f"Guard failed: {path}.size()[{j}] == {d}")
        if a.dtype != self.np_dtypes[i]:
            raise RuntimeError(f"Expected input {path} to have dtype {self.dtypes[i]} (as the "
                               f"exported program), but got {a.dtype}; convert it with .to()")

    def _check_dynamic(self, arrays):
        seen = {}
        for i, a in enumerate(arrays):
            path = self.paths[i]
            for j, (s, d) in enumerate(zip(a.shape, self.dims[i])):
                if isinstance(d, int):
                    continue
                name, k, b = d
                where = f"{path}.size()[{j}]"
                if (s - b) % k:
                    raise AssertionError(f"Guard failed: {where} is {s}, not of the form {_form(d)}")
                v = (s - b) // k
                lo, hi = self.roots[name]
                if v < lo:
                    raise AssertionError(f"Guard failed: {where} >= {k * lo + b} ({name} >= {lo})")
                if hi is not None and v > hi:
                    raise AssertionError(f"Guard failed: {where} <= {k * hi + b} ({name} <= {hi})")
                if name in seen and seen[name][0] != v:
                    other = seen[name][1]
                    raise AssertionError(f"Guard failed: {where} == {other} ({_form(d)} with "
                                         f"{name} = {seen[name][0]} from {other})")
                seen.setdefault(name, (v, where))


def _form(d):
    name, k, b = d
    s = name if k == 1 else f"{k}*{name}"
    return s if b == 0 else f"{s} + {b}" if b > 0 else f"{s} - {-b}"
