"""safetensors save_file/load_file/safe_open under torch and jtorch, files crossing between them.

    python safetensors_workflow.py DIR TAG     (writes DIR/TAG.safetensors; reads every other
                                                *.safetensors in DIR; prints one RESULT json line)
"""
import glob
import json
import os
import sys

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file


def tensors():
    rng = np.random.default_rng(0)
    base = torch.tensor(rng.standard_normal((4, 6)).astype("float32"))
    return {"f32": base, "f64": base.double() * 3, "f16": base.half(), "bf16": base.bfloat16(),
            "i64": torch.arange(-5, 7).reshape(3, 4), "u8": torch.tensor(rng.integers(0, 256, 9, dtype=np.uint8)),
            "bool": base > 0, "scalar": torch.tensor(2.5), "empty": torch.zeros(0, 3),
            "t": base.t().contiguous()}


def summary(d):
    return {k: [str(v.dtype), list(v.shape), v.double().flatten().tolist()[:12]] for k, v in sorted(d.items())}


def main():
    root, tag = sys.argv[1], sys.argv[2]
    out = {}
    mine = os.path.join(root, f"{tag}.safetensors")
    save_file(tensors(), mine, metadata={"writer": tag})
    out["roundtrip"] = summary(load_file(mine))
    for path in sorted(glob.glob(os.path.join(root, "*.safetensors"))):
        name = os.path.basename(path).split(".")[0]
        with safe_open(path, framework="pt") as f:
            keys = sorted(f.keys())
            sl = f.get_slice("f32")[1:3, ::2]
            out[f"read_{name}"] = {"keys": keys, "metadata": f.metadata(), "slice": sl.tolist(),
                                   "bf16": f.get_tensor("bf16").float().tolist()[0],
                                   "load_file": summary(load_file(path))}
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
