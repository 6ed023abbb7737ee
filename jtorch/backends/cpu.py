"""torch.backends.cpu."""


def get_cpu_capability() -> str:
    """Matches `torch.backends.cpu.get_cpu_capability`: jtorch reports XLA's default, 'DEFAULT'."""
    return "DEFAULT"
