"""nn layers without torch: parameter shapes, init, buffers, train/eval; reprs recorded from
PyTorch 2.13."""
import math

import numpy as np
import pytest

import jtorch
import jtorch.nn as nn

REPRS = [
    ('nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2, bias=False)', 'Conv2d(4, 6, kernel_size=(3, 2), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2, bias=False)'),
    ('nn.ConvTranspose2d(4, 6, 3, stride=2, output_padding=1, groups=2)', 'ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1), groups=2)'),
    ("nn.Conv1d(2, 3, 3, padding='same', padding_mode='reflect')", 'Conv1d(2, 3, kernel_size=(3,), stride=(1,), padding=same, padding_mode=reflect)'),
    ('nn.MaxPool2d(2)', 'MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)'),
    ('nn.AvgPool1d(3)', 'AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))'),
    ('nn.AvgPool2d(3, 1)', 'AvgPool2d(kernel_size=3, stride=1, padding=0)'),
    ('nn.AdaptiveMaxPool2d((2, None))', 'AdaptiveMaxPool2d(output_size=(2, None))'),
    ('nn.BatchNorm1d(4, momentum=None)', 'BatchNorm1d(4, eps=1e-05, momentum=None, affine=True, bias=True, track_running_stats=True)'),
    ('nn.InstanceNorm2d(3)', 'InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)'),
    ('nn.LayerNorm([2, 3])', 'LayerNorm((2, 3), eps=1e-05, elementwise_affine=True, bias=True)'),
    ('nn.GroupNorm(2, 4)', 'GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)'),
    ('nn.RMSNorm(4)', 'RMSNorm((4,), eps=None, elementwise_affine=True)'),
    ('nn.Dropout(0.2)', 'Dropout(p=0.2, inplace=False)'),
    ('nn.Embedding(10, 3, padding_idx=-1, max_norm=2.0)', 'Embedding(10, 3, padding_idx=9, max_norm=2.0)'),
    ('nn.EmbeddingBag(5, 2)', "EmbeddingBag(5, 2, mode='mean')"),
    ('nn.LeakyReLU(0.2, True)', 'LeakyReLU(negative_slope=0.2, inplace=True)'),
    ('nn.ELU()', 'ELU(alpha=1.0)'),
    ("nn.GELU('tanh')", "GELU(approximate='tanh')"),
    ('nn.Softmax(1)', 'Softmax(dim=1)'),
    ('nn.PReLU(3)', 'PReLU(num_parameters=3)'),
    ('nn.Hardtanh()', 'Hardtanh(min_val=-1.0, max_val=1.0)'),
    ('nn.ReLU6(True)', 'ReLU6(inplace=True)'),
    ('nn.Softplus()', 'Softplus(beta=1.0, threshold=20.0)'),
    ('nn.Threshold(0.1, 2.0)', 'Threshold(threshold=0.1, value=2.0)'),
    ("nn.Upsample(scale_factor=2, mode='bilinear')", "Upsample(scale_factor=2.0, mode='bilinear')"),
    ('nn.ZeroPad2d(1)', 'ZeroPad2d((1, 1, 1, 1))'),
    ('nn.ConstantPad1d((1, 2), 0.5)', 'ConstantPad1d(padding=(1, 2), value=0.5)'),
    ('nn.ReflectionPad2d(2)', 'ReflectionPad2d((2, 2, 2, 2))'),
    ('nn.PixelShuffle(2)', 'PixelShuffle(upscale_factor=2)'),
    ('nn.CrossEntropyLoss()', 'CrossEntropyLoss()'),
    ('nn.Bilinear(2, 3, 4)', 'Bilinear(in1_features=2, in2_features=3, out_features=4, bias=True)'),
    ('nn.Fold((4, 5), 2)', 'Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)'),
    ('nn.LocalResponseNorm(2)', 'LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)'),
    ('nn.LPPool2d(2, 3)', 'LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)'),
    ('nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Dropout())', 'Sequential(\n  (0): Linear(in_features=3, out_features=4, bias=True)\n  (1): ReLU()\n  (2): Dropout(p=0.5, inplace=False)\n)'),
]


@pytest.mark.parametrize("expr,text", REPRS)
def test_repr_matches_torch(expr, text):
    assert repr(eval(expr, {"nn": nn})) == text


def test_parameter_shapes_and_keys():
    assert [(k, tuple(v.shape)) for k, v in nn.ConvTranspose2d(4, 6, 3, groups=2).state_dict().items()] == \
        [("weight", (4, 3, 3, 3)), ("bias", (6,))]
    assert list(nn.BatchNorm2d(3).state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                                    "num_batches_tracked"]
    assert tuple(nn.Conv2d(4, 6, (3, 2), groups=2).weight.shape) == (6, 2, 3, 2)
    assert tuple(nn.Bilinear(2, 3, 4).weight.shape) == (4, 2, 3)
    assert nn.Linear(3, 2, bias=False).bias is None
    assert list(nn.BatchNorm1d(3, affine=False, track_running_stats=False).state_dict()) == []


def test_default_init_ranges():
    jtorch.manual_seed(0)
    lin = nn.Linear(50, 40)
    bound = 1 / math.sqrt(50)
    assert lin.weight.abs().max().item() <= bound and lin.weight.abs().max().item() > 0.9 * bound
    assert lin.bias.abs().max().item() <= bound
    conv = nn.Conv2d(3, 8, 3)
    assert conv.weight.abs().max().item() <= 1 / math.sqrt(27)
    emb = nn.Embedding(200, 50, padding_idx=3)
    assert abs(emb.weight.std().item() - 1.0) < 0.05
    assert (emb.weight[3] == 0).all().item()
    bn = nn.BatchNorm2d(3)
    assert bn.weight.tolist() == [1.0] * 3 and bn.bias.tolist() == [0.0] * 3
    assert nn.PReLU(2, init=0.1).weight.tolist() == pytest.approx([0.1, 0.1])


def test_batchnorm_train_eval_and_buffers():
    bn = nn.BatchNorm1d(2, momentum=0.5)
    rm = bn.running_mean
    x = jtorch.tensor([[1.0, 2.0], [3.0, 6.0]])
    y = bn(x)
    np.testing.assert_allclose(y.detach().numpy(), [[-1.0, -1.0], [1.0, 1.0]], atol=1e-4)
    assert bn.running_mean is rm
    np.testing.assert_allclose(rm.numpy(), [1.0, 2.0])
    np.testing.assert_allclose(bn.running_var.numpy(), [1.5, 4.5])
    assert bn.num_batches_tracked.item() == 1
    bn.eval()
    np.testing.assert_allclose(bn(x).detach().numpy(),
                               (x.numpy() - [1.0, 2.0]) / np.sqrt(np.array([1.5, 4.5]) + 1e-5), rtol=1e-5)
    assert bn.num_batches_tracked.item() == 1


def test_batchnorm_cumulative_average():
    bn = nn.BatchNorm1d(1, momentum=None)
    for v in ([1.0, 3.0], [5.0, 7.0]):
        bn(jtorch.tensor(v).reshape(2, 1))
    np.testing.assert_allclose(bn.running_mean.numpy(), [4.0])  # mean of the batch means


def test_dropout_module_train_and_eval():
    d = nn.Dropout(0.5)
    x = jtorch.ones(1000)
    assert (d(x) == 0).any().item()
    d.eval()
    assert d(x) is x


def test_lazy_linear_materializes():
    m = nn.LazyLinear(3)
    y = m(jtorch.randn(2, 5))
    assert y.shape == (2, 3)
    assert type(m) is nn.Linear and tuple(m.weight.shape) == (3, 5) and m.in_features == 5


def test_conv_transpose_output_size():
    m = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    assert m(jtorch.randn(1, 2, 4, 4), output_size=[8, 8]).shape == (1, 3, 8, 8)
    with pytest.raises(ValueError):
        m(jtorch.randn(1, 2, 4, 4), output_size=[12, 12])


def test_losses_reductions_and_buffers():
    ce = nn.CrossEntropyLoss(weight=jtorch.ones(3))
    assert list(ce.state_dict()) == ["weight"]
    logits = jtorch.zeros(4, 3)
    target = jtorch.tensor([0, 1, 2, 1])
    np.testing.assert_allclose(ce(logits, target).item(), math.log(3), rtol=1e-6)
    assert nn.MSELoss(reduction="none")(jtorch.ones(2), jtorch.zeros(2)).tolist() == [1.0, 1.0]
    assert nn.L1Loss(size_average=False)(jtorch.ones(2), jtorch.zeros(2)).item() == 2.0


def test_training_step_reduces_loss():
    jtorch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16, 2))
    x = jtorch.randn(8, 1, 4, 4)
    y = jtorch.randint(0, 2, (8,))
    loss_fn = nn.CrossEntropyLoss()
    first = None
    for _ in range(10):
        for p in model.parameters():
            p.grad = None
        loss = loss_fn(model(x), y)
        loss.backward()
        with jtorch.no_grad():
            for p in model.parameters():
                p -= 0.1 * p.grad
        first = first if first is not None else loss.item()
    assert loss.item() < first
