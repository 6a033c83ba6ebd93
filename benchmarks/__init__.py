"""Benchmarks for Huike; `make bench` runs `python -m benchmarks` and prints the figures."""
