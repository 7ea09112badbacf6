"""Benchmarks for foundry-tui: `python -m benchmarks` (add `--quick` for the CI-sized run)."""

import foundry_tui.ui  # noqa: F401  (first: Textual's settings as the app runs with them)
