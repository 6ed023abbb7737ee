"""Holds the `torch` package that child interpreters of `python -m jtorch` import (see _dropin.py)."""
