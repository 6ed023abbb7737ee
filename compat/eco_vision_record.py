"""Record torch's side of compat/eco/vision_workflow.py (timm and torchvision).

    /path/to/venv/bin/python compat/eco_vision_record.py

Run it with an interpreter that has real torch, torchvision and timm (the torchvision wheel
for torch 2.13 does not load next to its CPU build, so the recording uses torch 2.14.1 +
torchvision 0.29.1 in a separate venv; see compat/ecosystem.md). Writes
compat/expected/eco_vision_torch.json with the versions used.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

out = subprocess.run([sys.executable, os.path.join(HERE, "eco", "vision_workflow.py")],
                     capture_output=True, text=True, check=True).stdout
result = json.loads([ln for ln in out.splitlines() if ln.startswith("RESULT ")][-1][len("RESULT "):])
versions = subprocess.run([sys.executable, "-c", "import torch, torchvision, timm; print(json.dumps("
                           "{'torch': torch.__version__, 'torchvision': torchvision.__version__, "
                           "'timm': timm.__version__}))".replace("print(", "import json; print(")],
                          capture_output=True, text=True, check=True).stdout
result["versions"] = json.loads(versions)
with open(os.path.join(HERE, "expected", "eco_vision_torch.json"), "w") as f:
    json.dump(result, f, indent=1, sort_keys=True)
    f.write("\n")
print("wrote", result["versions"])
