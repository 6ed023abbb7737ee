"""torch._dynamo.utils: the helpers libraries import."""
from __future__ import annotations

import collections

counters: collections.defaultdict = collections.defaultdict(collections.Counter)


def is_compile_supported(device_type) -> bool:
    """Matches `torch._dynamo.utils.is_compile_supported`."""
    return True
