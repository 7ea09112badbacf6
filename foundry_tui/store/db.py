"""The SQLite file behind the history: connection settings, schema versions and migrations.

WAL lets two running instances read while one writes; `busy_timeout` makes a writer wait for the
other instead of failing; every write is one short `BEGIN IMMEDIATE` transaction. `synchronous =
NORMAL` in WAL mode keeps every commit across a killed process (only a power cut can lose the
last ones). `PRAGMA user_version` is the schema version; opening an older file migrates it.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from foundry_tui.config.paths import data_dir, make_private_dirs
from foundry_tui.store.errors import StoreError

DB_FILE_NAME = "history.db"
BUSY_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema version: statements run in order, in one transaction with the version bump.

    Statements are listed one by one (not a script) because `executescript` would commit the
    transaction that keeps a half-done migration from ever being seen.
    """

    statements: tuple[str, ...]
    needs_fts5: bool = False  # skipped where SQLite lacks FTS5: search then falls back to LIKE


MIGRATIONS: tuple[Migration, ...] = (
    # v1: conversations and their messages
    Migration((
        """CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            profile TEXT,
            deployment TEXT,
            system TEXT
        )""",
        "CREATE INDEX conversations_by_update ON conversations (updated_at)",
        """CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
            state TEXT NOT NULL
                CHECK (state IN ('streaming', 'complete', 'failed', 'cancelled', 'interrupted')),
            text TEXT NOT NULL DEFAULT '',
            content TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            profile TEXT,
            deployment TEXT,
            model TEXT,
            stop_reason TEXT,
            usage TEXT,
            cost REAL,
            status INTEGER,
            request_id TEXT,
            apim_request_id TEXT,
            ttft_ms REAL,
            duration_ms REAL,
            error TEXT
        )""",
        "CREATE INDEX messages_by_conversation ON messages (conversation_id, id)",
        "CREATE INDEX messages_by_request_id ON messages (request_id)",
        "CREATE INDEX messages_by_apim_request_id ON messages (apim_request_id)",
        "CREATE INDEX messages_streaming ON messages (updated_at) WHERE state = 'streaming'",
    )),
    # v2: the usage log, one row per request
    Migration((
        """CREATE TABLE requests (
            id INTEGER PRIMARY KEY,
            at REAL NOT NULL,
            command TEXT NOT NULL,
            profile TEXT,
            endpoint_host TEXT,
            deployment TEXT,
            status INTEGER,
            error_kind TEXT,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            cache_creation_input_tokens INTEGER NOT NULL DEFAULT 0,
            cache_read_input_tokens INTEGER NOT NULL DEFAULT 0,
            cost REAL,
            latency_ms REAL,
            ttft_ms REAL,
            request_id TEXT,
            apim_request_id TEXT
        )""",
        "CREATE INDEX requests_by_time ON requests (at)",
    )),
    # v3: full-text search over message text (an external-content index kept by triggers)
    Migration(
        (
            """CREATE VIRTUAL TABLE messages_fts USING fts5 (
                text, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
            )""",
            """CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
                INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
            END""",
            """CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
                INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
            END""",
            """CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages
            WHEN old.text IS NOT new.text BEGIN
                INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
                INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
            END""",
            "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')",
        ),
        needs_fts5=True,
    ),
    # v4: what prompt caching saved on each request (USD; NULL when unpriced)
    Migration(("ALTER TABLE requests ADD COLUMN cache_savings REAL",)),
    # v5: files sent with prompts, each content stored once (by sha256) however many turns send it
    Migration((
        """CREATE TABLE attachments (
            digest TEXT PRIMARY KEY,
            media_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            data BLOB NOT NULL
        )""",
        """CREATE TABLE message_attachments (
            message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            name TEXT NOT NULL,
            digest TEXT NOT NULL REFERENCES attachments (digest),
            PRIMARY KEY (message_id, position)
        )""",
        "CREATE INDEX message_attachments_by_digest ON message_attachments (digest)",
    )),
)  # fmt: skip
SCHEMA_VERSION = len(MIGRATIONS)


def default_path() -> Path:
    return data_dir() / DB_FILE_NAME


class Database:
    """One connection in autocommit mode; `transaction()` groups writes, `rows()` reads."""

    def __init__(self, connection: sqlite3.Connection, path: Path, *, has_fts: bool, read_only: bool = False) -> None:
        self.connection = connection
        self.path = path
        self.has_fts = has_fts  # else search falls back to LIKE
        self.read_only = read_only  # the file is not writable: reads work, writes raise StoreError

    @classmethod
    def open(cls, path: Path, migrations: Sequence[Migration] = MIGRATIONS) -> Database:
        """Open (creating it owner-only if new) and migrate; `migrations` is for building old versions in tests.

        A file the user may not write is opened read-only (SQLite's `mode=ro`): the history can
        still be listed, searched and exported, and each write fails with a message saying why.
        """
        try:
            make_private_dirs(path.parent)  # 0700 whatever the umask, parents included
            read_only = path.exists() and not os.access(path, os.W_OK)
            if read_only:
                uri = f"{path.absolute().as_uri()}?mode=ro"
                connection = sqlite3.connect(uri, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, uri=True)
            else:
                os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))  # -wal and -shm copy these permissions
                connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        except (OSError, sqlite3.Error) as error:
            raise StoreError.from_sqlite(error, path) from None
        try:
            configure(connection, read_only=read_only)
            if read_only:
                check_readable_version(connection, migrations, path)
            else:
                migrate(connection, migrations, path)
            has_fts = bool(connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'messages_fts'").fetchall())
        except BaseException as error:
            connection.close()
            if isinstance(error, sqlite3.Error):
                raise StoreError.from_sqlite(error, path) from None
            raise
        return cls(connection, path, has_fts=has_fts, read_only=read_only)

    def close(self) -> None:
        self.connection.close()

    def rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self.translated_errors():
            return self.connection.execute(sql, parameters).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.translated_errors(), immediate_transaction(self.connection):
            yield self.connection

    @contextmanager
    def translated_errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as error:
            if self.read_only and "readonly" in str(error).lower():
                raise read_only_error(self.path) from None
            raise StoreError.from_sqlite(error, self.path) from None


def read_only_error(path: Path) -> StoreError:
    return StoreError(
        f"the history database {path} is read-only: nothing new is saved",
        f"make it writable (chmod u+w {path}) to save chats and usage",
    )


def configure(connection: sqlite3.Connection, *, read_only: bool = False) -> None:
    connection.row_factory = sqlite3.Row
    connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    if not read_only:  # switching to WAL writes the file
        use_wal(connection)
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA foreign_keys = ON")


def use_wal(connection: sqlite3.Connection) -> None:
    """WAL is a property of the file, switched on by the first open. That switch takes a lock SQLite
    does not wait for (busy_timeout does not apply), so peers opening a new file together retry."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def migrate(connection: sqlite3.Connection, migrations: Sequence[Migration], path: Path) -> None:
    """Bring the file up to `len(migrations)`; a peer migrating at the same moment waits, then finds it done."""
    target = len(migrations)
    version = schema_version(connection)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the history database {path} is from a newer foundry-tui"
            f" (schema v{version}, this one knows v{SCHEMA_VERSION})",
            "upgrade foundry-tui, or keep this version's data apart with FOUNDRY_TUI_HOME",
        )
    if version >= target:
        return  # the common case: one read, no lock
    with immediate_transaction(connection):
        version = schema_version(connection)  # again, under the lock
        fts5 = fts5_available(connection)
        for migration in migrations[version:]:
            if migration.needs_fts5 and not fts5:
                continue
            for statement in migration.statements:
                connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {max(version, target)}")


def check_readable_version(connection: sqlite3.Connection, migrations: Sequence[Migration], path: Path) -> None:
    """A read-only file cannot be migrated: it must already be at the version this code reads."""
    version = schema_version(connection)
    if version > SCHEMA_VERSION:
        migrate(connection, migrations, path)  # raises the "newer foundry-tui" error
    if version < len(migrations):
        error = read_only_error(path)
        raise StoreError(f"{error.message}, and it is from an older foundry-tui (schema v{version})", error.hint)


@contextmanager
def immediate_transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE takes the write lock up front: a busy peer means waiting (busy_timeout), never
    a deadlock between two readers that both want to write."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:  # some errors (a full disk) roll back by themselves
            connection.execute("ROLLBACK")
        raise


def schema_version(connection: sqlite3.Connection) -> int:
    version: int = connection.execute("PRAGMA user_version").fetchone()[0]
    return version


def fts5_available(connection: sqlite3.Connection) -> bool:
    return any(row[0] == "ENABLE_FTS5" for row in connection.execute("PRAGMA compile_options"))
