"""Smoke tests of the benchmark suite, and tests of what the performance work changed."""
