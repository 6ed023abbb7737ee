# Importing `torch` from this directory (first on sys.path under `python -m jtorch`, also in
# child interpreters) installs the jtorch alias and becomes jtorch.
import sys

from jtorch._dropin import install

install()
import jtorch  # noqa: E402

sys.modules[__name__] = jtorch
