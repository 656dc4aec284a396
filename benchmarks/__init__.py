"""Benchmarks: `python -m benchmarks.NAME` (not tests; run them on a quiet machine)."""
