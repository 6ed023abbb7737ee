"""torch's argument parser for int, int-list, float and sizes arguments (`_checks.int_arg`,
`int_list`, `float_arg`, and `_arg_types` for registry ops' static arguments): a float, string,
None or bool where torch's C parser wants an int is its TypeError, never a truncated value; an int
beyond int64 its ValueError/TypeError/OverflowError. Expected types and texts are torch 2.13's
(probed with the same calls); each holds eagerly and inside `jtorch.compile`."""
import numpy as np
import pytest

import jtorch as torch
import jtorch.nn.functional as F
from jtorch import _checks

x = torch.arange(12.0).reshape(3, 4)
img = torch.ones(1, 4, 2, 2)

REFUSED = [
    (lambda: x.view(3, 2.5), TypeError,
     "view(): argument 'size' failed to unpack the object at pos 2 with error \"type must be "
     "tuple of ints,but got float\""),
    (lambda: x.reshape(4, "3"), TypeError, "reshape(): argument 'shape' failed to unpack"),
    (lambda: x.expand(3, None), TypeError, "but got NoneType"),
    (lambda: x.repeat(2.5, 1), TypeError, "must be tuple of ints"),
    (lambda: x.permute(True, 0), TypeError, "must be tuple of ints"),
    (lambda: x.tile(True), TypeError, "must be tuple of ints, not bool"),
    (lambda: x.unfold(0, True, 1), TypeError, "unfold(): argument 'size' (position 2) must be int, "
                                              "not bool"),
    (lambda: x.unfold(0, 2, 2.5), TypeError, "argument 'step' (position 3) must be int, not float"),
    (lambda: x.unfold(0, -1, 1), RuntimeError, "size is -1 but must be >= 0"),
    (lambda: torch.narrow(x, 1, 0, 2.5), TypeError, "must be int, not float"),
    (lambda: torch.narrow(x, 1, "2", 2), TypeError, "must be int, not str"),
    (lambda: torch.select(x, 0, True), TypeError, "argument 'index' (position 2) must be int, not "
                                                  "bool"),
    (lambda: x.select(0, 10 ** 30), ValueError, "Overflow when unpacking long long"),
    (lambda: x.view(10 ** 30), TypeError, "Overflow when unpacking long long"),
    (lambda: torch.split(x, -1, dim=1), RuntimeError, "split expects split_size be non-negative, "
                                                      "but got split_size=-1"),
    (lambda: torch.split(x, 0, dim=1), RuntimeError, "split_size can only be 0 if dimension size "
                                                     "is 0, but got dimension size of 4"),
    (lambda: torch.split(x, [2, 2.0], dim=1), TypeError, "split_with_sizes(): argument "
                                                         "'split_sizes' failed to unpack"),
    (lambda: torch.chunk(x, True), TypeError, "chunk(): argument 'chunks' (position 2) must be "
                                              "int, not bool"),
    (lambda: torch.diagonal(x, offset=2.5), TypeError, "diagonal(): argument 'offset' must be int, "
                                                       "not float"),
    (lambda: torch.as_strided(x, (2, 2), (1, 2), storage_offset=-1), RuntimeError,
     "Tensor: invalid storage offset -1"),
    (lambda: torch.as_strided(x, (2, 2), (2, -2)), RuntimeError,
     "as_strided: Negative strides are not supported at the moment, got strides: [2, -2]"),
    (lambda: torch.as_strided(x, (2, -2), (1, 2)), RuntimeError,
     "Storage size calculation overflowed with sizes=[2, -2] and strides=[1, 2]"),
    (lambda: torch.as_strided(x, "3", (1, 2)), TypeError, "as_strided(): argument 'size' "
                                                          "(position 2) must be tuple of ints, not str"),
    (lambda: torch.broadcast_to(torch.ones(4), -1), TypeError, "must be tuple of ints, not int"),
    # registry ops' static arguments (checked at trace time)
    (lambda: x.sum(dim=True), TypeError, "sum(): argument 'dim'"),
    (lambda: x.std(dim=2.5), TypeError, "std(): argument 'dim'"),
    (lambda: torch.median(x, dim=None), TypeError, "median(): argument 'dim' must be int, not "
                                                   "NoneType"),
    (lambda: torch.logsumexp(x, dim=None), TypeError, "argument 'dim' must be tuple of ints"),
    (lambda: torch.flip(x, (0, 1.0)), TypeError, "flip(): argument 'dims' failed to unpack"),
    (lambda: torch.roll(x, 1.0, 0), TypeError, "roll(): argument 'shifts'"),
    (lambda: torch.tile(x, (2, 2.0)), TypeError, "tile(): argument 'dims' failed to unpack"),
    (lambda: torch.topk(x, 10 ** 30), ValueError, "Overflow when unpacking long long"),
    # nn.functional
    (lambda: F.pixel_shuffle(img, 2.5), TypeError, "pixel_shuffle(): argument 'upscale_factor' "
                                                   "(position 2) must be int, not float"),
    (lambda: F.group_norm(torch.ones(2, 4, 3), True), TypeError, "group_norm(): argument "
                                                                 "'num_groups' (position 2) must be "
                                                                 "int, not bool"),
    (lambda: F.layer_norm(x, 4), TypeError, "layer_norm(): argument 'normalized_shape' "
                                            "(position 2) must be tuple of ints, not int"),
    (lambda: F.pad(x, (1, 1.5)), TypeError, "pad(): argument 'pad' failed to unpack"),
    (lambda: F.one_hot(torch.tensor([1]), 2.5), TypeError, "one_hot(): argument 'num_classes' "
                                                           "(position 2) must be int, not float"),
    (lambda: F.embedding(torch.tensor([0]), torch.ones(5, 3), padding_idx=2.5), TypeError,
     "embedding(): argument 'padding_idx' (position 3) must be int, not float"),
    (lambda: F.elu(x, alpha=10 ** 30), OverflowError, "int too big to convert"),
    (lambda: F.hardtanh(x, -1.0, 10 ** 30), OverflowError, "int too big to convert"),
    (lambda: F.leaky_relu(x, 10 ** 30), OverflowError, "int too big to convert"),
    (lambda: F.adaptive_avg_pool2d(img, "2"), TypeError, "adaptive_avg_pool2d(): argument "
                                                        "'output_size' (position 2) must be tuple "
                                                        "of ints, but found element of type str"),
    (lambda: F.adaptive_avg_pool2d(img, True), TypeError, "must be tuple of ints, not bool"),
    (lambda: F.adaptive_avg_pool2d(img, 2.5), TypeError, "object of type 'float' has no len()"),
    (lambda: F.adaptive_max_pool2d(img, None), TypeError, "object of type 'NoneType' has no len()"),
    (lambda: F.adaptive_avg_pool1d(img[0], None), TypeError, "adaptive_avg_pool1d(): argument "
                                                             "'output_size' (position 2) must be "
                                                             "tuple of ints, not NoneType"),
    (lambda: F.adaptive_avg_pool2d(img, (2,)), RuntimeError, "should contain 2 ints (got 1)"),
    (lambda: F.normalize(2.5), AttributeError, "'float' object has no attribute 'norm'"),
    (lambda: F.normalize(torch.ones(()), dim=1), IndexError, "Dimension out of range"),
    (lambda: torch.randint(None, 5, (3,)), TypeError, "randint() received an invalid combination "
                                                      "of arguments"),
    (lambda: torch.prod(x, dim=(0,)), TypeError, "prod(): argument 'dim' must be int, not tuple"),
    (lambda: torch.bitwise_and(x, None), TypeError, "bitwise_and(): argument 'other' (position 2) "
                                                    "must be Tensor, not NoneType"),
    (lambda: torch.gcd(x, "abc"), TypeError, "gcd(): argument 'other' (position 2) must be Tensor"),
    (lambda: torch.index_add(x, 0, torch.tensor([0, 1]), 2.5), TypeError,
     "index_add(): argument 'source' (position 4) must be Tensor, not float"),
    (lambda: torch.bincount(2.5), TypeError, "bincount(): argument 'input' (position 1) must be "
                                             "Tensor, not float"),
    (lambda: int(torch.ones(2)), ValueError, "only one element tensors can be converted to Python "
                                             "scalars"),
    (lambda: torch.softmax(x.long(), 1), NotImplementedError,
     "\"softmax_lastdim_kernel_impl\" not implemented for 'Long'"),
    (lambda: F.cross_entropy(x.long(), torch.tensor([0, 1, 2])), NotImplementedError,
     "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Long'"),
    (lambda: torch.hypot(x.to(torch.complex64), x), NotImplementedError,
     "\"hypot_cpu\" not implemented for 'ComplexFloat'"),
    (lambda: torch.ones(3, dtype=torch.bool).round(), NotImplementedError,
     "\"round_vml_cpu\" not implemented for 'Bool'"),
    (lambda: F.binary_cross_entropy(torch.zeros(2, 3), torch.full((2, 5), 2.0)), ValueError,
     "Using a target size"),  # the size check comes before the [0, 1] value check
    # elementwise kernels report shapes that do not broadcast before a refused dtype
    (lambda: torch.bitwise_or(x, torch.ones(2, 4)), RuntimeError, "The size of tensor a (3) must "
                                                                   "match the size of tensor b (2)"),
    (lambda: torch.gcd(x, torch.ones(5)), RuntimeError, "must match the size of tensor b (5)"),
    # tensor parameters given a Python number or None; complex scalars into real tensors
    (lambda: torch.logical_and(x, None), TypeError, "logical_and(): argument 'other' (position 2) "
                                                    "must be Tensor, not NoneType"),
    (lambda: F.cosine_similarity(x, 2.5), TypeError, "argument 'x2' (position 2) must be Tensor, "
                                                     "not float"),
    (lambda: F.linear(x, torch.ones(2, 4), 2.5), TypeError, "linear(): argument 'bias' (position "
                                                            "3) must be Tensor, not float"),
    (lambda: torch.addcmul(x, x, 2.5), TypeError, "argument 'tensor2' (position 3) must be Tensor"),
    (lambda: torch.where(2.5, x, x), TypeError, "must be Tensor, not float"),
    (lambda: torch.linalg.det(2.5), TypeError, "linalg_det(): argument 'A' (position 1) must be "
                                               "Tensor, not float"),
    (lambda: torch.mm(x, 2.5), TypeError, "mm(): argument 'mat2' (position 2) must be Tensor"),
    (lambda: torch.matmul(x, None), TypeError, "matmul(): argument 'other' (position 2) must be "
                                               "Tensor, not NoneType"),
    (lambda: torch.einsum("ij,jk->ik", x, 2.5), TypeError, "expected Tensor as element 1 in "
                                                           "argument 1, but got float"),
    (lambda: torch.gather(x, 0, 2.5), TypeError, "argument 'index' (position 3) must be Tensor"),
    (lambda: F.cross_entropy(x, torch.tensor([0, 1, 2]), weight=2.5), TypeError,
     "argument 'weight' (position 3) must be Tensor, not float"),
    (lambda: x.clone().fill_(1 + 2j), RuntimeError, "value cannot be converted to type float "
                                                    "without overflow"),
    (lambda: torch.clamp(x, min=1 + 2j), RuntimeError, "without overflow"),
    (lambda: torch.lerp(x, x, 1 + 2j), RuntimeError, "without overflow"),
    # overloads torch does not have: an explicit None, a repeated dim, dims of a 0-dim tensor
    (lambda: torch.squeeze(x, None), TypeError, "squeeze() received an invalid combination"),
    (lambda: torch.squeeze(x, (0, 0)), RuntimeError, "dim 0 appears multiple times in the list "
                                                     "of dims"),
    (lambda: torch.max(x, dim=None), TypeError, "max() received an invalid combination"),
    (lambda: x.min(dim=None), TypeError, "min() received an invalid combination"),
    (lambda: torch.softmax(x, dim=None), TypeError, "softmax(): argument 'dim' must be int, not "
                                                    "NoneType"),
    (lambda: torch.transpose(torch.ones(()), 0, 1), IndexError, "Dimension out of range "
                                                                "(expected to be in range of [-1, 0], but got 1)"),
    (lambda: F.softmax(torch.ones(()), dim=1), IndexError, "Dimension out of range"),
    (lambda: torch.cummax(torch.ones(()), dim=1), IndexError, "cummax(): Expected reduction dim -1 "
                                                              "or 0 for scalar but got 1"),
    # fill values a dtype cannot hold; Python ints beyond 64 bits; factory overloads
    (lambda: torch.full((2,), 300, dtype=torch.uint8), RuntimeError,
     "value cannot be converted to type uint8_t without overflow"),
    (lambda: torch.full((2,), float("nan"), dtype=torch.int64), RuntimeError, "int64_t without "
                                                                              "overflow"),
    (lambda: torch.full((2,), 1e300, dtype=torch.float32), RuntimeError, "type float without "
                                                                         "overflow"),
    (lambda: torch.full((2,), 2 ** 63), RuntimeError, "int64_t without overflow"),
    (lambda: torch.full_like(x, 10 ** 30), OverflowError, "int too big to convert"),
    (lambda: x.new_full((2,), 10 ** 30), OverflowError, "int too big to convert"),
    (lambda: torch.linspace(0, 10 ** 30, 5), OverflowError, "int too big to convert"),
    (lambda: torch.arange(2 ** 63), RuntimeError, "value cannot be converted to type int64_t "
                                                  "without overflow"),
    (lambda: torch.arange(5, dtype=torch.complex64), NotImplementedError, "\"arange_cpu\" not "
                                                                          "implemented for 'ComplexFloat'"),
    (lambda: torch.eye(3, None), TypeError, "eye()"),
    # values of arguments torch checks
    (lambda: F.binary_cross_entropy(torch.zeros(2, 3), torch.full((2, 3), 2.0)), RuntimeError,
     "all elements of target should be between 0 and 1"),
    (lambda: F.binary_cross_entropy(torch.full((2, 3), float("nan")), torch.zeros(2, 3)),
     RuntimeError, "all elements of input should be between 0 and 1"),
    (lambda: torch.quantile(x, 1.5, dim=1), RuntimeError, "quantile() q must be in the range [0, 1] "
                                                          "but got 1.5"),
    (lambda: torch.quantile(torch.ones(0, 4), 0.5, dim=1), RuntimeError, "quantile() input tensor "
                                                                         "must be non-empty"),
    (lambda: torch.histc(torch.tensor([1.0, float("inf")]), bins=4), RuntimeError,
     "torch.histc: range of [1.0, inf] is not finite"),
    (lambda: F.huber_loss(x, x, delta=float("nan")), RuntimeError, "huber_loss does not support "
                                                                   "non-positive values for delta."),
    (lambda: F.smooth_l1_loss(x, x, beta=float("nan")), RuntimeError, "smooth_l1_loss does not "
                                                                      "support negative values for beta."),
    (lambda: F.dropout(x, p=float("nan"), training=False), RuntimeError, "dropout probability has "
                                                                         "to be between 0 and 1, but got nan"),
    (lambda: torch.normal(x, float("nan")), RuntimeError, "normal expects std >= 0.0, but found "
                                                          "std nan"),
    # indexing and data-dependent ops
    (lambda: x[2.5], IndexError, "only integers, slices (`:`), ellipsis (`...`), None and long or "
                                 "byte Variables are valid indices (got float)"),
    (lambda: x["2"], TypeError, "new(): invalid data type 'str'"),
    (lambda: x.clone().__setitem__(2.5, 1.0), IndexError, "are valid indices (got float)"),
    (lambda: x.clone().index_put_((torch.tensor([0, 1]),), torch.ones(2, 4, dtype=torch.int64)),
     RuntimeError, "Index put requires the source and destination dtypes match, got Float for the "
                   "destination and Long for the source."),
    (lambda: x.clone().index_put_((torch.tensor([0, 1]),), 2.5), TypeError,
     "index_put_(): argument 'values' (position 2) must be Tensor, not float"),
    (lambda: torch.nonzero(2.5), TypeError, "nonzero(): argument 'input' (position 1) must be "
                                            "Tensor, not float"),
    (lambda: torch.argwhere(None), TypeError, "must be Tensor, not NoneType"),
    (lambda: x.repeat_interleave(True), TypeError, "repeat_interleave()"),
    (lambda: torch.tensor_split(x, True, dim=1), TypeError, "tensor_split()"),
    (lambda: torch.meshgrid(torch.ones(4, dtype=torch.int64), torch.ones(4), indexing="ij"),
     RuntimeError, "meshgrid expects all tensors to have the same dtype"),
    (lambda: torch.meshgrid(torch.ones(2, 4), torch.ones(4), indexing="ij"), RuntimeError,
     "torch.meshgrid: Expected 0D or 1D tensor in the tensor list"),
]


def _text(s):
    return "".join("\\" + c if c in "()[]." else c for c in s)


@pytest.mark.parametrize("i", range(len(REFUSED)))
def test_refused_eager_and_compiled(i):
    fn, exc, text = REFUSED[i]
    with pytest.raises(exc, match=_text(text)):
        fn()
    with pytest.raises(exc):
        torch.compile(lambda: fn())()


def test_accepted_as_torch_does():
    # what torch's parser takes: numpy and 0-dim integer tensors for ints, bools after the
    # first element of an int list, ints in [2**63, 2**64) for a float
    assert x.view(-1, True).shape == (12, 1)
    assert x.view(torch.Size([4, 3])).shape == (4, 3)
    assert x.view(np.int64(3), 4).shape == (3, 4)
    assert torch.narrow(x, 1, torch.tensor(1), 2).shape == (3, 2)
    assert torch.select(x, 0, np.int64(1)).tolist() == [4.0, 5.0, 6.0, 7.0]
    assert [t.shape[1] for t in torch.split(x, [1, 3], dim=1)] == [1, 3]
    assert torch.as_strided(x, (2, 2), (1, 2), 1).tolist() == [[1.0, 3.0], [2.0, 4.0]]
    assert x.var(True).shape == ()  # a positional bool is var's `unbiased`
    assert F.elu(x, alpha=2 ** 63).shape == (3, 4)
    assert F.elu(x, alpha=True).shape == (3, 4)
    assert F.layer_norm(x, (4,)).shape == (3, 4)
    assert F.pixel_shuffle(img, 2).shape == (1, 1, 4, 4)
    assert torch.bitwise_and(torch.tensor([3, 5]), 1).tolist() == [1, 1]  # a number is fine
    assert x.prod(1).shape == (3,)
    assert F.adaptive_avg_pool2d(img, (None, 1)).shape == (1, 4, 2, 1)  # None: the input's size
    assert F.adaptive_avg_pool2d(img, (1, True)).shape == (1, 4, 1, 1)
    assert torch.randint(high=5, size=(3,)).shape == (3,) and torch.randint(5, (3,)).shape == (3,)
    assert F.normalize(torch.full((), 2.0), dim=-1).item() == 1.0
    assert torch.where(x > 1, x, 2.5).shape == (3, 4) and torch.where(x > 1, 1.0, 2.5).shape == (3, 4)
    assert F.linear(x, torch.ones(2, 4)).shape == (3, 2)
    assert F.cross_entropy(x, torch.tensor([0, 1, 2])).dim() == 0  # weight=None is optional
    assert torch.masked_fill(x, x > 0, 2.5).shape == (3, 4)  # the value may be a number
    assert torch.ones(3, dtype=torch.complex64).fill_(1 + 2j)[0].item() == 1 + 2j
    assert torch.squeeze(torch.ones(1, 3, 1)).shape == (3,)
    assert torch.ones(1, 3, 1).squeeze_().shape == (3,)
    assert torch.max(x).item() == 11.0 and x.max(1).values.tolist() == [3.0, 7.0, 11.0]
    assert F.softmax(x, dim=None).shape == (3, 4)  # F's implicit dim (with torch's warning)
    assert torch.transpose(torch.ones(()), 0, -1).shape == ()
    assert torch.full((2,), -1, dtype=torch.uint8).tolist() == [255, 255]  # wraps, as in torch
    assert torch.full((2,), float("inf")).tolist() == [float("inf")] * 2
    assert torch.eye(3, 2).shape == (3, 2) and torch.eye(3).shape == (3, 3)
    assert torch.quantile(x, torch.tensor([0.1, 0.5]), dim=1).shape == (2, 3)
    assert torch.histc(torch.tensor([1.0, float("inf")]), bins=4, min=0, max=3).tolist() == \
        [0.0, 1.0, 0.0, 0.0]
    assert F.huber_loss(x, x, delta=1.0).item() == 0.0
    assert torch.normal(x, 10 ** 30).shape == (3, 4)  # std is a double there, not a Scalar
    assert x[np.int64(1)].shape == (4,) and x[torch.tensor(1)].shape == (4,)
    assert [t.shape[1] for t in torch.tensor_split(x, [1, 2], dim=1)] == [1, 1, 2]


def test_parsers_direct():
    assert _checks.int_list("view", "size", (3, True)) == (3, 1)
    assert _checks.int_list("view", "size", 5) == (5,)
    assert _checks.int_arg("select", "index", np.int64(2)) == 2
    assert _checks.float_arg("elu", "alpha", 2) == 2.0
    with pytest.raises(TypeError, match=r"must be tuple of ints, but found element of type bool "
                                        r"at pos 0"):
        _checks.int_list("reshape", "shape", [True, 12], 1)
    with pytest.raises(TypeError, match=r"must be int, not numpy.float64"):
        _checks.int_arg("select", "index", np.float64(1.0), 2)
    with pytest.raises(TypeError, match=r"elu\(\): argument 'alpha' must be float, not NoneType"):
        _checks.float_arg("elu", "alpha", None)


def test_static_tuple_keyed_by_element_type():
    # jax.jit compares static tuples by value: (0, 1.0) == (0, 1), so without keying by type the
    # float call would reuse the int program and return its value (torch: TypeError)
    m = torch.ones(2, 3)
    for run in (lambda d: m.sum(dim=d), lambda d: torch.sum(m, d)):
        assert run((0, 1)).item() == 6.0
        with pytest.raises(TypeError, match="type must be tuple of ints,but got float"):
            run((0, 1.0))
        with pytest.raises(TypeError, match="found element of type bool at pos 0"):
            run((True, 0))
        with pytest.raises(TypeError, match="found element of type numpy.float64 at pos 0"):
            run((np.float64(1.0), 0))
        assert run((0, True)).item() == 6.0  # later bools read as 0/1, as torch's parser
        assert run([0, 1]).item() == 6.0 and run((np.int64(1), 0)).item() == 6.0
    assert m.flip((1,)).shape == (2, 3)
    with pytest.raises(TypeError, match="flip"):
        m.flip((1.0,))
    good, bad = torch.compile(lambda t: t.sum(dim=(0, 1))), torch.compile(lambda t: t.flip((1.0,)))
    for _ in range(2):  # a compiled function's first call runs eagerly
        assert good(m).item() == 6.0
        with pytest.raises(TypeError, match="flip"):
            bad(m)
