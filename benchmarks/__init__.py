"""Benchmarks (not tests): numbers go to BENCHMARKS.md."""
