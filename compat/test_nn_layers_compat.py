"""Layers and losses: the same module with the same weights under torch and jtorch.

Each case builds the module on both libraries, loads one set of numpy weights through
`load_state_dict`, runs a train-mode forward and backward and an eval-mode forward, and
compares: repr, state_dict keys, outputs, input and parameter gradients, buffers after the
train step.
"""
import numpy as np
import pytest

rng = np.random.default_rng


def _arr(shape, seed, kind="normal"):
    r = rng(seed)
    if kind == "pos":
        return r.random(shape) + 0.5
    if kind == "prob":
        return r.random(shape) * 0.9 + 0.05
    return r.standard_normal(shape)


def _state(lib, m):
    """Deterministic float64 weights for every parameter and buffer of `m`."""
    sd = {}
    for i, (k, v) in enumerate(m.state_dict().items()):
        shape = tuple(v.shape)
        if v.dtype == lib.int64:
            sd[k] = lib.tensor(np.full(shape, 3), dtype=lib.int64)
        elif k.endswith("running_var"):
            sd[k] = lib.tensor(_arr(shape, 100 + i, "pos"))
        else:
            sd[k] = lib.tensor(_arr(shape, 100 + i))
    return sd


def _plain(x):
    if isinstance(x, (tuple, list)):
        return [_plain(e) for e in x]
    return x.detach() if hasattr(x, "detach") else x


def _run(lib, ctor, inputs, eval_too=True):
    lib.manual_seed(0)
    m = ctor(lib.nn).double()
    res = {"repr": repr(m), "keys": list(m.state_dict().keys())}
    m.load_state_dict(_state(lib, m))
    args = inputs(lib)
    outs = m(*args)
    first = outs[0] if isinstance(outs, tuple) else outs
    res["out"] = _plain(outs)
    leaves = [a for a in args if hasattr(a, "requires_grad") and a.requires_grad]
    leaves += [p for _, p in m.named_parameters()]
    if first.requires_grad and leaves:
        w = lib.tensor(np.linspace(0.5, 1.5, first.numel()).reshape(tuple(first.shape)))
        grads = lib.autograd.grad((first * w).sum(), leaves, allow_unused=True)
        res["grads"] = [None if g is None else g.detach() for g in grads]
    res["buffers"] = {k: v.detach() for k, v in m.named_buffers()}
    if eval_too:
        m.eval()
        res["eval"] = _plain(m(*args))
    return res


def _x(*shape, seed=0, grad=True, kind="normal"):
    def make(lib):
        return lib.tensor(_arr(shape, seed, kind), requires_grad=grad)
    return make


def _ints(values):
    return lambda lib: lib.tensor(np.asarray(values), dtype=lib.int64)


def _inputs(*makers):
    return lambda lib: [mk(lib) for mk in makers]


LAYERS = {
    "linear": (lambda nn: nn.Linear(5, 3), _inputs(_x(4, 5))),
    "linear_nobias_3d": (lambda nn: nn.Linear(5, 3, bias=False), _inputs(_x(2, 4, 5))),
    "bilinear": (lambda nn: nn.Bilinear(3, 4, 2), _inputs(_x(5, 3), _x(5, 4, seed=1))),
    "identity": (lambda nn: nn.Identity(), _inputs(_x(3))),
    "conv1d": (lambda nn: nn.Conv1d(3, 4, 3, stride=2, padding=1), _inputs(_x(2, 3, 9))),
    "conv1d_unbatched": (lambda nn: nn.Conv1d(3, 4, 3), _inputs(_x(3, 9))),
    "conv2d": (lambda nn: nn.Conv2d(3, 4, 3), _inputs(_x(2, 3, 6, 7))),
    "conv2d_opts": (lambda nn: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2),
                                         dilation=(1, 2), groups=2, bias=False),
                    _inputs(_x(2, 4, 7, 6))),
    "conv2d_same": (lambda nn: nn.Conv2d(3, 2, 4, padding="same", dilation=2), _inputs(_x(1, 3, 8, 7))),
    "conv2d_valid": (lambda nn: nn.Conv2d(3, 2, 3, padding="valid"), _inputs(_x(1, 3, 5, 5))),
    "conv2d_reflect": (lambda nn: nn.Conv2d(3, 2, 3, padding=1, padding_mode="reflect"),
                       _inputs(_x(1, 3, 5, 5))),
    "conv2d_circular": (lambda nn: nn.Conv2d(3, 2, 3, padding=(2, 1), padding_mode="circular"),
                        _inputs(_x(1, 3, 5, 5))),
    "conv2d_replicate_same": (lambda nn: nn.Conv2d(3, 2, (2, 3), padding="same",
                                                   padding_mode="replicate"),
                              _inputs(_x(1, 3, 5, 5))),
    "conv3d": (lambda nn: nn.Conv3d(2, 3, 2, padding=1), _inputs(_x(1, 2, 4, 3, 4))),
    "convT1d": (lambda nn: nn.ConvTranspose1d(3, 2, 3, stride=2, padding=1, output_padding=1),
                _inputs(_x(2, 3, 5))),
    "convT2d": (lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, groups=2, dilation=2),
                _inputs(_x(2, 4, 4, 5))),
    "convT3d": (lambda nn: nn.ConvTranspose3d(2, 2, 2, stride=2), _inputs(_x(1, 2, 2, 3, 2))),
    "maxpool1d": (lambda nn: nn.MaxPool1d(3, 2, ceil_mode=True), _inputs(_x(2, 3, 8))),
    "maxpool2d": (lambda nn: nn.MaxPool2d(2), _inputs(_x(2, 3, 6, 7))),
    "maxpool2d_idx": (lambda nn: nn.MaxPool2d(3, 2, 1, return_indices=True, ceil_mode=True),
                      _inputs(_x(2, 3, 7, 6))),
    "maxpool2d_dil": (lambda nn: nn.MaxPool2d((2, 3), (1, 2), (1, 1), dilation=2), _inputs(_x(1, 2, 7, 8))),
    "maxpool3d": (lambda nn: nn.MaxPool3d(2, return_indices=True), _inputs(_x(1, 2, 4, 4, 5))),
    "avgpool1d": (lambda nn: nn.AvgPool1d(3, 2, 1), _inputs(_x(2, 3, 8))),
    "avgpool2d": (lambda nn: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
                  _inputs(_x(2, 3, 7, 6))),
    "avgpool2d_div": (lambda nn: nn.AvgPool2d(2, divisor_override=3), _inputs(_x(1, 3, 4, 4))),
    "avgpool3d": (lambda nn: nn.AvgPool3d(2, 1, 1), _inputs(_x(1, 2, 3, 3, 4))),
    "adaptiveavg1d": (lambda nn: nn.AdaptiveAvgPool1d(3), _inputs(_x(2, 3, 8))),
    "adaptiveavg2d": (lambda nn: nn.AdaptiveAvgPool2d((3, None)), _inputs(_x(2, 3, 7, 5))),
    "adaptiveavg3d": (lambda nn: nn.AdaptiveAvgPool3d(2), _inputs(_x(1, 2, 5, 4, 3))),
    "adaptivemax2d": (lambda nn: nn.AdaptiveMaxPool2d((3, 2), return_indices=True),
                      _inputs(_x(2, 3, 7, 5))),
    "adaptivemax1d": (lambda nn: nn.AdaptiveMaxPool1d(4), _inputs(_x(2, 3, 10))),
    "lppool2d": (lambda nn: nn.LPPool2d(2, 2), _inputs(_x(1, 2, 4, 6))),
    "batchnorm1d": (lambda nn: nn.BatchNorm1d(4), _inputs(_x(6, 4))),
    "batchnorm1d_3d": (lambda nn: nn.BatchNorm1d(3, momentum=None), _inputs(_x(2, 3, 5))),
    "batchnorm2d": (lambda nn: nn.BatchNorm2d(3, eps=1e-3, momentum=0.3), _inputs(_x(2, 3, 4, 5))),
    "batchnorm2d_noaffine": (lambda nn: nn.BatchNorm2d(3, affine=False), _inputs(_x(2, 3, 2, 2))),
    "batchnorm2d_notrack": (lambda nn: nn.BatchNorm2d(3, track_running_stats=False),
                            _inputs(_x(2, 3, 2, 2))),
    "batchnorm3d": (lambda nn: nn.BatchNorm3d(2), _inputs(_x(2, 2, 2, 3, 2))),
    "layernorm": (lambda nn: nn.LayerNorm((4, 5)), _inputs(_x(3, 4, 5))),
    "layernorm_nobias": (lambda nn: nn.LayerNorm(5, bias=False, eps=1e-3), _inputs(_x(3, 5))),
    "layernorm_noaffine": (lambda nn: nn.LayerNorm(5, elementwise_affine=False), _inputs(_x(3, 5))),
    "groupnorm": (lambda nn: nn.GroupNorm(2, 4), _inputs(_x(3, 4, 5))),
    "instancenorm1d": (lambda nn: nn.InstanceNorm1d(3), _inputs(_x(2, 3, 6))),
    "instancenorm2d_track": (lambda nn: nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
                             _inputs(_x(2, 3, 4, 4))),
    "rmsnorm": (lambda nn: nn.RMSNorm(5), _inputs(_x(3, 5))),
    "rmsnorm_eps": (lambda nn: nn.RMSNorm((2, 5), eps=1e-3), _inputs(_x(3, 2, 5))),
    "localresponsenorm": (lambda nn: nn.LocalResponseNorm(3, alpha=0.1), _inputs(_x(2, 5, 3, 3))),
    "embedding": (lambda nn: nn.Embedding(6, 3, padding_idx=1), _inputs(_ints([[0, 1, 5], [1, 2, 2]]))),
    "embedding_maxnorm": (lambda nn: nn.Embedding(6, 3, max_norm=1.0), _inputs(_ints([0, 4, 4]))),
    "embeddingbag": (lambda nn: nn.EmbeddingBag(6, 3, mode="sum"),
                     _inputs(_ints([0, 1, 5, 1, 2]), _ints([0, 2]))),
    "embeddingbag_max": (lambda nn: nn.EmbeddingBag(6, 3, mode="max"), _inputs(_ints([[0, 1], [5, 1]]))),
    "pixelshuffle": (lambda nn: nn.PixelShuffle(2), _inputs(_x(1, 8, 2, 3))),
    "pixelunshuffle": (lambda nn: nn.PixelUnshuffle(2), _inputs(_x(1, 2, 4, 6))),
    "channelshuffle": (lambda nn: nn.ChannelShuffle(2), _inputs(_x(1, 4, 2, 2))),
    "upsample_nearest": (lambda nn: nn.Upsample(scale_factor=2), _inputs(_x(1, 2, 3, 3))),
    "upsample_bilinear": (lambda nn: nn.Upsample(size=(5, 4), mode="bilinear"), _inputs(_x(1, 2, 3, 3))),
    "upsample_bicubic_ac": (lambda nn: nn.Upsample(scale_factor=1.5, mode="bicubic", align_corners=True),
                            _inputs(_x(1, 2, 4, 3))),
    "upsamplingbilinear2d": (lambda nn: nn.UpsamplingBilinear2d(scale_factor=2), _inputs(_x(1, 2, 3, 3))),
    "zeropad2d": (lambda nn: nn.ZeroPad2d((1, 0, 2, 1)), _inputs(_x(1, 2, 3, 3))),
    "constantpad1d": (lambda nn: nn.ConstantPad1d(2, 3.5), _inputs(_x(2, 3))),
    "reflectionpad2d": (lambda nn: nn.ReflectionPad2d(2), _inputs(_x(1, 2, 3, 4))),
    "replicationpad3d": (lambda nn: nn.ReplicationPad3d((1, 0, 1, 2, 0, 1)), _inputs(_x(1, 1, 2, 3, 2))),
    "circularpad1d": (lambda nn: nn.CircularPad1d((1, 2)), _inputs(_x(1, 2, 4))),
    "cosinesimilarity": (lambda nn: nn.CosineSimilarity(dim=-1), _inputs(_x(3, 4), _x(3, 4, seed=1))),
    "pairwisedistance": (lambda nn: nn.PairwiseDistance(p=1.5, keepdim=True), _inputs(_x(3, 4), _x(3, 4, seed=1))),
    "flatten_unfold": (lambda nn: nn.Unfold((2, 2), padding=1), _inputs(_x(1, 2, 3, 3))),
    "fold": (lambda nn: nn.Fold((3, 4), 2), _inputs(_x(1, 8, 6))),
    "dropout_eval_identity_train_p0": (lambda nn: nn.Dropout(0.0), _inputs(_x(3, 4))),
}

ACTS = {
    "relu": "nn.ReLU()", "relu_inplace_repr": "nn.ReLU(inplace=True)", "relu6": "nn.ReLU6()",
    "leakyrelu": "nn.LeakyReLU(0.2)", "prelu": "nn.PReLU(4, init=0.1)", "prelu_mismatch": "nn.PReLU(3)", "prelu1": "nn.PReLU()",
    "elu": "nn.ELU(alpha=0.7)", "selu": "nn.SELU()", "celu": "nn.CELU(0.5)", "gelu": "nn.GELU()",
    "gelu_tanh": "nn.GELU(approximate='tanh')", "silu": "nn.SiLU()", "mish": "nn.Mish()",
    "sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()", "softmax": "nn.Softmax(dim=1)",
    "logsoftmax": "nn.LogSoftmax(dim=-1)", "softmin": "nn.Softmin(1)", "softmax2d": "nn.Softmax2d()",
    "softplus": "nn.Softplus(beta=2, threshold=1)", "softsign": "nn.Softsign()",
    "hardtanh": "nn.Hardtanh(-0.5, 0.5)", "hardswish": "nn.Hardswish()",
    "hardsigmoid": "nn.Hardsigmoid()", "hardshrink": "nn.Hardshrink(0.3)",
    "softshrink": "nn.Softshrink(0.3)", "tanhshrink": "nn.Tanhshrink()",
    "threshold": "nn.Threshold(0.1, 20)", "glu": "nn.GLU(dim=1)", "logsigmoid": "nn.LogSigmoid()",
    "rrelu_eval": "nn.RReLU(0.1, 0.3).eval()",
}


def _act_input(lib):
    a = _arr((2, 4, 3, 2), 7) * 3
    # Values exactly on the branch points, where torch's and jax's gradients can differ.
    a.reshape(-1)[:10] = [0.0, 1.0, -1.0, 3.0, -3.0, 6.0, 0.5, -0.5, 0.3, -0.3]
    return [lib.tensor(a, requires_grad=True)]


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer(compat, name):
    ctor, inputs = LAYERS[name]
    compat.value(lambda lib: _run(lib, ctor, inputs), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", sorted(ACTS))
def test_activation(compat, name):
    expr = ACTS[name]
    ctor = lambda nn: eval(expr, {"nn": nn})  # noqa: E731
    compat.value(lambda lib: _run(lib, ctor, _act_input), rtol=1e-7, atol=1e-9)


def test_layer_float32(compat):
    def run(lib):
        lib.manual_seed(0)
        m = lib.nn.Sequential(lib.nn.Conv2d(3, 4, 3, padding=1), lib.nn.BatchNorm2d(4),
                              lib.nn.ReLU(), lib.nn.MaxPool2d(2), lib.nn.Flatten(),
                              lib.nn.Linear(16, 3))
        m.load_state_dict({k: v.float() if v.is_floating_point() else v
                           for k, v in _state(lib, m).items()})
        x = lib.tensor(_arr((2, 3, 4, 4), 1), dtype=lib.float32, requires_grad=True)
        y = m(x)
        g = lib.autograd.grad(y.sum(), [x] + list(m.parameters()))
        return {"y": y.detach(), "g": [t.detach() for t in g],
                "bufs": {k: v for k, v in m.named_buffers()}}
    compat.value(run, rtol=1e-4, atol=1e-5)


# ---- losses ---------------------------------------------------------------------------

def _w(n, seed=3):
    return lambda lib: lib.tensor(_arr((n,), seed, "pos"))


def _loss_case(ctor, *makers):
    def run(lib):
        m = ctor(lib)
        args = [mk(lib) for mk in makers]
        out = m(*args)
        res = {"repr": repr(m), "out": out.detach()}
        leaves = [a for a in args if a.requires_grad]
        if leaves:
            w = lib.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape)))
            res["grads"] = [g.detach() for g in lib.autograd.grad((out * w).sum(), leaves)]
        return res
    return run


_TGT = _ints([1, 0, 4, -100, 2])
_TGT2 = _ints([1, 0, 4, 2, 2])
LOSSES = {
    "l1": (lambda lib, r: lib.nn.L1Loss(reduction=r), _x(4, 3), _x(4, 3, seed=1, grad=False)),
    "mse": (lambda lib, r: lib.nn.MSELoss(reduction=r), _x(4, 3), _x(4, 3, seed=1, grad=False)),
    "smoothl1": (lambda lib, r: lib.nn.SmoothL1Loss(reduction=r, beta=0.5), _x(4, 3), _x(4, 3, seed=1, grad=False)),
    "huber": (lambda lib, r: lib.nn.HuberLoss(reduction=r, delta=0.7), _x(4, 3), _x(4, 3, seed=1, grad=False)),
    "ce": (lambda lib, r: lib.nn.CrossEntropyLoss(reduction=r), _x(5, 6), _TGT),
    "ce_all": (lambda lib, r: lib.nn.CrossEntropyLoss(weight=_w(6)(lib), ignore_index=2,
                                                       label_smoothing=0.15, reduction=r),
               _x(5, 6), _TGT2),
    "ce_prob": (lambda lib, r: lib.nn.CrossEntropyLoss(weight=_w(6)(lib), label_smoothing=0.1, reduction=r),
                _x(5, 6), _x(5, 6, seed=2, grad=False, kind="prob")),
    "ce_kdim": (lambda lib, r: lib.nn.CrossEntropyLoss(label_smoothing=0.2, reduction=r),
                _x(2, 4, 3, 2), _ints([[[0, 1], [3, -100], [2, 2]], [[1, 1], [0, 3], [-100, 0]]])),
    "ce_unbatched": (lambda lib, r: lib.nn.CrossEntropyLoss(reduction=r), _x(6), _ints(3)),
    "nll": (lambda lib, r: lib.nn.NLLLoss(weight=_w(6)(lib), reduction=r), _x(5, 6), _TGT),
    "bce": (lambda lib, r: lib.nn.BCELoss(weight=_w(3)(lib), reduction=r), _x(4, 3, kind="prob"),
            _x(4, 3, seed=1, grad=False, kind="prob")),
    "bcelogits": (lambda lib, r: lib.nn.BCEWithLogitsLoss(pos_weight=_w(3)(lib), reduction=r),
                  _x(4, 3), _x(4, 3, seed=1, grad=False, kind="prob")),
    "kldiv": (lambda lib, r: lib.nn.KLDivLoss(reduction=r), _x(4, 3), _x(4, 3, seed=1, grad=False, kind="prob")),
    "kldiv_log": (lambda lib, r: lib.nn.KLDivLoss(reduction=r, log_target=True), _x(4, 3), _x(4, 3, seed=1, grad=False)),
    "cosineembedding": (lambda lib, r: lib.nn.CosineEmbeddingLoss(margin=0.2, reduction=r), _x(4, 3),
                        _x(4, 3, seed=1), lambda lib: lib.tensor([1.0, -1.0, -1.0, 1.0])),
    "marginranking": (lambda lib, r: lib.nn.MarginRankingLoss(margin=0.3, reduction=r), _x(4),
                      _x(4, seed=1), lambda lib: lib.tensor([1.0, -1.0, -1.0, 1.0])),
    "tripletmargin": (lambda lib, r: lib.nn.TripletMarginLoss(margin=0.5, swap=True, reduction=r),
                      _x(4, 3), _x(4, 3, seed=1), _x(4, 3, seed=2)),
    "hingeembedding": (lambda lib, r: lib.nn.HingeEmbeddingLoss(margin=0.5, reduction=r), _x(4, 3),
                       lambda lib: lib.tensor(np.sign(_arr((4, 3), 5)))),
    "softmargin": (lambda lib, r: lib.nn.SoftMarginLoss(reduction=r), _x(4, 3),
                   lambda lib: lib.tensor(np.sign(_arr((4, 3), 5)))),
    "multilabelsoftmargin": (lambda lib, r: lib.nn.MultiLabelSoftMarginLoss(weight=_w(3)(lib), reduction=r),
                             _x(4, 3), lambda lib: lib.tensor((_arr((4, 3), 5) > 0).astype(float))),
    "multimargin": (lambda lib, r: lib.nn.MultiMarginLoss(p=2, margin=0.8, weight=_w(6)(lib), reduction=r),
                    _x(5, 6), _ints([1, 0, 4, 3, 2])),
    "multilabelmargin": (lambda lib, r: lib.nn.MultiLabelMarginLoss(reduction=r), _x(2, 4),
                         _ints([[3, 0, -1, 1], [1, 2, 3, -1]])),
    "poissonnll": (lambda lib, r: lib.nn.PoissonNLLLoss(full=True, reduction=r), _x(4, 3),
                   lambda lib: lib.tensor(np.abs(_arr((4, 3), 5)) * 3)),
    "gaussiannll": (lambda lib, r: lib.nn.GaussianNLLLoss(full=True, reduction=r), _x(4, 3),
                    _x(4, 3, seed=1), _x(4, 1, seed=2, kind="pos")),
    "ctc": (lambda lib, r: lib.nn.CTCLoss(blank=0, reduction=r),
            lambda lib: lib.tensor(_arr((7, 2, 5), 0), requires_grad=True).log_softmax(2),
            _ints([[1, 2, 2], [3, 1, 0]]), _ints([7, 6]), _ints([3, 2])),
}


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss(compat, name, reduction):
    ctor, *makers = LOSSES[name]
    compat.value(_loss_case(lambda lib: ctor(lib, reduction), *makers), rtol=1e-7, atol=1e-9)


def test_kldiv_batchmean(compat):
    compat.value(_loss_case(lambda lib: lib.nn.KLDivLoss(reduction="batchmean"), _x(4, 3),
                            _x(4, 3, seed=1, grad=False, kind="prob")), rtol=1e-7, atol=1e-9)


def test_batchnorm_buffers_stay_same_objects(compat):
    def run(lib):
        bn = lib.nn.BatchNorm1d(3).double()
        rm, rv, nb = bn.running_mean, bn.running_var, bn.num_batches_tracked
        for seed in range(3):
            bn(lib.tensor(_arr((4, 3), seed)))
        return [bn.running_mean is rm, bn.running_var is rv, bn.num_batches_tracked is nb,
                rm.clone(), rv.clone(), nb.clone()]
    compat.value(run, rtol=1e-7, atol=1e-9)


def test_batchnorm_cumulative_momentum(compat):
    def run(lib):
        bn = lib.nn.BatchNorm2d(2, momentum=None).double()
        for seed in range(4):
            bn(lib.tensor(_arr((3, 2, 2, 2), seed)))
        bn.eval()
        return [bn.running_mean.clone(), bn.running_var.clone(),
                bn(lib.tensor(_arr((1, 2, 2, 2), 9)))]
    compat.value(run, rtol=1e-7, atol=1e-9)


ERRORS = {
    "conv_channels": lambda lib: lib.nn.Conv2d(3, 4, 3)(lib.zeros(1, 2, 5, 5)),
    "conv_groups": lambda lib: lib.nn.Conv2d(3, 4, 3, groups=2),
    "conv_same_stride": lambda lib: lib.nn.Conv2d(3, 4, 3, stride=2, padding="same"),
    "convT_padmode": lambda lib: lib.nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect"),
    "bn_dim": lambda lib: lib.nn.BatchNorm2d(3)(lib.zeros(2, 3)),
    "bn_one_value": lambda lib: lib.nn.BatchNorm1d(3)(lib.zeros(1, 3)),
    "dropout_p": lambda lib: lib.nn.Dropout(1.5),
    "maxpool_pad": lambda lib: lib.nn.MaxPool2d(2, padding=2)(lib.zeros(1, 1, 4, 4)),
    "ce_batch": lambda lib: lib.nn.functional.cross_entropy(lib.zeros(3, 4), lib.zeros(2, dtype=lib.int64)),
    "bce_shape": lambda lib: lib.nn.functional.binary_cross_entropy(lib.zeros(3), lib.zeros(2)),
    "reflect_too_big": lambda lib: lib.nn.functional.pad(lib.zeros(1, 1, 2), (2, 0), mode="reflect"),
    "groupnorm_div": lambda lib: lib.nn.GroupNorm(3, 4),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors(compat, name):
    compat.value(ERRORS[name])


# ---- functional-only entry points -------------------------------------------------------

def _fn_case(fn, *makers):
    def run(lib):
        args = [mk(lib) for mk in makers]
        out = fn(lib.nn.functional, lib, *args)
        first = out[0] if isinstance(out, tuple) else out
        res = {"out": _plain(out)}
        leaves = [a for a in args if hasattr(a, "requires_grad") and a.requires_grad]
        if leaves and first.requires_grad:
            w = lib.tensor(np.linspace(0.5, 1.5, first.numel()).reshape(tuple(first.shape)))
            res["grads"] = [g.detach() for g in lib.autograd.grad((first * w).sum(), leaves)]
        return res
    return run


FUNCTIONAL = {
    "affine_grid": (lambda F, lib, th: F.affine_grid(th, (2, 3, 4, 5), align_corners=False), _x(2, 2, 3)),
    "affine_grid3d": (lambda F, lib, th: F.affine_grid(th, (1, 2, 3, 4, 2), align_corners=True), _x(1, 3, 4)),
    "grid_sample_bilinear": (lambda F, lib, x, g: F.grid_sample(x, g * 1.3, align_corners=False),
                             _x(2, 3, 4, 5), _x(2, 3, 6, 2, seed=1)),
    "grid_sample_border_ac": (lambda F, lib, x, g: F.grid_sample(x, g * 1.3, padding_mode="border",
                                                                 align_corners=True),
                              _x(2, 3, 4, 5), _x(2, 3, 6, 2, seed=1)),
    "grid_sample_reflection": (lambda F, lib, x, g: F.grid_sample(x, g * 1.3, padding_mode="reflection",
                                                                  align_corners=False),
                               _x(2, 3, 4, 5), _x(2, 3, 6, 2, seed=1)),
    "grid_sample_nearest": (lambda F, lib, x, g: F.grid_sample(x, g, mode="nearest", align_corners=False),
                            _x(1, 2, 4, 5), _x(1, 3, 3, 2, seed=1)),
    "grid_sample_3d": (lambda F, lib, x, g: F.grid_sample(x, g, align_corners=False),
                       _x(1, 2, 3, 4, 5), _x(1, 2, 3, 4, 3, seed=1)),
    "interpolate_trilinear": (lambda F, lib, x: F.interpolate(x, size=(3, 5, 2), mode="trilinear"),
                              _x(1, 2, 4, 3, 5)),
    "interpolate_linear_sf": (lambda F, lib, x: F.interpolate(x, scale_factor=2.5, mode="linear"), _x(2, 3, 5)),
    "interpolate_nearest_exact": (lambda F, lib, x: F.interpolate(x, size=(5, 7), mode="nearest-exact"),
                                  _x(1, 2, 3, 4)),
    "interpolate_area": (lambda F, lib, x: F.interpolate(x, size=(2, 3), mode="area"), _x(1, 2, 5, 7)),
    "interpolate_bicubic": (lambda F, lib, x: F.interpolate(x, scale_factor=1.7, mode="bicubic"), _x(1, 2, 4, 5)),
    "unfold": (lambda F, lib, x: F.unfold(x, (2, 3), padding=1, stride=(2, 1), dilation=(1, 2)), _x(2, 3, 5, 6)),
    "fold": (lambda F, lib, x: F.fold(x, (5, 6), (2, 3), padding=1), _x(2, 18, 36)),
    "max_unpool2d": (lambda F, lib, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2,
                                                      output_size=(5, 7)), _x(2, 3, 5, 7)),
    "pad_negative": (lambda F, lib, x: F.pad(x, (-1, 2, 1, -2), value=1.5), _x(2, 4, 5)),
    "embedding_scale_grad": (lambda F, lib, w: F.embedding(lib.tensor([[1, 2, 0], [2, 2, 3]]), w,
                                                           scale_grad_by_freq=True), _x(5, 3)),
    "embedding_bag_psw": (lambda F, lib, w, p: F.embedding_bag(lib.tensor([1, 2, 0, 2, 2, 3]), w,
                                                               lib.tensor([0, 2, 5]), mode="sum",
                                                               per_sample_weights=p, padding_idx=2),
                          _x(5, 3), _x(6, seed=1)),
    "ctc_raw_log_probs": (lambda F, lib, lp: F.ctc_loss(lp, lib.tensor([[1, 2, 2], [3, 1, 0], [4, 0, 0]]),
                                                        lib.tensor([8, 7, 5]), lib.tensor([3, 2, 0])),
                          _x(8, 3, 5)),
    "ctc_concat_targets": (lambda F, lib, lp: F.ctc_loss(lp.log_softmax(2), lib.tensor([1, 2, 2, 3, 1, 4]),
                                                         (8, 6, 5), (3, 2, 1), reduction="sum"),
                           _x(8, 3, 5)),
    "pdist": (lambda F, lib, x: F.pdist(x, p=3), _x(4, 5)),
    "cosine_similarity_bcast": (lambda F, lib, a, b: F.cosine_similarity(a, b, dim=-1), _x(3, 1, 4), _x(2, 4, seed=1)),
    "softmin_dtype": (lambda F, lib, x: F.softmin(x, 1), _x(3, 4)),
    "torch_level_conv2d": (lambda F, lib, x, w: lib.conv2d(x, w, None, 1, 1), _x(1, 2, 4, 4), _x(3, 2, 3, 3, seed=1)),
    "torch_level_batch_norm": (lambda F, lib, x: lib.batch_norm(x, None, None, None, None, True, 0.1, 1e-5, False),
                               _x(4, 3)),
    "torch_level_embedding": (lambda F, lib, w: lib.embedding(w, lib.tensor([0, 2, 2]), 2), _x(4, 3)),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONAL))
def test_functional(compat, name):
    fn, *makers = FUNCTIONAL[name]
    compat.value(_fn_case(fn, *makers), rtol=1e-7, atol=1e-9)
