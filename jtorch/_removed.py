"""torch functions removed in favour of `torch.linalg` (torch.lstsq, torch.solve, torch.symeig,
torch.eig, torch.matrix_rank): like torch 2.13, calling one raises a RuntimeError that names the
replacement."""
from __future__ import annotations

_REPLACEMENT = {
    "lstsq": "torch.linalg.lstsq(A, B) (note the swapped arguments; the solution is `.solution`)",
    "solve": "torch.linalg.solve(A, B) (note the swapped arguments; use torch.linalg.lu_factor "
             "for the LU factorization)",
    "symeig": "torch.linalg.eigvalsh(A, UPLO=...) or torch.linalg.eigh(A, UPLO=...) (the default "
              "triangle is now the lower one)",
    "eig": "torch.linalg.eigvals(A) or torch.linalg.eig(A) (they return complex tensors)",
    "matrix_rank": "torch.linalg.matrix_rank(A, hermitian=...) ('symmetric' became 'hermitian')",
}


def _removed(name):
    def fn(*args, **kwargs):
        raise RuntimeError(f"This function was deprecated since version 1.9 and is now removed. "
                           f"`torch.{name}` is removed; use {_REPLACEMENT[name]} instead.")
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Matches `torch.{name}`: removed in torch; raises a RuntimeError naming the replacement."
    return fn


FUNCTIONS = {name: _removed(name) for name in _REPLACEMENT}
# Tensor methods torch keeps only to raise the same error (there is no Tensor.matrix_rank).
METHODS = {name: FUNCTIONS[name] for name in ("lstsq", "solve", "symeig", "eig")}
