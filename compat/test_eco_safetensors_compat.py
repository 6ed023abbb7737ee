"""safetensors under jtorch vs torch: round trips, safe_open slices, files crossing both ways."""
from compat import _eco


def test_safetensors_files_cross_between_torch_and_jtorch(tmp_path):
    _eco.need("torch", "safetensors")
    t1 = _eco.run("torch", "safetensors_workflow.py", tmp_path, "torch")
    j = _eco.run("jtorch", "safetensors_workflow.py", tmp_path, "jtorch")
    t2 = _eco.run("torch", "safetensors_workflow.py", tmp_path, "torch")
    _eco.close(j["roundtrip"], t1["roundtrip"], rtol=0, atol=0)
    _eco.close(j["read_torch"], t1["read_torch"], rtol=0, atol=0)  # jtorch reads torch's file
    assert j["read_torch"]["metadata"] == {"writer": "torch"}
    _eco.close(t2["read_jtorch"], j["read_jtorch"], rtol=0, atol=0)  # torch reads jtorch's file
    assert t2["read_jtorch"]["metadata"] == {"writer": "jtorch"}
    _eco.close(t2["read_jtorch"]["load_file"], t1["roundtrip"], rtol=0, atol=0)
