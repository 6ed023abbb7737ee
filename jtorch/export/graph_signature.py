"""Matches `torch.export.graph_signature`: what each input and output of a program is."""
from __future__ import annotations

import dataclasses
from enum import Enum, auto


class InputKind(Enum):
    """Matches `torch.export.graph_signature.InputKind`."""
    USER_INPUT = auto()
    PARAMETER = auto()
    BUFFER = auto()
    CONSTANT_TENSOR = auto()
    CUSTOM_OBJ = auto()
    TOKEN = auto()


class OutputKind(Enum):
    """Matches `torch.export.graph_signature.OutputKind`."""
    USER_OUTPUT = auto()
    LOSS_OUTPUT = auto()
    BUFFER_MUTATION = auto()
    PARAMETER_MUTATION = auto()
    GRADIENT_TO_PARAMETER = auto()
    GRADIENT_TO_USER_INPUT = auto()
    USER_INPUT_MUTATION = auto()
    TOKEN = auto()


@dataclasses.dataclass
class TensorArgument:
    """Matches `torch.export.graph_signature.TensorArgument`."""
    name: str


@dataclasses.dataclass
class InputSpec:
    """Matches `torch.export.graph_signature.InputSpec`."""
    kind: InputKind
    arg: TensorArgument
    target: str | None
    persistent: bool | None = None


@dataclasses.dataclass
class OutputSpec:
    """Matches `torch.export.graph_signature.OutputSpec`."""
    kind: OutputKind
    arg: TensorArgument
    target: str | None


@dataclasses.dataclass
class ExportGraphSignature:
    """Matches `torch.export.ExportGraphSignature`: input specs in program order (parameters,
    buffers, user inputs), output specs (buffer mutations, then user outputs)."""
    input_specs: list
    output_specs: list

    def _names(self, specs, kind):
        return tuple(s.arg.name for s in specs if s.kind == kind)

    @property
    def parameters(self):
        return tuple(s.target for s in self.input_specs if s.kind == InputKind.PARAMETER)

    @property
    def buffers(self):
        return tuple(s.target for s in self.input_specs if s.kind == InputKind.BUFFER)

    @property
    def non_persistent_buffers(self):
        return tuple(s.target for s in self.input_specs
                     if s.kind == InputKind.BUFFER and s.persistent is False)

    @property
    def user_inputs(self):
        return self._names(self.input_specs, InputKind.USER_INPUT)

    @property
    def user_outputs(self):
        return self._names(self.output_specs, OutputKind.USER_OUTPUT)

    @property
    def inputs_to_parameters(self):
        return {s.arg.name: s.target for s in self.input_specs if s.kind == InputKind.PARAMETER}

    @property
    def inputs_to_buffers(self):
        return {s.arg.name: s.target for s in self.input_specs if s.kind == InputKind.BUFFER}

    @property
    def buffers_to_mutate(self):
        return {s.arg.name: s.target for s in self.output_specs
                if s.kind == OutputKind.BUFFER_MUTATION}

    def __str__(self):
        lines = ["# inputs"]
        for s in self.input_specs:
            extra = f" target={s.target!r}" if s.target is not None else ""
            if s.persistent is not None:
                extra += f" persistent={s.persistent}"
            lines.append(f"{s.arg.name}: {s.kind.name}{extra}")
        lines += ["", "# outputs"]
        for s in self.output_specs:
            extra = f" target={s.target!r}" if s.target is not None else ""
            lines.append(f"{s.arg.name}: {s.kind.name}{extra}")
        return "\n".join(lines) + "\n"


def build(meta, functional=False) -> ExportGraphSignature:
    """The signature from an exported program's JSON description. As torch 2.13's, buffer
    updates (BatchNorm's running statistics) are outputs only after `run_decompositions()`
    (`functional`); the program itself always returns them."""
    ins = []
    for name, kind, persistent in meta["state"]:
        if kind == "parameter":
            ins.append(InputSpec(InputKind.PARAMETER, TensorArgument("p_" + _safe(name)), name))
        else:
            ins.append(InputSpec(InputKind.BUFFER, TensorArgument("b_" + _safe(name)), name,
                                 persistent))
    ins += [InputSpec(InputKind.USER_INPUT, TensorArgument(_safe(p)), None) for p in meta["in_paths"]]
    outs = [OutputSpec(OutputKind.BUFFER_MUTATION, TensorArgument(f"mutated_{_safe(n)}"), n)
            for n in meta["mutated"]] if functional else []
    outs += [OutputSpec(OutputKind.USER_OUTPUT, TensorArgument(f"output_{i}"), None)
             for i in range(meta["n_out"])]
    return ExportGraphSignature(ins, outs)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name).strip("_") or "arg"
