"""Benchmarks: `python -m benchmarks.bench_<name>` from the repo root."""
