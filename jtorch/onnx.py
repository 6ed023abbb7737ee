"""torch.onnx: importable so programs that only import it run; exporting is not supported."""
from __future__ import annotations


def export(model, args=(), f=None, *a, **kw):
    """`torch.onnx.export` is not supported by jtorch."""
    raise NotImplementedError("torch.onnx.export is not supported by jtorch (no ONNX exporter); "
                              "export with real torch, or save a state_dict with torch.save")


def is_in_onnx_export() -> bool:
    """Matches `torch.onnx.is_in_onnx_export`: always False."""
    return False
