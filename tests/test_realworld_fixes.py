"""What public example programs needed: torch's module paths for pickled whole models,
`torch.load`'s environment overrides. No torch and no external program needed."""
import io
import pickle

import numpy as np
import pytest

import jtorch
from jtorch import nn


def _save(obj):
    buf = io.BytesIO()
    jtorch.save(obj, buf)
    return buf.getvalue()


def test_layers_live_at_torchs_module_paths():
    assert nn.modules.activation.MultiheadAttention is nn.MultiheadAttention
    assert nn.modules.linear.Identity is nn.Identity
    assert nn.modules.channelshuffle.ChannelShuffle is nn.ChannelShuffle
    assert nn.MultiheadAttention.__module__ == "jtorch.nn.modules.activation"


def test_whole_model_pickles_torch_names_and_loads_under_safe_globals():
    jtorch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0)
    model = nn.Sequential(nn.TransformerEncoder(layer, 1, enable_nested_tensor=False),
                          nn.Identity())
    data = _save(model)
    assert b"jtorch" not in data
    assert b"torch.nn.modules.activation\nMultiheadAttention" in data
    assert b"torch.nn.functional\nrelu" in data  # the layer's activation function
    allowed = [nn.modules.container.Sequential, nn.modules.container.ModuleList,
               nn.modules.transformer.TransformerEncoder,
               nn.modules.transformer.TransformerEncoderLayer,
               nn.modules.activation.MultiheadAttention, nn.modules.linear.Identity,
               nn.modules.linear.Linear, nn.modules.linear.NonDynamicallyQuantizableLinear,
               nn.modules.dropout.Dropout, nn.modules.normalization.LayerNorm,
               nn.functional.relu]
    with pytest.raises(pickle.UnpicklingError):
        jtorch.load(io.BytesIO(data))
    with jtorch.serialization.safe_globals(allowed):
        back = jtorch.load(io.BytesIO(data))
    assert type(back[0].layers[0].self_attn) is nn.MultiheadAttention
    x = jtorch.randn(3, 2, 8)
    model.eval()
    back.eval()
    np.testing.assert_allclose(back(x).detach().numpy(), model(x).detach().numpy(), rtol=1e-6)


def test_pickled_lstm_carries_flat_weights_like_torch():
    lstm = nn.LSTM(3, 4, num_layers=2)
    state = lstm.__getstate__()
    assert [id(w) for w in state["_flat_weights"]] == [id(w) for w in lstm._flat_weights]
    back = jtorch.load(io.BytesIO(_save(lstm)), weights_only=False)
    assert "_flat_weights" not in vars(back)
    x = jtorch.randn(5, 1, 3)
    np.testing.assert_allclose(back(x)[0].detach().numpy(), lstm(x)[0].detach().numpy())
    back.weight_ih_l0 = nn.Parameter(jtorch.zeros(16, 3))
    assert back._flat_weights[0] is back.weight_ih_l0


def _numpy_file():
    buf = io.BytesIO()
    jtorch.save(np.arange(3.0), buf)
    buf.seek(0)
    return buf


def test_force_no_weights_only_env_applies_when_argument_unset(monkeypatch):
    with pytest.raises(pickle.UnpicklingError):
        jtorch.load(_numpy_file())
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    with pytest.warns(UserWarning, match="TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"):
        np.testing.assert_array_equal(jtorch.load(_numpy_file()), np.arange(3.0))
    with pytest.raises(pickle.UnpicklingError):  # an explicit argument wins
        jtorch.load(_numpy_file(), weights_only=True)


def test_force_weights_only_env_wins_over_argument(monkeypatch):
    monkeypatch.setenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "true")
    with pytest.raises(pickle.UnpicklingError):
        jtorch.load(_numpy_file(), weights_only=False)
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    with pytest.raises(RuntimeError, match="TORCH_FORCE_WEIGHTS_ONLY_LOAD"):
        jtorch.load(_numpy_file())


def test_load_environment_switches_ignore_case(monkeypatch):
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "TRUE")
    with pytest.warns(UserWarning, match="TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"):
        np.testing.assert_array_equal(jtorch.load(_numpy_file()), np.arange(3.0))
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "on")  # not one of torch's words
    with pytest.raises(pickle.UnpicklingError):
        jtorch.load(_numpy_file())


def test_dropout2d_accepts_older_ranks_like_torch():
    F = nn.functional
    jtorch.manual_seed(0)
    with pytest.warns(UserWarning, match="dropout2d"):  # 2D: element-wise, as torch
        y = F.dropout2d(jtorch.ones(40, 50), 0.5, True)
    assert 0.3 < (y == 0).float().mean().item() < 0.7
    assert (y[:, 1:] != y[:, :1]).any()
    with pytest.warns(UserWarning, match=r"\(N, C, L\)"):  # 3D: (N, C, L), whole channels
        y = F.dropout2d(jtorch.ones(6, 20, 5), 0.5, True)
    assert (y == y[:, :, :1]).all() and (y[:, 1:] != y[:, :1]).any()
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        F.dropout2d(jtorch.ones(5), 0.5, True)
    y = F.dropout3d(jtorch.ones(30, 2, 3, 4), 0.5, True)  # 4D: one unbatched (C, D, H, W)
    assert (y == y[:, :1, :1, :1]).all() and (y[1:] != y[:1]).any()
    with pytest.warns(UserWarning, match="dropout3d"):
        y = nn.Dropout3d(0.5)(jtorch.ones(30, 4))
    assert (y == y[:, :1]).all()


def test_objects_from_private_files_pickle_under_their_public_torch_name():
    objs = [nn.functional.cross_entropy, jtorch.optim.lr_scheduler.OneCycleLR, jtorch.FloatTensor,
            nn.modules.rnn.LSTM]
    data = _save(objs)
    for name in [b"torch.nn.functional\ncross_entropy", b"torch.optim.lr_scheduler\nOneCycleLR",
                 b"torch\nFloatTensor", b"torch.nn.modules.rnn\nLSTM"]:
        assert name in data
    assert jtorch.load(io.BytesIO(data), weights_only=False) == objs
