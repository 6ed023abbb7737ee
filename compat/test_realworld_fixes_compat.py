"""Against torch 2.13: what public example programs needed (whole pickled models across the two
libraries under `safe_globals`, the load environment overrides, dropout2d's older ranks)."""
import io
import pickle
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import jtorch  # noqa: E402

_ALLOWED = ["container.Sequential", "container.ModuleList", "transformer.TransformerEncoder",
            "transformer.TransformerEncoderLayer", "activation.MultiheadAttention",
            "linear.Identity", "linear.Linear", "linear.NonDynamicallyQuantizableLinear",
            "dropout.Dropout", "normalization.LayerNorm", "sparse.Embedding", "rnn.LSTM"]


def _allowed(lib):
    out = [lib.nn.functional.relu]
    for name in _ALLOWED:
        mod, cls = name.split(".")
        out.append(getattr(getattr(lib.nn.modules, mod), cls))
    return out


def _model(lib):
    lib.manual_seed(0)
    nn = lib.nn
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0)
    return nn.Sequential(nn.Embedding(10, 8), nn.TransformerEncoder(layer, 1, enable_nested_tensor=False),
                         nn.LSTM(8, 4, num_layers=2), nn.Identity()).eval()


def _moved(model, src, dst):
    buf = io.BytesIO()
    src.save(model, buf)
    buf.seek(0)
    with dst.serialization.safe_globals(_allowed(dst)):
        return dst.load(buf)


def _run(model, lib):
    x = lib.tensor([[1, 2], [3, 4], [5, 6]])
    seq = model[:2](x)
    return model[2](seq)[0].detach().numpy()


@pytest.mark.parametrize("src,dst", [("jtorch", "torch"), ("torch", "jtorch")])
def test_whole_model_loads_in_the_other_library(src, dst):
    libs = {"torch": torch, "jtorch": jtorch}
    model = _model(libs[src])
    back = _moved(model, libs[src], libs[dst])
    assert type(back[1].layers[0].self_attn) is libs[dst].nn.MultiheadAttention
    np.testing.assert_allclose(_run(back, libs[dst]), _run(model, libs[src]), rtol=1e-5, atol=1e-6)


def _numpy_file(lib):
    buf = io.BytesIO()
    lib.save(np.arange(3.0), buf)
    return buf.getvalue()


@pytest.mark.parametrize("env,kw", [({"TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}, {}),
                                    ({"TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}, {"weights_only": True}),
                                    ({"TORCH_FORCE_WEIGHTS_ONLY_LOAD": "yes"}, {"weights_only": False}),
                                    ({"TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "True"}, {}),
                                    ({"TORCH_FORCE_WEIGHTS_ONLY_LOAD": "YES"}, {"weights_only": False}),
                                    ({"TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "on"}, {}),
                                    ({"TORCH_FORCE_WEIGHTS_ONLY_LOAD": "1",
                                      "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}, {})])
def test_load_environment_overrides_match(monkeypatch, env, kw):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    outcome = {}
    for name, lib in [("torch", torch), ("jtorch", jtorch)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                outcome[name] = list(lib.load(io.BytesIO(_numpy_file(lib)), **kw))
            except (pickle.UnpicklingError, RuntimeError) as e:
                outcome[name] = type(e).__name__
    assert outcome["jtorch"] == outcome["torch"]


@pytest.mark.parametrize("fn,shape", [("dropout2d", (40, 30)), ("dropout2d", (6, 20, 5)),
                                      ("dropout2d", (4, 8, 2, 2, 2)), ("dropout3d", (30, 2, 3, 4)),
                                      ("dropout3d", (30, 4)), ("dropout3d", (40,)),
                                      ("dropout2d", (7,))])
def test_feature_dropout_mask_layout_matches(fn, shape):
    def layout(lib):
        lib.manual_seed(0)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                y = getattr(lib.nn.functional, fn)(lib.ones(*shape, dtype=lib.float64), 0.5, True)
            except RuntimeError:
                return "error", bool(w)
        y = y.numpy()
        # along which dims the mask is constant (random positions differ between libraries)
        const = tuple(d for d in range(y.ndim) if y.shape[d] > 1
                      and (y == np.take(y, [0], axis=d)).all())
        return const, bool(w)
    assert layout(jtorch) == layout(torch)


def test_pickled_functions_and_classes_resolve_to_torchs_objects():
    names = ["nn.functional.cross_entropy", "nn.functional.relu", "optim.lr_scheduler.OneCycleLR",
             "FloatTensor", "nn.modules.rnn.LSTM", "nn.modules.activation.MultiheadAttention"]

    def get(lib, name):
        out = lib
        for part in name.split("."):
            out = getattr(out, part)
        return out
    buf = io.BytesIO()
    jtorch.save([get(jtorch, n) for n in names], buf)
    buf.seek(0)
    assert torch.load(buf, weights_only=False) == [get(torch, n) for n in names]
