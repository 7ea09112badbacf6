"""Benchmarks for foundry-tui: `python -m benchmarks` (add `--quick` for the CI-sized run)."""
