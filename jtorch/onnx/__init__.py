"""torch.onnx: importable so programs that only import it run; exporting is not supported."""
from __future__ import annotations


def export(model, args=(), f=None, *a, **kw):
    """`torch.onnx.export` is not supported by jtorch."""
    raise NotImplementedError("torch.onnx.export is not supported by jtorch (no ONNX exporter); "
                              "export with real torch, or save a state_dict with torch.save")


def is_in_onnx_export() -> bool:
    """Matches `torch.onnx.is_in_onnx_export`: always False."""
    return False


# ---- the symbolic-registration surface (torchvision, timm register ops at import) -----------

import enum  # noqa: E402

_custom_symbolics: dict = {}


def register_custom_op_symbolic(symbolic_name: str, symbolic_fn, opset_version: int) -> None:
    """Matches `torch.onnx.register_custom_op_symbolic`: recorded (jtorch never exports)."""
    ns, sep, op = symbolic_name.partition("::")
    if not sep or not ns or not op:
        raise ValueError(f"Failed to register operator {symbolic_name}. The symbolic name must match "
                         "the format domain::name, and should start with a letter and contain only "
                         "alphanumerical characters")
    _custom_symbolics[(symbolic_name, opset_version)] = symbolic_fn


def unregister_custom_op_symbolic(symbolic_name: str, opset_version: int) -> None:
    """Matches `torch.onnx.unregister_custom_op_symbolic`."""
    _custom_symbolics.pop((symbolic_name, opset_version), None)


class TensorProtoDataType(enum.IntEnum):
    """Matches `torch.onnx.TensorProtoDataType` (ONNX's element types)."""
    UNDEFINED = 0
    FLOAT = 1
    UINT8 = 2
    INT8 = 3
    UINT16 = 4
    INT16 = 5
    INT32 = 6
    INT64 = 7
    STRING = 8
    BOOL = 9
    FLOAT16 = 10
    DOUBLE = 11
    UINT32 = 12
    UINT64 = 13
    COMPLEX64 = 14
    COMPLEX128 = 15
    BFLOAT16 = 16


class OperatorExportTypes(enum.IntEnum):
    """Matches `torch.onnx.OperatorExportTypes`."""
    ONNX = 0
    ONNX_ATEN = 1
    ONNX_ATEN_FALLBACK = 2
    ONNX_FALLTHROUGH = 3


class TrainingMode(enum.IntEnum):
    """Matches `torch.onnx.TrainingMode`."""
    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


class ExportOptions:
    """Matches `torch.onnx.ExportOptions` as a type (jtorch has no exporter)."""

    def __init__(self, *, dynamic_shapes=None, fake_context=None, onnx_registry=None,
                 diagnostic_options=None):
        self.dynamic_shapes = dynamic_shapes


def dynamo_export(model, *args, export_options=None, **kwargs):
    """`torch.onnx.dynamo_export` is not supported by jtorch."""
    return export(model, args)
