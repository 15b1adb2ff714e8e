"""The benchmark suite: `python -m benchmarks.run` (or `make bench`) writes docs/PERFORMANCE.md."""
