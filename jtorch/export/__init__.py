"""Matches `torch.export`: `export`, `ExportedProgram`, `Dim`, `dims`, `save`, `load`.

Programs are `jax.export` StableHLO: they run compiled on CPU, GPU or TPU, from jtorch or from
plain JAX (see the README's "Export and deploy").
"""
from __future__ import annotations

from ._api import export as export
from ._format import load as load
from ._format import save as save
from .dynamic_shapes import Dim as Dim
from .dynamic_shapes import ShapesCollection as ShapesCollection
from .dynamic_shapes import dims as dims
from .exported_program import ExportedProgram as ExportedProgram
from .graph_signature import ExportGraphSignature as ExportGraphSignature

__all__ = ["Dim", "dims", "export", "ExportedProgram", "ExportGraphSignature", "load", "save",
           "ShapesCollection"]
