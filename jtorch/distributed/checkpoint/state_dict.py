"""`torch.distributed.checkpoint.state_dict`: model and optimizer state dicts keyed by the
parameters' fully qualified names (wrappers' prefixes such as DDP's `module.` removed), as torch's
`get_model_state_dict` / `get_optimizer_state_dict` give them, and their setters."""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class StateDictOptions:
    """Matches `torch.distributed.checkpoint.state_dict.StateDictOptions` (accepted; jtorch's
    state is whole on every rank, so full and sharded state dicts are the same)."""
    full_state_dict: bool = False
    cpu_offload: bool = False
    ignore_frozen_params: bool = False
    keep_submodule_prefixes: bool = True
    strict: bool = True
    broadcast_from_rank0: bool = False
    flatten_optimizer_state_dict: bool = False
    dsd_fqn_modifiers: str = "_fqn_modifiers"


def _inner(model):
    """The module under DDP / compile wrappers (their prefixes are not part of FQNs)."""
    while True:
        for name in ("module", "_orig_mod"):
            if type(model).__name__ in ("DistributedDataParallel", "DataParallel",
                                        "OptimizedModule") and name in model._modules:
                model = model._modules[name]
                break
        else:
            return model


def _fqns(model):
    return {id(p): n for n, p in _inner(model).named_parameters()}


def get_model_state_dict(model, *, submodules=None, options=None):
    sd = _inner(model).state_dict()
    if options is not None and options.ignore_frozen_params:
        frozen = {n for n, p in _inner(model).named_parameters() if not p.requires_grad}
        sd = {k: v for k, v in sd.items() if k not in frozen}
    return sd


def _optims(optimizers):
    return list(optimizers) if isinstance(optimizers, (list, tuple)) else [optimizers]


def _init_optim_state(opt):
    """As torch: an optimizer without state takes one step with zero gradients and learning
    rate 0, so its state dict has every entry a checkpoint can be loaded into."""
    if opt.state:
        return
    from ... import zeros_like
    params = [p for g in opt.param_groups for p in g["params"]]
    if any(p.grad is not None for p in params):
        return
    for p in params:
        if p.requires_grad:
            p.grad = zeros_like(p)
    lrs = [g["lr"] for g in opt.param_groups]
    for g in opt.param_groups:
        g["lr"] = 0.0
    opt.step()
    for g, lr in zip(opt.param_groups, lrs):
        g["lr"] = lr
    opt.zero_grad(set_to_none=True)


def get_optimizer_state_dict(model, optimizers, *, submodules=None, options=None):
    fqn = _fqns(model)
    out = {"state": {}, "param_groups": []}
    for opt in _optims(optimizers):
        _init_optim_state(opt)
        sd = opt.state_dict()
        ids = [p for g in opt.param_groups for p in g["params"]]
        index = {i: fqn[id(p)] for i, p in enumerate(ids)}
        for i, st in sd["state"].items():
            out["state"][index[i]] = st
        for g in sd["param_groups"]:
            out["param_groups"].append({**g, "params": [index[i] for i in g["params"]]})
    return out


def get_state_dict(model, optimizers, *, submodules=None, options=None):
    return (get_model_state_dict(model, options=options),
            get_optimizer_state_dict(model, optimizers, options=options))


def set_model_state_dict(model, model_state_dict, *, options=None):
    strict = True if options is None else options.strict
    return _inner(model).load_state_dict(model_state_dict, strict=strict)


def set_optimizer_state_dict(model, optimizers, optim_state_dict, *, options=None):
    fqn = _fqns(model)
    groups = iter(optim_state_dict["param_groups"])
    for opt in _optims(optimizers):
        ids = [p for g in opt.param_groups for p in g["params"]]
        index = {fqn[id(p)]: i for i, p in enumerate(ids)}
        mine = [next(groups) for _ in opt.param_groups]
        state = {index[n]: st for n, st in optim_state_dict["state"].items() if n in index}
        opt.load_state_dict({"state": state, "param_groups": [
            {**g, "params": [index[n] for n in g["params"]]} for g in mine]})


def set_state_dict(model, optimizers, *, model_state_dict, optim_state_dict, options=None):
    ret = set_model_state_dict(model, model_state_dict, options=options)
    set_optimizer_state_dict(model, optimizers, optim_state_dict, options=options)
    return ret
