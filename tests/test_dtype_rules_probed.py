"""The dtype rules generated from torch 2.13 (`jtorch/_dtype_rules_probed.py`, written by
`python -m compat.fuzz_dtype_probe --write`): refused dtype kinds, operands that must share a
dtype, index dtypes and torch's subtraction of a bool operand. Expected types and texts are
torch's (from the probe's torch runs); each holds eagerly and inside `jtorch.compile` (the
rules read dtypes only)."""
import pytest

import jtorch as torch
import jtorch.nn.functional as F

x = torch.rand(3, 4)
mask = torch.ones(3, 4, dtype=torch.bool)

CASES = [
    (lambda: F.layer_norm(torch.ones(2, 3, dtype=torch.int64), (3,)), NotImplementedError,
     "\"LayerNormKernelImpl\" not implemented for 'Long'"),
    (lambda: torch.bitwise_and(x, x), NotImplementedError, "\"bitwise_and_cpu\" not implemented for 'Float'"),
    (lambda: torch.addmm(torch.ones(3, 2), torch.ones(3, 4), torch.ones(4, 2, dtype=torch.int64)),
     RuntimeError, "must have the same dtype"),
    (lambda: torch.isclose(x, x.double()), RuntimeError, "did not match"),
    (lambda: torch.gather(x, 1, torch.zeros(3, 2)), RuntimeError,
     "gather(): Expected dtype int32/int64 for index"),
    (lambda: F.one_hot(torch.zeros(3, dtype=torch.int32), 4), RuntimeError,
     "one_hot is only applicable to index tensor of type LongTensor."),
    (lambda: x - mask, RuntimeError, "Subtraction, the `-` operator, with a bool tensor is not supported"),
    (lambda: F.l1_loss(x, mask), RuntimeError, "with a bool tensor is not supported"),
    # same-dtype rules: a bool operand counts (only masks are left out), list operands too,
    # and the hand-checked rules the probe cannot see (one tensor of each role in its templates)
    (lambda: torch.isclose(x, mask), RuntimeError, "Float did not match Bool"),
    (lambda: F.linear(x, torch.ones(2, 4), torch.ones(2, dtype=torch.bool)), RuntimeError,
     "must have the same dtype"),
    (lambda: torch.einsum("ij,jk->ik", [x, torch.ones(4, 2, dtype=torch.int64)]), RuntimeError,
     "expected scalar type Float but found Long"),
    (lambda: torch.lerp(x, torch.ones(3, 4, dtype=torch.int64), 0.5), RuntimeError,
     "for `end` but got dtype"),
    (lambda: torch.heaviside(x, torch.ones(4, dtype=torch.int64)), RuntimeError,
     "heaviside is not yet implemented for tensors with different dtypes."),
    (lambda: torch.index_add(x, 0, torch.tensor([0, 1]), torch.ones(2, 4, dtype=torch.int64)),
     RuntimeError, "index_add_(): self (Float) and source (Long) must have the same scalar type"),
    (lambda: torch.index_copy(x, 0, torch.tensor([0, 1]), torch.ones(2, 4, dtype=torch.bool)),
     RuntimeError, "index_copy_(): self and source expected to have the same dtype"),
    (lambda: F.nll_loss(torch.ones(2, 3, dtype=torch.int64), torch.tensor([0, 1])),
     NotImplementedError, "\"nll_loss_out_frame\" not implemented for 'Long'"),
    (lambda: F.cross_entropy(x[:2, :3], torch.tensor([0, 1]), weight=torch.ones(3).long()),
     RuntimeError, "expected scalar type Float but found Long"),
    (lambda: F.cross_entropy(x[:2, :3], torch.tensor([True, False])), RuntimeError,
     "expected target dtype to be Long or Byte, but got Bool"),
    (lambda: F.unfold(torch.ones(1, 2, 5, 5, dtype=torch.int64), 2), NotImplementedError,
     "\"im2col_out_cpu\" not implemented for 'Long'"),
]


@pytest.mark.parametrize("i", range(len(CASES)))
def test_probed_rule_eager_and_compiled(i):
    fn, exc, text = CASES[i]
    with pytest.raises(exc, match=text.replace("(", r"\(").replace(")", r"\)").replace("`", ".")):
        fn()
    compiled = torch.compile(lambda: fn())
    with pytest.raises(exc):
        compiled()


def test_allowed_calls_still_run():
    # the rules refuse only what torch refuses
    assert (x - 1).dtype is torch.float32
    assert F.layer_norm(x, (4,)).shape == (3, 4)
    assert torch.gather(x, 1, torch.zeros(3, 2, dtype=torch.int32)).shape == (3, 2)
    assert F.cross_entropy(x, torch.rand(3, 4)).dim() == 0  # float class probabilities
    q = x[None]  # a boolean attention mask is not an operand of the same-dtype rule
    assert F.scaled_dot_product_attention(q, q, q, attn_mask=mask[None, :, :3]).shape == (1, 3, 4)
    assert torch.bitwise_and(mask, mask).dtype is torch.bool
    assert torch.isclose(mask, mask).all()
    assert F.cross_entropy(x[:2, :3], torch.rand(2, 3, dtype=torch.float64)).dim() == 0
    assert F.cross_entropy(x[:2, :3], torch.tensor([0, 1], dtype=torch.uint8)).dim() == 0
    assert F.unfold(torch.ones(1, 2, 5, 5, dtype=torch.bool), 2).shape == (1, 8, 16)
    assert torch.lerp(x, x, torch.tensor(0.5, dtype=torch.float64)).shape == (3, 4)
    assert F.hinge_embedding_loss(x, mask).dtype is torch.float32  # no subtraction of the target
