"""The `Optimizer` base class and the one helper every optimizer's `step()` uses.

An optimizer's math is a pure function over jax arrays for ONE parameter:

    def update(p, g, s, h, o) -> (new_p, new_s)

`p`, `g` are the parameter and gradient arrays, `s` a dict of state arrays (torch's key
names), `h` a dict of hyper-parameters (traced float64 scalars, so a new `lr` every step
never recompiles) and `o` a hashable tuple of static options (booleans like `nesterov`).
`_update_group` runs it for all parameters of a group in one jitted call and writes the
results back in place (visible through `p.data` and every view; versions bump).
"""
from __future__ import annotations

import functools
import warnings
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain

import jax
import jax.numpy as jnp

from .._compiled import audit as _audit
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad, no_grad

__all__ = ["Optimizer", "required", "register_optimizer_step_pre_hook",
           "register_optimizer_step_post_hook"]


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()

_global_pre_hooks: OrderedDict = OrderedDict()
_global_post_hooks: OrderedDict = OrderedDict()
_next_hook_id = [0]


class _RemovableHandle:
    """What `register_*_hook` returns: `.remove()` drops the hook."""

    def __init__(self, hooks: dict):
        self._hooks = hooks
        self.id = _next_hook_id[0]
        _next_hook_id[0] += 1

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _add_hook(hooks: dict, hook, prepend=False) -> _RemovableHandle:
    handle = _RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def register_optimizer_step_pre_hook(hook) -> _RemovableHandle:
    """Matches `torch.optim.optimizer.register_optimizer_step_pre_hook`."""
    return _add_hook(_global_pre_hooks, hook)


def register_optimizer_step_post_hook(hook) -> _RemovableHandle:
    """Matches `torch.optim.optimizer.register_optimizer_step_post_hook`."""
    return _add_hook(_global_post_hooks, hook)


def _with_hooks(step):
    """Wrap a subclass's `step` with the pre/post hooks (global first, then the instance's)."""
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if _audit.LOG is not None:  # a compiled function is being traced: note the optimizer
            _audit.note(self)
        for hook in chain(_global_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            res = hook(self, args, kwargs)
            if res is not None:
                if not (isinstance(res, tuple) and len(res) == 2):
                    raise RuntimeError(f"{hook} must return None or a tuple of (new_args, "
                                       f"new_kwargs), but got {res}.")
                args, kwargs = res
        out = step(self, *args, **kwargs)
        for hook in chain(self._optimizer_step_post_hooks.values(), _global_post_hooks.values()):
            hook(self, args, kwargs)
        return out
    wrapper._jtorch_hooked = True
    return wrapper


class Optimizer:
    """Matches `torch.optim.Optimizer`.

    State tensors are jtorch Tensors under torch's key names; `step` is a float32 (float64
    under a float64 default dtype) 0-dim tensor as in torch. `foreach`, `fused` and
    `capturable` are accepted and change nothing (every step is one jitted call);
    `differentiable=True` is accepted but the step is not recorded by autograd.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_jtorch_hooked", False):
            cls.step = _with_hooks(step)

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ---- groups ----------------------------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Matches `torch.optim.Optimizer.add_param_group`."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            params = list(params)
        names = []
        plain = []
        for p in params:
            if isinstance(p, tuple) and len(p) == 2:  # (name, tensor) pairs
                names.append(p[0])
                p = p[1]
            plain.append(p)
        if names and len(names) != len(plain):
            raise ValueError("all optimizer params should be with/without names. Some param "
                             "names are missing")
        for p in plain:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not self.defaults.get("differentiable", False) and not (p.is_leaf
                                                                       or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        param_group["params"] = plain
        if names:
            param_group["param_names"] = names
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        if len({id(p) for p in plain}) != len(plain):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in plain):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        for group in self.param_groups:
            for k, v in self._group_setdefaults().items():
                group.setdefault(k, v)
        for st in self.state.values():
            # Checkpoints from torch < 1.12 keep `step` as a Python number.
            if isinstance(st, dict) and type(st.get("step")) in (int, float):
                st["step"] = scalar_tensor(float(st["step"]))

    def _group_setdefaults(self) -> dict:
        """Options that older state dicts may lack (filled in by `load_state_dict`)."""
        return {k: v for k, v in self.defaults.items()
                if k in ("foreach", "maximize", "differentiable", "capturable", "fused",
                         "decoupled_weight_decay", "nesterov", "amsgrad", "centered")}

    def __repr__(self):
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    # ---- gradients -------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Matches `torch.optim.Optimizer.zero_grad`."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g._set_array(jnp.zeros_like(g._data))

    def step(self, closure=None):
        """Matches `torch.optim.Optimizer.step` (subclasses implement it)."""
        raise NotImplementedError

    # ---- hooks -----------------------------------------------------------------------------
    def register_step_pre_hook(self, hook) -> _RemovableHandle:
        """Matches `torch.optim.Optimizer.register_step_pre_hook`."""
        return _add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook) -> _RemovableHandle:
        """Matches `torch.optim.Optimizer.register_step_post_hook`."""
        return _add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend: bool = False) -> _RemovableHandle:
        """Matches `torch.optim.Optimizer.register_state_dict_pre_hook`."""
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend: bool = False) -> _RemovableHandle:
        """Matches `torch.optim.Optimizer.register_state_dict_post_hook`."""
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend: bool = False) -> _RemovableHandle:
        """Matches `torch.optim.Optimizer.register_load_state_dict_pre_hook`."""
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend: bool = False) -> _RemovableHandle:
        """Matches `torch.optim.Optimizer.register_load_state_dict_post_hook`."""
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ---- state dicts -----------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Matches `torch.optim.Optimizer.state_dict`: parameters become integer ids.

        State tensors are returned by reference, as torch does.
        """
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        ids: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                ids.setdefault(id(p), len(ids))
            packed["params"] = [ids[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(ids[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        out = {"state": state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            res = hook(self, out)
            if res is not None:
                out = res
        return out

    def load_state_dict(self, state_dict: dict) -> None:
        """Matches `torch.optim.Optimizer.load_state_dict`."""
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            res = hook(self, state_dict)
            if res is not None:
                state_dict = res
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(s["params"] for s in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                state[p] = {key: _cast_state(p, key, val) for key, val in v.items()}
            else:
                state[k] = v
        new_groups = []
        for g, s in zip(groups, saved_groups):
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
            new_groups.append(s)
        self.__setstate__({"state": state, "param_groups": new_groups})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)


def _cast_state(p: Tensor, key, value):
    """Loaded state follows its parameter's dtype, except `step` (kept as saved, like torch)."""
    if isinstance(value, Tensor):
        if key != "step" and p.is_floating_point() and value.is_floating_point():
            return value.to(dtype=p.dtype)
        return value
    if isinstance(value, dict):
        return {k: _cast_state(p, key, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(p, key, v) for v in value)
    return value


# ---- the shared step machinery ---------------------------------------------------------------

def scalar_tensor(value: float) -> Tensor:
    """A 0-dim state tensor (`step`, `eta`, ...) in torch's scalar dtype."""
    from .. import _dtype
    d = _dtype.get_default_dtype()
    np_dtype = jnp.float64 if d is _dtype.float64 else jnp.float32
    return Tensor._from_array(jnp.asarray(value, dtype=np_dtype))


def zeros_like_state(p: Tensor, value: float = 0.0) -> Tensor:
    """A state tensor shaped and typed like `p`, filled with `value`.

    For a complex `p` both components get `value` (torch treats them as two real numbers).
    """
    if jnp.iscomplexobj(p._data):
        value = complex(value, value)
    return Tensor._from_array(jnp.full(p._data.shape, value, dtype=p._data.dtype))


def _to_real(a):
    # torch runs complex parameters through view_as_real: state is kept per component.
    return jnp.stack([a.real, a.imag], -1) if jnp.iscomplexobj(a) else a


def _from_real(a, like):
    return jax.lax.complex(a[..., 0], a[..., 1]).astype(like.dtype) if jnp.iscomplexobj(like) else a


@functools.lru_cache(maxsize=None)
def _multi(update):
    """One jitted call running `update` over every parameter of a group."""
    def run(ps, gs, ss, h, o):
        h = {k: jnp.asarray(v, jnp.float64) for k, v in h.items()}
        new_ps, new_ss = [], []
        for p, g, s in zip(ps, gs, ss):
            rp = _to_real(p)
            rs = {k: (None if v is None else _to_real(v)) for k, v in s.items()}
            np_, ns = update(rp, _to_real(g), rs, h, o)
            new_ps.append(_from_real(np_, p))
            # A state entry created by `update` (None before) is shaped like the parameter.
            new_ss.append({k: _from_real(v, p if s.get(k) is None and v.ndim else s.get(k, v))
                           for k, v in ns.items()})
        return new_ps, new_ss
    return jax.jit(run, static_argnums=(4,))


def hyper(value):
    """A group option as a jit argument: Tensors pass their array, numbers become floats."""
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, jax.Array):  # a learning rate lifted to a traced input by jtorch.compile
        return value
    return float(value)


def update_group(opt: Optimizer, group: dict, update, init_state, h: dict, o: tuple,
                 keys: tuple) -> None:
    """Run `update` over the group's parameters that have a gradient and write back in place.

    `init_state(p, group)` creates a parameter's state on first use; `keys` names the state
    entries that `update` reads and returns.
    """
    params = [p for p in group["params"] if p.grad is not None]
    if not params:
        return
    states = []
    for p in params:
        # torch creates no state entry for an optimizer without state (SGD without momentum).
        st = opt.state.get(p) or init_state(p, group)
        if st:
            opt.state[p] = st
        states.append(st)
    ps = [p._data for p in params]
    gs = [p.grad._data for p in params]
    ss = [{k: (st[k]._data if st.get(k) is not None else None) for k in keys} for st in states]
    try:
        new_ps, new_ss = _multi(update)(ps, gs, ss, h, o)
    except ValueError:
        # Parameters on different devices (tensor parallel: process-spanning DTensors beside
        # plain parameters): one update per device set.
        sets = [a.sharding.device_set for a in ps]
        if len({frozenset(d) for d in sets}) < 2:
            raise
        new_ps, new_ss = [None] * len(ps), [None] * len(ps)
        for d in {frozenset(d) for d in sets}:
            ix = [i for i, s in enumerate(sets) if s == d]
            sub = _multi(update)([ps[i] for i in ix], [gs[i] for i in ix], [ss[i] for i in ix],
                                 h, o)
            for i, a, b in zip(ix, *sub):
                new_ps[i], new_ss[i] = a, b
    with no_grad():
        for p, np_ in zip(params, new_ps):
            p._set_array(np_)
        for p, st, ns in zip(params, states, new_ss):
            for k, v in ns.items():
                if st.get(k) is None:
                    st[k] = Tensor._from_array(v)
                    opt.state[p] = st
                else:
                    st[k]._set_array(v)


def eval_closure(closure):
    """Call the closure (if any) with gradients on, as torch's `step(closure)` does."""
    if closure is None:
        return None
    with enable_grad():
        return closure()


def lerp(x, y, w):
    """torch's lerp formula (it switches form at weight 0.5, which changes the rounding)."""
    # `w` is a traced scalar: cond runs one branch (a select would compute both arrays).
    return jax.lax.cond(jnp.abs(w) < 0.5, lambda: x + w * (y - x), lambda: y - (y - x) * (1 - w))


def cast(v, like):
    """A float64 scalar computed from hyper-parameters, cast to the parameter's dtype."""
    return jnp.asarray(v).astype(like.dtype)


def check_hparams(lr=0.0, eps=0.0, betas=(0.0, 0.0), weight_decay=0.0, **others):
    """torch's constructor checks: the same ValueError messages."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    for i, b in enumerate(betas):
        if not 0.0 <= b < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {b}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")
    for name, v in others.items():
        if not 0.0 <= v:
            raise ValueError(f"Invalid {name} value: {v}")
