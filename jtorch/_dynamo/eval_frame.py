"""torch._dynamo.eval_frame: `OptimizedModule`, the class of what torch.compile(module) returns."""
from __future__ import annotations

from .. import _compile

OptimizedModule = _compile._optimized_module_type()
