"""Benchmarks (``make bench``): measured figures, never timed tests."""
