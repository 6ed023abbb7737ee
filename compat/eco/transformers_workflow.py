"""Tiny GPT-2, BERT and Llama from configs: one script run unmodified under torch and jtorch.

    python transformers_workflow.py make DIR        (torch: build, save_pretrained DIR/<name>/init)
    python transformers_workflow.py run DIR TAG     (either library: load init, train, generate,
                                                     save DIR/<name>/TAG; load the other's save)

Prints one JSON line: per model the eval loss/logits, 5 AdamW losses, the first gradient
norm, greedy tokens, logits after training and logits of the other library's trained save.
"""
import json
import os
import sys

import torch
import transformers as T

CONFIGS = {
    "gpt2": (T.GPT2Config, T.GPT2LMHeadModel,
             dict(n_layer=2, n_embd=32, n_head=2, vocab_size=100, n_positions=64,
                  resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)),
    "bert": (T.BertConfig, T.BertForMaskedLM,
             dict(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                  intermediate_size=64, max_position_embeddings=64, hidden_dropout_prob=0.0,
                  attention_probs_dropout_prob=0.0)),
    "llama": (T.LlamaConfig, T.LlamaForCausalLM,
              dict(vocab_size=100, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                   num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64)),
}
IDS = [[(7 * i + 3 * j + 1) % 100 for j in range(10)] for i in range(2)]


def head(t):
    return [round(float(v), 6) for v in t[0, :3, :6].flatten().tolist()]


def workflow(name, model, out_dir):
    ids = torch.tensor(IDS)
    res = {}
    model.eval()
    with torch.no_grad():
        o = model(ids, labels=ids)
    res["loss0"], res["logits0"] = o.loss.item(), head(o.logits)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    res["losses"] = []
    for step in range(5):
        opt.zero_grad()
        loss = model(ids, labels=ids).loss
        loss.backward()
        if step == 0:
            res["gradnorm"] = torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters()
                                             if p.grad is not None)).item()
        opt.step()
        res["losses"].append(loss.item())
    model.eval()
    if name != "bert":
        gen = model.generate(ids[:, :4], attention_mask=torch.ones(2, 4, dtype=torch.long),
                             max_new_tokens=6, do_sample=False, pad_token_id=0)
        res["generated"] = gen.tolist()
    with torch.no_grad():
        res["logits1"] = head(model(ids).logits)
    model.save_pretrained(out_dir)
    return res


def main():
    mode, root = sys.argv[1], sys.argv[2]
    torch.manual_seed(0)
    out = {}
    for name, (cfg_cls, model_cls, cfg) in CONFIGS.items():
        d = os.path.join(root, name)
        if mode == "make":
            model_cls(cfg_cls(**cfg)).save_pretrained(os.path.join(d, "init"))
            continue
        tag = sys.argv[3]
        model = model_cls.from_pretrained(os.path.join(d, "init"))
        out[name] = workflow(name, model, os.path.join(d, tag))
        other = "jtorch" if tag == "torch" else "torch"
        if os.path.isdir(os.path.join(d, other)):
            back = model_cls.from_pretrained(os.path.join(d, other)).eval()
            with torch.no_grad():
                out[name]["other_logits1"] = head(back(torch.tensor(IDS)).logits)
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
