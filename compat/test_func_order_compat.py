"""torch.func hands structures back in torch's pytree order (issue 17 §6): dicts keep insertion
order (JAX would sort their keys, and code zipping results with named_parameters() would pair
the wrong tensors)."""
from compat._harness import randn


def _model(lib):
    m = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.Linear(3, 1))
    with lib.no_grad():
        for i, p in enumerate(m.parameters()):
            p.copy_(lib.tensor(randn(*p.shape, dtype="float32", seed=i)))
    return m


def _params(lib, m):
    # insertion order differs from sorted order
    return dict(reversed([(k, v.detach()) for k, v in m.named_parameters()]))


def test_grad_keeps_dict_order(compat):
    def run(lib):
        m = _model(lib)
        p = _params(lib, m)
        f = lambda p, x: lib.func.functional_call(m, p, (x,)).sum()  # noqa: E731
        g = lib.func.grad(f)(p, lib.tensor(randn(2, dtype="float32", seed=9)))
        return list(g.keys()), list(g.values())
    compat.value(run)


def test_vmap_of_grad_keeps_dict_order(compat):
    def run(lib):
        m = _model(lib)
        p = _params(lib, m)
        f = lambda p, x: lib.func.functional_call(m, p, (x,)).sum()  # noqa: E731
        g = lib.func.vmap(lib.func.grad(f), in_dims=(None, 0))(
            p, lib.tensor(randn(4, 2, dtype="float32", seed=9)))
        return list(g.keys()), list(g.values())
    compat.value(run)


def test_jacrev_output_dict_order(compat):
    def run(lib):
        x = lib.tensor(randn(3, dtype="float32", seed=2))
        j = lib.func.jacrev(lambda x: {"z": x.sin(), "a": x.cos().sum()})(x)
        return list(j.keys()), list(j.values())
    compat.value(run)
