"""What the commands share about the history store: its usage window, and warning when it is unusable.

Recording is a side effect of `check` and `ask`: if the file cannot be used they still do their
job and say once, on stderr, what was not saved.
"""

from __future__ import annotations

from foundry_tui.commands.output import print_problem
from foundry_tui.config.file import load_config
from foundry_tui.config.profile import ConfigError
from foundry_tui.store.errors import StoreError
from foundry_tui.store.store import Store


def prune_days() -> int | None:
    """The configured usage window; None (no pruning this time) when the config cannot be read,
    so a broken file never prunes a longer window away. The command reports the config itself."""
    try:
        return load_config().usage_days
    except ConfigError:
        return None


def open_store() -> Store:
    return Store.open(prune_days=prune_days())


def warn_not_saved(error: StoreError) -> None:
    print_problem(error, label="warning:", context="not saved to the history")
