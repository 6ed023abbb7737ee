"""torch.export.export and ExportedProgram.module() against eager jtorch."""
import numpy as np
import pytest

import jtorch as torch
from jtorch.export import Dim, export

from _export_models import Attention, ConvBN, mlp

HERE = __file__.rsplit("/", 1)[-1]


def _close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a.detach()), np.asarray(b.detach()), rtol=tol, atol=tol)


def test_dynamic_sequence_attention_matches_eager_and_compile():
    torch.manual_seed(0)
    m = Attention()
    ep = export(m, (torch.randn(2, 6, 8),), dynamic_shapes={"x": {0: Dim("b"), 1: Dim("seq", max=16)}})
    mod = ep.module()
    x = torch.randn(3, 5, 8)
    with torch.no_grad():
        want = m(x)
    _close(mod(x), want)
    assert mod(torch.randn(1, 16, 8)).shape == (1, 16, 8)
    f = torch.compile(lambda x: mod(x), fullgraph=True)
    with torch.no_grad():
        for _ in range(3):  # eager, traced, replayed
            _close(f(x), want)
    assert ep.range_constraints == {"b": (1, float("inf")), "seq": (1, 16)}


def test_call_errors_name_the_dimension():
    mod = export(mlp(), (torch.randn(3, 4),), dynamic_shapes=({0: Dim("b", min=2, max=8)},)).module()
    with pytest.raises(AssertionError, match=r"input.size\(\)\[0\] <= 8"):
        mod(torch.randn(9, 4))
    with pytest.raises(AssertionError, match=r"input.size\(\)\[0\] >= 2"):
        mod(torch.randn(1, 4))
    with pytest.raises(AssertionError, match=r"input.size\(\)\[1\] == 4"):
        mod(torch.randn(3, 5))
    with pytest.raises(RuntimeError, match="dtype float32"):
        mod(torch.randn(3, 4, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="2 dimensions"):
        mod(torch.randn(3, 4, 1))
    with pytest.raises(ValueError, match="tree spec"):
        mod(torch.randn(3, 4), torch.randn(3, 4))


def test_shared_dim_must_agree():
    class Add(torch.nn.Module):
        def forward(self, x, y):
            return x + y
    b = Dim("b")
    mod = export(Add(), (torch.randn(3, 2), torch.randn(3, 2)), dynamic_shapes=({0: b}, {0: b})).module()
    assert mod(torch.ones(5, 2), torch.ones(5, 2)).shape == (5, 2)
    with pytest.raises(AssertionError, match=r"y.size\(\)\[0\] == x.size\(\)\[0\]"):
        mod(torch.ones(5, 2), torch.ones(4, 2))


def test_data_dependent_branch_names_line_and_cond():
    class M(torch.nn.Module):
        def forward(self, x):
            if x.sum() > 0:  # the line the error names
                return x + 1
            return x - 1
    with pytest.raises(RuntimeError, match=rf"{HERE}:\d+ \(if x.sum\(\) > 0:.*torch.cond") as e:
        export(M(), (torch.randn(3),))
    assert type(e.value).__name__ == "GuardOnDataDependentSymNode"


def test_cond_exports_both_branches():
    class M(torch.nn.Module):
        def forward(self, x):
            return torch.cond(x.sum() > 0, lambda t: t + 1, lambda t: t - 1, (x,))
    mod = export(M(), (torch.ones(3),)).module()
    _close(mod(torch.ones(3)), torch.full((3,), 2.0))
    _close(mod(-torch.ones(3)), torch.full((3,), -2.0))


def test_specialization_names_dimension_and_line():
    class M(torch.nn.Module):
        def forward(self, x):
            return x + torch.ones(32)  # forces dim 1 to 32
    with pytest.raises(RuntimeError, match=rf"Constraints violated \(n\)!.*{HERE}:\d+") as e:
        export(M(), (torch.randn(4, 32),), dynamic_shapes=({1: Dim("n")},))
    assert "n = 32" in str(e.value) and type(e.value).__name__ == "UserError"
    ep = export(M(), (torch.randn(4, 32),), dynamic_shapes=({0: Dim.AUTO, 1: Dim.AUTO},))
    assert list(ep.range_constraints) == ["s0"]  # dim 0 stays dynamic, dim 1 specialised
    assert ep.module()(torch.ones(6, 32)).shape == (6, 32)


def test_derived_dim_and_pytree_io():
    class M(torch.nn.Module):
        def forward(self, pair, opts):
            x, y = pair
            return {"cat": (torch.cat([x, x], 1) + y,), "n": opts["n"]}
    n = Dim("n", max=20)
    ep = export(M(), ((torch.randn(2, 3), torch.randn(2, 6)), {"n": 3}),
                dynamic_shapes={"pair": ({1: n}, {1: 2 * n}), "opts": None})
    out = ep.module()((torch.ones(2, 5), torch.ones(2, 10)), {"n": 3})
    assert set(out) == {"cat", "n"} and out["n"] == 3 and out["cat"][0].shape == (2, 10)
    with pytest.raises(AssertionError, match=r"pair\[1\].size\(\)\[1\] == pair\[0\].size\(\)\[1\]"):
        ep.module()((torch.ones(2, 5), torch.ones(2, 8)), {"n": 3})
    assert "CallSpec(in_spec=" in repr(ep.call_spec)


def test_bad_dynamic_shapes_spec():
    with pytest.raises(RuntimeError, match="not arguments of forward"):
        export(mlp(), (torch.randn(3, 4),), dynamic_shapes={"x": {0: Dim("b")}})
    with pytest.raises(RuntimeError, match="does not fit the example input"):
        export(mlp(), (torch.randn(3, 4),), dynamic_shapes=({0: Dim("b", min=5)},))
    with pytest.raises(RuntimeError, match="different definitions"):
        class Add(torch.nn.Module):
            def forward(self, x, y):
                return x + y
        export(Add(), (torch.randn(3), torch.randn(3)),
               dynamic_shapes=({0: Dim("b", max=9)}, {0: Dim("b", max=10)}))


def test_batchnorm_training_updates_buffers_like_eager():
    torch.manual_seed(0)
    m, ref = ConvBN().train(), ConvBN().train()
    ref.load_state_dict(m.state_dict())
    ep = export(m, (torch.randn(2, 2, 5, 5),))
    mod = ep.module()
    x = torch.randn(2, 2, 5, 5)
    _close(mod(x), ref(x))
    _close(mod.bn.running_mean, ref.bn.running_mean)
    assert int(mod.bn.num_batches_tracked) == 1
    kinds = [s.kind.name for s in ep.run_decompositions().graph_signature.output_specs]
    assert kinds == ["BUFFER_MUTATION"] * 3 + ["USER_OUTPUT"]


def test_dropout_draws_from_the_generator():
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.d = torch.nn.Dropout(0.5)

        def forward(self, x):
            return self.d(x)
    mod = export(M(), (torch.ones(64),)).module()
    torch.manual_seed(3)
    a, b = mod(torch.ones(64)), mod(torch.ones(64))
    torch.manual_seed(3)
    assert not torch.equal(a, b) and torch.equal(a, mod(torch.ones(64)))


def test_train_eval_refused_as_torch():
    mod = export(mlp(), (torch.randn(3, 4),)).module()
    with pytest.raises(NotImplementedError, match="eval"):
        mod.eval()
    with pytest.raises(NotImplementedError, match="train"):
        mod.train()


def test_state_is_program_input():
    m, other = mlp(), mlp()
    with torch.no_grad():
        for p in other.parameters():
            p.mul_(2)
    ep = export(m, (torch.randn(3, 4),))
    mod = ep.module()
    mod.load_state_dict(other.state_dict())
    x = torch.randn(3, 4)
    _close(mod(x), other(x))
    assert list(ep.state_dict) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_gradients_match_eager():
    m = mlp()
    mod = export(m, (torch.randn(3, 4),)).module()
    x = torch.randn(3, 4)
    mod(x).pow(2).sum().backward()
    g = [p.grad.clone() for p in mod.parameters()]
    for p in m.parameters():
        p.grad = None
    m(x).pow(2).sum().backward()
    for a, p in zip(g, m.parameters()):
        _close(a, p.grad)
    with torch.no_grad():
        assert not mod(x).requires_grad


def test_printing_and_stablehlo():
    ep = export(mlp(), (torch.randn(3, 4),), dynamic_shapes=({0: Dim("b")},))
    s = str(ep)
    assert s.startswith("ExportedProgram:") and "func.func" in s and "Graph signature" in s
    assert "b: VR[1, int_oo]" in s
    assert isinstance(ep.to_stablehlo(), str) and isinstance(ep.to_stablehlo(bytecode=True), bytes)
    assert ep.run_decompositions() is not ep
    with pytest.raises(RuntimeError, match="module()"):
        ep(torch.randn(3, 4))


def test_multi_platform_lowering():
    ep = export(mlp(), (torch.randn(3, 4),), platforms=("cpu", "cuda", "tpu"))
    assert ep.platforms == ("cpu", "cuda", "tpu")
    assert ep.module()(torch.randn(3, 4)).shape == (3, 2)
    other = "tpu" if ep.platforms[0] != "tpu" and __import__("jax").default_backend() != "tpu" else "cpu"
    with pytest.raises(RuntimeError, match="exported for platforms"):
        export(mlp(), (torch.randn(3, 4),), platforms=(other,)).module()(torch.randn(3, 4))


def test_argument_errors():
    with pytest.raises(ValueError, match="nn.Module"):
        export(lambda x: x, (torch.randn(2),))
    with pytest.raises(RuntimeError, match="tuple"):
        export(mlp(), [torch.randn(2, 4)])
