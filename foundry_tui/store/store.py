"""The history store: one SQLite file holding conversations and the usage log.

`Store` is the synchronous API, for the headless commands; code on an event loop uses
`AsyncStore`, which runs the same calls on a writer thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from foundry_tui.config.file import DEFAULT_USAGE_DAYS
from foundry_tui.store.conversations import STALE_AFTER_SECONDS, Conversations
from foundry_tui.store.db import Database, default_path
from foundry_tui.store.usage import UsageLog


@dataclass(slots=True)
class Store:
    db: Database
    conversations: Conversations
    usage: UsageLog

    @classmethod
    def open(
        cls,
        path: Path | None = None,
        *,
        prune_days: int | None = DEFAULT_USAGE_DAYS,
        stale_after: float = STALE_AFTER_SECONDS,
    ) -> Store:
        """Cheap enough for start-up: migrations only on the first open of a new version, and
        usage rows past `prune_days` deleted only when there are some (None: keep them all)."""
        db = Database.open(path or default_path())
        store = cls(db, Conversations(db, stale_after=stale_after), UsageLog(db))
        try:
            if prune_days is not None and not db.read_only:
                store.usage.prune(prune_days)
        except BaseException:
            db.close()
            raise
        return store

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
