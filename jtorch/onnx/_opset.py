"""Symbolic functions of the `torch.onnx.symbolic_opsetN` modules: each raises when called."""
from __future__ import annotations


def symbolic(qualname: str):
    """A symbolic function that can be referenced and decorated but raises when called."""
    def fn(g, *args, **kwargs):
        raise NotImplementedError(f"torch.onnx.{qualname} runs only during ONNX export, which "
                                  "jtorch does not support (export with real torch)")
    fn.__name__ = fn.__qualname__ = qualname.rsplit(".", 1)[-1]
    return fn


def module_getattr(module: str):
    def __getattr__(name):
        if name.startswith("__"):
            raise AttributeError(name)
        return symbolic(f"{module}.{name}")
    return __getattr__
