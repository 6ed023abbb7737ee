"""`swap_in_optimizer_params_and_state`: run an optimizer on other parameters and state."""
from __future__ import annotations

import contextlib
from collections import defaultdict

__all__ = ["swap_in_optimizer_params_and_state"]


@contextlib.contextmanager
def swap_in_optimizer_params_and_state(optimizer, swapin_parameters, swapin_optim_state):
    """Matches `torch.optim.swap_in_optimizer_params_and_state`.

    Inside the context the optimizer's groups hold the given tensors (in the optimizer's
    parameter order) and its state is the given state_dict-shaped state; in-place updates
    reach those tensors, new entries do not. The live parameters and state come back on exit.
    """
    params = list(swapin_parameters.values())
    count = sum(len(g["params"]) for g in optimizer.param_groups)
    if len(params) != count:
        raise ValueError(f"swapin_parameters has {len(params)} tensors but the optimizer has "
                         f"{count} parameters; pass one tensor per parameter, in order")
    groups = []
    for saved in swapin_optim_state["param_groups"]:
        group = {k: v for k, v in saved.items() if k != "params"}
        group["params"] = [params[i] for i in saved["params"]]
        groups.append(group)
    state = defaultdict(dict)
    for i, st in swapin_optim_state["state"].items():
        state[params[i]] = dict(st)  # a copy: only in-place tensor edits propagate
    live = optimizer.param_groups, optimizer.state
    optimizer.param_groups, optimizer.state = groups, state
    try:
        yield optimizer
    finally:
        optimizer.param_groups, optimizer.state = live
