"""Operator schemas: parse `name.overload(Tensor x, *, int n=2) -> Tensor`, infer one from type
hints (`torch.library.infer_schema`), bind a call's arguments against one."""
from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Sequence

_NO_DEFAULT = object()
_SCALARS = {"int": int, "SymInt": int, "float": float, "bool": bool, "str": str}


class Arg:
    """One schema argument: `type` is the base type name (`Tensor`, `SymInt`, `float`, ...)."""

    __slots__ = ("name", "type", "optional", "is_list", "elem_optional", "default", "kwarg_only",
                 "mutable", "text", "type_text")

    def __init__(self, text: str, kwarg_only: bool):
        self.text, self.kwarg_only = text, kwarg_only
        m = re.fullmatch(r"\s*([\w.]+)(\([\w.]*(!?)\))?(\?)?(\[\d*\])?(\?)?\s+(\w+)\s*(?:=\s*(.+?))?\s*",
                         text)
        if m is None:
            raise RuntimeError(f"Unsupported argument in schema: '{text.strip()}'")
        self.type, self.mutable = m.group(1), bool(m.group(3))
        self.elem_optional = bool(m.group(4)) and bool(m.group(5))
        self.is_list = bool(m.group(5))
        self.optional = bool(m.group(6)) or (bool(m.group(4)) and not m.group(5))
        self.name = m.group(7)
        self.default = _NO_DEFAULT if m.group(8) is None else _parse_default(m.group(8))
        self.type_text = text.strip()[:m.start(7) - (len(text) - len(text.lstrip()))].strip()

    def __str__(self):
        d = "" if self.default is _NO_DEFAULT else "=" + _show_default(self.default)
        return f"{self.type_text} {self.name}{d}"


def _show_default(v) -> str:
    """A default as torch prints a parsed schema (floats as `1.`, strings double-quoted)."""
    if isinstance(v, float) and repr(v).endswith(".0"):
        return repr(v)[:-1]
    if isinstance(v, _Name):
        return str(v)
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, list):
        return "[" + ", ".join(_show_default(e) for e in v) + "]"
    return repr(v)


def _parse_default(s: str):
    s = s.strip()
    if s in ("None", "True", "False"):
        return {"None": None, "True": True, "False": False}[s]
    if s[:1] in "\"'":
        return s[1:-1]
    if s.startswith("["):
        return [_parse_default(e) for e in s[1:-1].split(",") if e.strip()]
    try:
        return int(s)
    except ValueError:
        pass
    try:
        return float(s)
    except ValueError:
        return _Name(s)


class _Name(str):
    """An unquoted default: an enum name such as `contiguous_format` or `float32`."""


def _split_top(s: str) -> list[str]:
    """Split on commas outside brackets and quotes."""
    out, depth, cur, quote = [], 0, "", None
    for c in s:
        if quote:
            quote = None if c == quote else quote
        elif c in "\"'":
            quote = c
        elif c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "," and depth == 0:
            out.append(cur)
            cur = ""
            continue
        cur += c
    if cur.strip():
        out.append(cur)
    return out


class Schema:
    """A parsed schema. `str()` gives `ns::name.overload(args) -> returns`."""

    def __init__(self, text: str, ns: str | None = None):
        m = re.fullmatch(r"\s*(?:(\w+)::)?(\w+)(?:\.(\w+))?\s*\((.*)\)\s*->\s*(.+?)\s*", text, re.S)
        if m is None:
            raise RuntimeError(f"Could not parse the schema '{text}': expected "
                               "'name(Type arg, ...) -> ReturnType'")
        self.ns = m.group(1) or ns
        self.name, self.overload = m.group(2), m.group(3) or ""
        self.args: list[Arg] = []
        kw = False
        for a in _split_top(m.group(4)):
            if a.strip() == "*":
                kw = True
                continue
            self.args.append(Arg(a, kw))
        ret = m.group(5).strip()
        self.returns = [r.strip() for r in _split_top(ret[1:-1])] if ret.startswith("(") else [ret]
        self.returns_tuple = ret.startswith("(")
        args = [str(a) for a in self.args]
        n_pos = sum(not a.kwarg_only for a in self.args)
        if n_pos < len(args):
            args.insert(n_pos, "*")
        self.body = f"({', '.join(args)}) -> {ret}"

    @property
    def qualname(self) -> str:
        return f"{self.ns}::{self.name}"

    def __str__(self):
        ov = f".{self.overload}" if self.overload else ""
        return f"{self.ns}::{self.name}{ov}{self.body}"

    __repr__ = __str__

    def bind(self, args, kwargs) -> tuple[list, dict]:
        """Check a call against the schema; return (positional values, keyword-only values)
        with defaults filled. Raises torch's RuntimeError for a wrong count or type."""
        pos_params = [a for a in self.args if not a.kwarg_only]
        if len(args) > len(pos_params):
            raise RuntimeError(f"{self.qualname}() expected at most {len(pos_params)} argument(s) but "
                               f"received {len(args)} argument(s). Declaration: {self}")
        known = {a.name for a in self.args}
        for k in kwargs:
            if k not in known:
                raise RuntimeError(f"{self.qualname}() got an unexpected keyword argument '{k}'. "
                                   f"Declaration: {self}")
        values = []
        for i, a in enumerate(self.args):
            if i < len(args):
                if a.name in kwargs:
                    raise RuntimeError(f"{self.qualname}() got multiple values for argument "
                                       f"'{a.name}'. Declaration: {self}")
                v = args[i]
            elif a.name in kwargs:
                v = kwargs[a.name]
            elif a.default is not _NO_DEFAULT:
                v = a.default
            else:
                raise RuntimeError(f"{self.qualname}() is missing value for argument '{a.name}'. "
                                   f"Declaration: {self}")
            _check(self, i, a, v)
            values.append(v)
        pos = values[:len(pos_params)]
        kw = {a.name: v for a, v in zip(self.args[len(pos_params):], values[len(pos_params):])}
        return pos, kw


def _check(schema, i, a, v):
    from .._tensor import Tensor
    if v is None and (a.optional or a.default is None):
        return
    if a.is_list:
        ok = isinstance(v, (list, tuple)) and all(
            _ok_elem(a.type, e, a.elem_optional, Tensor) for e in v)
        if a.type in ("int", "SymInt", "float", "bool") and isinstance(v, (int, float)):
            ok = ok or _ok_elem(a.type, v, False, Tensor)  # int[2] accepts a single number
    else:
        ok = _ok_elem(a.type, v, False, Tensor)
    if not ok:
        want = a.type + ("[]" if a.is_list else "")
        raise RuntimeError(f"{schema.qualname}() Expected a value of type '{want}' for argument "
                           f"'{a.name}' but instead found type '{type(v).__name__}'.\nPosition: {i}\n"
                           f"Value: {v!r}\nDeclaration: {schema}")


def _ok_elem(typ, v, optional, Tensor) -> bool:
    if v is None:
        return optional
    if typ == "Tensor":
        return isinstance(v, Tensor)
    if typ in ("int", "SymInt"):
        return isinstance(v, int) or (isinstance(v, Tensor) and v.dim() == 0)
    if typ == "float":
        return isinstance(v, (int, float)) or (isinstance(v, Tensor) and v.dim() == 0)
    if typ == "bool":
        return isinstance(v, (bool, int))
    if typ == "str":
        return isinstance(v, str)
    if typ == "Scalar":
        return isinstance(v, (bool, int, float, complex)) or (isinstance(v, Tensor) and v.dim() == 0)
    return True  # ScalarType, Device, Layout, MemoryFormat, Generator: not checked


# ---- inference from type hints -------------------------------------------------------------

def _type_name(ann, Tensor, dtype, device) -> str | None:
    origin, targs = typing.get_origin(ann), typing.get_args(ann)
    if origin is typing.Union or type(ann).__name__ == "UnionType":
        rest = [t for t in targs if t is not type(None)]
        if len(rest) == 1 and len(targs) == 2:
            inner = _type_name(rest[0], Tensor, dtype, device)
            return None if inner is None else inner + "?"
        if set(rest) <= {int, float, bool}:
            return "Scalar" + ("?" if len(rest) < len(targs) else "")
        return None
    if origin in (list, Sequence, typing.Sequence) or ann in (list, Sequence):
        if not targs:
            return None
        inner = _type_name(targs[0], Tensor, dtype, device)
        return None if inner is None else inner + "[]"
    if isinstance(ann, type) and issubclass(ann, Tensor):
        return "Tensor"
    return {int: "SymInt", float: "float", bool: "bool", str: "str", dtype: "ScalarType",
            device: "Device"}.get(ann)


def _fmt_default(v) -> str:
    if isinstance(v, str):
        return f'"{v}"'
    if hasattr(v, "is_floating_point") and hasattr(v, "itemsize"):  # a dtype
        return str(v).removeprefix("torch.")
    return repr(v)


def infer_schema(fn, *, name: str | None = None, mutates_args, op_name: str | None = None) -> str:
    """Matches `torch.library.infer_schema`: the schema string of `fn`'s type hints."""
    import jtorch
    if mutates_args != "unknown" and (isinstance(mutates_args, str) or
                                      not isinstance(mutates_args, (list, tuple, set, frozenset))):
        raise ValueError("mutates_args must either be a sequence of the names of the arguments that "
                         "are mutated or the string 'unknown'. ")
    sig = inspect.signature(fn)
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # noqa: BLE001 - unresolvable string annotations: use them as written
        hints = {k: p.annotation for k, p in sig.parameters.items()}
        hints["return"] = sig.return_annotation

    def error(what):
        raise ValueError(f"infer_schema(func): {what} Got func with signature {sig})")
    parts, kw_started = [], False
    params = list(sig.parameters.values())
    for idx, p in enumerate(params):
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            error("We do not support positional-only args, varargs, or varkwargs.")
        if p.kind == p.KEYWORD_ONLY and not kw_started:
            parts.append("*")
            kw_started = True
        if p.annotation is inspect.Parameter.empty:
            error(f"Parameter {p.name} must have a type annotation.")
        t = _type_name(hints.get(p.name, p.annotation), jtorch.Tensor, jtorch.dtype, jtorch.device)
        if t is None:
            error(f"Parameter {p.name} has unsupported type {p.annotation}.")
        if t.startswith("Tensor") and (mutates_args == "unknown" or p.name in mutates_args):
            t = t.replace("Tensor", f"Tensor(a{idx}!)", 1)
        d = "" if p.default is inspect.Parameter.empty else "=" + _fmt_default(p.default)
        parts.append(f"{t} {p.name}{d}")
    if mutates_args != "unknown":
        missing = set(mutates_args) - {p.name for p in params}
        if missing:
            error(f"{missing} in mutates_args were not found in the custom op's signature. "
                  "mutates_args should contain the names of all args that the custom op mutates, "
                  "or just the string 'unknown' if you don't know.")
    ret = hints.get("return", sig.return_annotation)
    if ret is None or ret is type(None):
        rs = "()"
    elif typing.get_origin(ret) is tuple:
        names = [_type_name(t, jtorch.Tensor, jtorch.dtype, jtorch.device) for t in typing.get_args(ret)]
        if None in names:
            error(f"Return has unsupported type {ret}.")
        rs = "(" + ", ".join(names) + ")"
    else:
        rs = _type_name(ret, jtorch.Tensor, jtorch.dtype, jtorch.device)
        if rs is None or ret is inspect.Signature.empty:
            error(f"Return has unsupported type {ret}.")
    out = f"({', '.join(parts)}) -> {rs}"
    return f"{name or op_name}{out}" if (name or op_name) else out
