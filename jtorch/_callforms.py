"""Call forms torch's argument parser accepts beyond a Python signature: a sizes argument given
as varargs, as one sequence, or by its keyword name (`x.reshape(shape=(3, 2))`)."""
from __future__ import annotations

import functools


def sizes_arg(name: str):
    """Let `fn(self, *sizes)` also take `name=sizes`; no sizes at all is torch's TypeError."""
    def deco(fn):
        @functools.wraps(fn)
        def wrapper(self, *sizes, **kwargs):
            if name in kwargs:
                if sizes:
                    raise TypeError(f"{fn.__name__}() got multiple values for argument '{name}'")
                sizes = (kwargs.pop(name),)
            if not sizes:
                raise TypeError(f'{fn.__name__}() missing 1 required positional arguments: "{name}"')
            return fn(self, *sizes, **kwargs)
        return wrapper
    return deco
