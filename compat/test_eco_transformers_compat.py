"""transformers under jtorch: tiny GPT-2, BERT, Llama from configs vs torch (separate processes).

torch builds and saves the models (safetensors); jtorch loads them, evaluates with labels,
trains 5 AdamW steps, generates greedily and saves; torch then runs the same workflow and
loads jtorch's save. Losses, logits, gradient norms and tokens must agree.
"""
import pytest

from compat import _eco

MODELS = ["gpt2", "bert", "llama"]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    _eco.need("torch", "transformers", "safetensors")
    d = tmp_path_factory.mktemp("tf")
    _eco.run("torch", "transformers_workflow.py", "make", d)
    j = _eco.run("jtorch", "transformers_workflow.py", "run", d, "jtorch")
    t = _eco.run("torch", "transformers_workflow.py", "run", d, "torch")
    return t, j


@pytest.mark.parametrize("name", MODELS)
def test_forward_train_generate_match_torch(results, name):
    t, j = results
    _eco.close(j[name]["loss0"], t[name]["loss0"])
    _eco.close(j[name]["logits0"], t[name]["logits0"])
    _eco.close(j[name]["gradnorm"], t[name]["gradnorm"], rtol=1e-3)
    _eco.close(j[name]["losses"], t[name]["losses"], rtol=1e-3, atol=1e-4)
    _eco.close(j[name]["logits1"], t[name]["logits1"], rtol=1e-3, atol=1e-3)
    assert j[name].get("generated") == t[name].get("generated")


@pytest.mark.parametrize("name", MODELS)
def test_save_pretrained_loads_in_torch(results, name):
    t, j = results
    # torch loaded jtorch's trained save: its logits are jtorch's.
    _eco.close(t[name]["other_logits1"], j[name]["logits1"], rtol=1e-5, atol=1e-6)
