"""Matches `torch.export.ExportedProgram`: a `jax.export` program plus its weights and specs."""
from __future__ import annotations

import collections

import jax

from . import _spec
from ._module import ExportedModule
from .graph_signature import build


class _CallSpec(collections.namedtuple("CallSpec", ["in_spec", "out_spec"])):
    """Matches torch's `CallSpec`; the specs are jtorch's JSON structures (printed torch-style)."""

    def __repr__(self):
        return f"CallSpec(in_spec={_spec.text(self.in_spec)}, out_spec={_spec.text(self.out_spec)})"


class ExportedProgram:
    """Matches `torch.export.ExportedProgram`.

    The program is StableHLO (`jax.export.Exported`), not an FX graph: `print(ep)` and
    `ep.graph` show its StableHLO text, `run_decompositions()` returns the program unchanged (it
    is already lowered to XLA's primitives), and `to_stablehlo()` gives the text or bytecode for
    other XLA runtimes. `platforms` lists the backends it was lowered for.
    """

    def __init__(self, exp, meta, state_dict, example_inputs=None, functional=False):
        self._exp = exp
        self._meta = meta
        self._state_dict = state_dict  # name -> Tensor, in program order
        self._example_inputs = example_inputs
        self._sig = build(meta, functional)
        self._call = None

    # ---- torch's surface --------------------------------------------------------------
    @property
    def state_dict(self) -> dict:
        return collections.OrderedDict((n, t) for (n, _, persistent), t in
                                       zip(self._meta["state"], self._state_dict.values())
                                       if persistent is not False)

    @property
    def constants(self) -> dict:
        """Non-persistent buffers (torch lists them here); other constants are in the program."""
        return {n: t for (n, kind, persistent), t in zip(self._meta["state"], self._state_dict.values())
                if persistent is False}

    @property
    def graph_signature(self):
        return self._sig

    @property
    def example_inputs(self):
        return self._example_inputs

    @property
    def call_spec(self):
        return _CallSpec(self._meta["in_spec"], self._meta["out_spec"])

    @property
    def range_constraints(self) -> dict:
        """{symbol name: (min, max)} of the dynamic dimensions (max is math.inf if unbounded)."""
        return {n: (lo, float("inf") if hi is None else hi)
                for n, (lo, hi) in self._meta["plan"]["roots"].items()}

    @property
    def platforms(self) -> tuple:
        return tuple(self._exp.platforms)

    @property
    def graph(self) -> str:
        return self.to_stablehlo()

    @property
    def graph_module(self):
        return self.module()

    def module(self) -> ExportedModule:
        """An nn.Module running the program; its parameters and buffers are this program's
        (shared with `state_dict`), so `load_state_dict` on it changes what it computes."""
        return ExportedModule(self)

    def run_decompositions(self, decomp_table=None, decompose_custom_triton_ops=False):
        """The same program (already StableHLO, XLA's primitive ops); as torch's, the result's
        signature lists buffer updates as BUFFER_MUTATION outputs."""
        return ExportedProgram(self._exp, self._meta, self._state_dict, self._example_inputs,
                               functional=True)

    def validate(self):
        """Matches `ExportedProgram.validate` (nothing to check on a StableHLO program)."""

    def to_stablehlo(self, bytecode: bool = False):
        """jtorch-only: the StableHLO module as text, or as MLIR bytecode with `bytecode=True`."""
        return bytes(self._exp.mlir_module_serialized) if bytecode else self._exp.mlir_module()

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Unable to call ExportedProgram directly. You should use "
                           "`exported_program.module()` instead.")

    def __str__(self):
        body = self.to_stablehlo().replace("\n", "\n    ")
        roots = ", ".join(f"{n}: VR[{lo}, {'int_oo' if hi is None else hi}]"
                          for n, (lo, hi) in self._meta["plan"]["roots"].items())
        return (f"ExportedProgram:\n    {body}\nGraph signature: {self._sig}"
                f"Range constraints: {{{roots}}}\n")

    __repr__ = __str__

    # ---- running ----------------------------------------------------------------------
    def _caller(self):
        """The compiled call: jax.jit of the exported program (one compile per input shape)."""
        if self._call is None:
            self._call = jax.jit(self._exp.call)
        return self._call
