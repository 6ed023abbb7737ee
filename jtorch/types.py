"""torch.types: the type aliases torch's signatures use."""
from __future__ import annotations

import builtins
import os
from typing import IO, Any, Sequence, TypeAlias, Union  # noqa: F401

from ._device import device as _device
from ._dtype import dtype as _dtype
from ._layout import layout as _layout
from ._symbolic import SymBool, SymFloat, SymInt
from ._tensor import Size, Tensor
from ._storage import UntypedStorage as Storage  # noqa: F401

_bool = builtins.bool
_int = builtins.int
_float = builtins.float
_complex = builtins.complex
_str = builtins.str
_bytes = builtins.bytes
_qscheme = object
_dispatchkey = Union[str, object]

IntLikeType: TypeAlias = Union[_int, SymInt]
FloatLikeType: TypeAlias = Union[_float, SymFloat]
BoolLikeType: TypeAlias = Union[_bool, SymBool]
py_sym_types = (SymInt, SymFloat, SymBool)
PySymType: TypeAlias = Union[SymInt, SymFloat, SymBool]

_TensorOrTensors: TypeAlias = Union[Tensor, Sequence[Tensor]]
_TensorOrOptionalTensors: TypeAlias = Union[Tensor, Sequence[Union[Tensor, None]]]
_size: TypeAlias = Union[Size, list[_int], tuple[_int, ...]]
_symsize: TypeAlias = Union[Size, Sequence[Union[_int, SymInt]]]
_Number: TypeAlias = Union[_int, _float, _bool]
Number: TypeAlias = Union[_int, _float, _bool]
Device: TypeAlias = Union[_device, _str, _int, None]
FileLike: TypeAlias = Union[_str, os.PathLike, IO[_bytes]]
