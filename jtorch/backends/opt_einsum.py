"""torch.backends.opt_einsum: jnp.einsum always optimizes the contraction order."""
enabled = True
strategy = "auto"


def is_available() -> bool:
    """Matches `torch.backends.opt_einsum.is_available`."""
    return True
