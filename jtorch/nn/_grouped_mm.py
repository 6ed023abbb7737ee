"""`torch.nn.functional.grouped_mm`: one matmul per group, for mixture-of-experts layers."""
from __future__ import annotations


def grouped_mm(mat_a, mat_b, *, offs=None, bias=None, out_dtype=None):
    """Matches `torch.nn.functional.grouped_mm`:

    - 3D @ 3D: a batched matmul (`offs` unused);
    - 2D (M, K) @ 3D (G, K, N) with `offs`: row block [offs[i-1], offs[i]) uses mat_b[i];
    - 3D (G, M, K) @ 2D (K, N) with `offs`: column block i of the output uses mat_a[i];
    - 2D (M, K) @ 2D (K, N) with `offs`: output (G, M, N), group i contracts K block i.

    Every group runs over the whole operand and is masked (shapes never depend on `offs`, so it
    compiles once); rows or columns past the last offset are zeros (torch leaves them
    uninitialised).
    """
    from .. import arange, bmm, stack, zeros
    if bias is not None:
        raise RuntimeError("Bias not supported yet")
    if out_dtype is not None and out_dtype is not mat_a.dtype:
        raise RuntimeError("Grouped gemm output dtype must match `mat_a` dtype")
    da, db = mat_a.dim(), mat_b.dim()
    if da == 3 and db == 3:
        return bmm(mat_a, mat_b)
    if offs is None:
        raise RuntimeError("grouped_mm: offs is required unless both inputs are 3D")
    ends = offs.long()
    starts = ends.roll(1)
    starts[0] = 0

    def mask(n, i):
        pos = arange(n, device=mat_a.device)
        return (pos >= starts[i]) & (pos < ends[i])

    if da == 2 and db == 3:
        out = zeros(mat_a.shape[0], mat_b.shape[2], dtype=mat_a.dtype)
        for i in range(mat_b.shape[0]):
            out = out + (mat_a @ mat_b[i]) * mask(mat_a.shape[0], i).unsqueeze(1).to(mat_a.dtype)
        return out
    if da == 3 and db == 2:
        out = zeros(mat_a.shape[1], mat_b.shape[1], dtype=mat_a.dtype)
        for i in range(mat_a.shape[0]):
            out = out + (mat_a[i] @ mat_b) * mask(mat_b.shape[1], i).unsqueeze(0).to(mat_a.dtype)
        return out
    if da == 2 and db == 2:
        groups = []
        for i in range(offs.shape[0]):
            m = mask(mat_a.shape[1], i).to(mat_a.dtype)
            groups.append((mat_a * m) @ mat_b)
        return stack(groups)
    raise RuntimeError(f"grouped_mm: expected 2D or 3D inputs, got {da}D and {db}D")
