"""torch.utils.tensorboard.SummaryWriter writes events TensorBoard reads back (needs tensorboard)."""
import pytest

pytest.importorskip("tensorboard")

import jtorch as torch  # noqa: E402
from jtorch.utils.tensorboard import SummaryWriter  # noqa: E402


def test_scalars_histograms_text_round_trip(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    with SummaryWriter(log_dir=str(tmp_path)) as w:
        for step in range(3):
            w.add_scalar("loss/train", torch.tensor(1.0 / (step + 1)), step)
        w.add_histogram("weights", torch.arange(10.0), 0)
        w.add_text("note", "hello", 0)
        w.add_scalars("run", {"a": 1.0, "b": 2.0}, 0)
        assert w.get_logdir() == str(tmp_path)
    acc = EventAccumulator(str(tmp_path)).Reload()
    vals = [(e.step, round(e.value, 4)) for e in acc.Scalars("loss/train")]
    assert vals == [(0, 1.0), (1, 0.5), (2, 0.3333)]
    h = acc.Histograms("weights")[0].histogram_value
    assert h.num == 10 and h.min == 0.0 and h.max == 9.0 and h.sum == 45.0
    sub = EventAccumulator(str(tmp_path / "run_b")).Reload()
    assert sub.Scalars("run")[0].value == 2.0
    with pytest.raises(NotImplementedError):
        SummaryWriter(log_dir=str(tmp_path)).add_image("x", torch.zeros(3, 2, 2))
