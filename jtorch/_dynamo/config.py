"""torch._dynamo.config: the settings jtorch.compile honours (the rest are accepted)."""
from __future__ import annotations

import sys
import types

from .. import _compile


class _Config(types.ModuleType):
    """`cache_size_limit` is jtorch.compile's recompile limit; other names are stored."""

    @property
    def cache_size_limit(self):
        return _compile.cache_size_limit

    @cache_size_limit.setter
    def cache_size_limit(self, n):
        _compile.cache_size_limit = int(n)

    recompile_limit = cache_size_limit

    def patch(self, *args, **kwargs):
        """Matches `config.patch` as a context manager/decorator."""
        import contextlib
        changes = dict(args[0]) if args and isinstance(args[0], dict) else {}
        if len(args) == 2:
            changes[args[0]] = args[1]
        changes.update(kwargs)

        @contextlib.contextmanager
        def ctx():
            old = {k: getattr(self, k, None) for k in changes}
            for k, v in changes.items():
                setattr(self, k, v)
            try:
                yield
            finally:
                for k, v in old.items():
                    setattr(self, k, v)
        return ctx()


suppress_errors = False
verbose = False
capture_scalar_outputs = False
capture_dynamic_output_shape_ops = False
automatic_dynamic_shapes = True
assume_static_by_default = True
optimize_ddp = True
inline_inbuilt_nn_modules = True
accumulated_cache_size_limit = 256
guard_nn_modules = True
skip_nnmodule_hook_guards = True
allow_unspec_int_on_nn_module = False

sys.modules[__name__].__class__ = _Config
