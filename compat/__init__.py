"""Tests that run the same code on torch and jtorch (see README.md)."""
