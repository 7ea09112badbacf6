"""The one error the history store raises: a one-line message and a hint, never a traceback.

Kept free of `sqlite3` so the command runner can catch it without importing the store.
"""

from __future__ import annotations

from pathlib import Path

from foundry_tui.problem import Problem

_HINTS = (
    ("locked", "another foundry-tui is busy writing the history: try again in a moment"),
    ("busy", "another foundry-tui is busy writing the history: try again in a moment"),
    ("not a database", "the history file {path} is damaged: move it away and a new one is started"),
    ("malformed", "the history file {path} is damaged: move it away and a new one is started"),
    ("full", "free some disk space: the history is in {path}"),
    ("readonly", "make {folder} writable, or point FOUNDRY_TUI_HOME somewhere writable"),
    ("unable to open", "make {folder} writable, or point FOUNDRY_TUI_HOME somewhere writable"),
)


class StoreError(Problem):
    """The history could not be read or written: a message naming the cause and a hint."""

    @classmethod
    def from_sqlite(cls, error: Exception, path: Path) -> StoreError:
        """Name the likely cause of an sqlite3 error and what to do about it."""
        text = " ".join(str(error).split()) or type(error).__name__
        lowered = text.lower()
        hint = next((hint for needle, hint in _HINTS if needle in lowered), "the history is in {path}")
        return cls(f"history database: {text}", hint.format(path=path, folder=path.parent))
