"""Lightning Trainer.fit (default settings) and torchmetrics under jtorch vs torch (separate processes)."""
from compat import _eco


def test_lightning_fit_one_epoch_matches_torch(tmp_path):
    _eco.need("torch", "lightning")
    t = _eco.run("torch", "lightning_workflow.py", tmp_path / "t")
    j = _eco.run("jtorch", "lightning_workflow.py", tmp_path / "j")
    assert j["global_step"] == t["global_step"] == 4
    assert j["checkpoint_same"] and t["checkpoint_same"]
    _eco.close(j["losses"], t["losses"], rtol=1e-4)
    _eco.close(j["weight_sum"], t["weight_sum"], rtol=1e-4, atol=1e-4)
    _eco.close(j["val_loss"], t["val_loss"], rtol=1e-4)


def test_torchmetrics_match_torch():
    _eco.need("torch", "torchmetrics")
    t = _eco.run("torch", "torchmetrics_workflow.py")
    j = _eco.run("jtorch", "torchmetrics_workflow.py")
    _eco.close(j, t, rtol=1e-6, atol=1e-7)
