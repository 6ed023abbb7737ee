"""Seeds as PyTorch has them: the default generator is seeded from the OS per process, a new
Generator starts at the fixed default seed, any 64-bit seed is accepted."""
import subprocess
import sys

import pytest


def test_new_generator_seed(compat):
    compat.value(lambda lib: lib.Generator().initial_seed())


@pytest.mark.parametrize("seed", [0, 5, -1, 2**63 + 7, 2**64 - 1])
def test_manual_seed_roundtrip(compat, seed):
    def run(lib):
        lib.manual_seed(seed)
        return lib.initial_seed()
    compat.value(run)


def test_large_seeds_give_working_streams(compat):
    def run(lib):
        lib.manual_seed(2**64 - 1)
        a = lib.rand(3)
        lib.manual_seed(-1)  # the same seed modulo 2**64
        return bool((a == lib.rand(3)).all())
    compat.value(run)


def _seed_in_new_process(module):
    code = f"import {module}; print({module}.initial_seed())"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300).stdout.strip()


def test_default_seed_differs_between_processes(compat):
    def run(lib):
        a, b = _seed_in_new_process(lib.__name__), _seed_in_new_process(lib.__name__)
        return a != b and a.isdigit()
    compat.value(run)
