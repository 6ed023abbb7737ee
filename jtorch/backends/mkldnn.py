"""torch.backends.mkldnn: XLA:CPU does not use oneDNN through jtorch; flags are stored only."""
enabled = True


def is_available() -> bool:
    """Matches `torch.backends.mkldnn.is_available`: False (jtorch runs XLA:CPU kernels)."""
    return False
