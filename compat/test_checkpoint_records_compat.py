"""Tensor records that do not fit their storage, written by torch, load in jtorch as in torch
2.13 (issue 14 §5): the same error type for out-of-bounds/malformed records, the same values and
strides for small expanded (stride-0) records, any offset for an empty one."""
import collections

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import jtorch  # noqa: E402


class _Record:
    """Pickles as torch's own tensor record with a declared (offset, size, stride)."""

    def __init__(self, offset, size, stride):
        self.args = (offset, size, stride)

    def __reduce__(self):
        base = torch.tensor([1.0, 2.0, 3.0])
        st = torch.storage.TypedStorage(wrap_storage=base.untyped_storage(), dtype=base.dtype,
                                        _internal=True)
        return (torch._utils._rebuild_tensor_v2,
                (st, *self.args, False, collections.OrderedDict()))


def _outcome(lib, path):
    try:
        t = lib.load(path, weights_only=True)["t"]
    except Exception as e:  # noqa: BLE001
        return type(e).__name__
    return tuple(t.shape), t.stride(), np.asarray(t.tolist()).tolist()


@pytest.mark.parametrize("offset,size,stride", [
    (0, (4,), (1,)), (3, (1,), (1,)), (0, (2,), (3,)), (1, (2, 2), (1, 1)),  # out of bounds
    (0, (2,), (-1,)), (-1, (1,), (1,)), (0, (-2,), (1,)), (0, (2, 1), (1,)),  # malformed
    (5, (0,), (1,)), (0, (0, 2), (9, 1)), (0, (0, 3), (0, 0)),  # empty: no element is read
    (0, (4, 3), (0, 1)), (1, (3, 2, 2), (0, 0, 1)), (0, (2, 2), (1, 1)),  # overlapping views
])
def test_record_loads_as_in_torch(tmp_path, offset, size, stride):
    path = str(tmp_path / "r.pt")
    torch.save({"t": _Record(offset, size, stride)}, path)
    expected = _outcome(torch, path)
    assert _outcome(jtorch, path) == expected
