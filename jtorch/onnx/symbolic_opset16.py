"""torch.onnx.symbolic_opset16: its symbolic functions exist and raise when called (no ONNX export)."""
from ._opset import module_getattr

__getattr__ = module_getattr("symbolic_opset16")
