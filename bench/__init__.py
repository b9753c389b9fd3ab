"""Benchmarks (not part of make test): python -m bench.run, or make bench."""
