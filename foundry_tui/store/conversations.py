"""Conversations and their messages: written turn by turn, listed, searched, renamed, deleted.

An assistant message is born `streaming` and checkpointed while it streams; every checkpoint also
bumps `updated_at`, a heartbeat. A `streaming` row whose heartbeat is older than `stale_after`
belongs to a process that died: it reads as `interrupted` everywhere, and `mark_interrupted()`
makes that permanent. A live peer's stream keeps beating, so it is never taken for dead.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from foundry_tui.attachments import Attachment
from foundry_tui.store.db import Database
from foundry_tui.store.errors import StoreError

STALE_AFTER_SECONDS = 10.0
TITLE_CHARS = 60
ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32 in lower case: no i, l, o, u
ID_LENGTH = 10  # 50 random bits
EXCERPT_CHARS = 100

MessageState = Literal["streaming", "complete", "failed", "cancelled", "interrupted"]

_REQUEST_ID = re.compile(r"req_[A-Za-z0-9]+")
_UUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_WORD = re.compile(r"\w+")
# A dead process's stream reads as interrupted; the parameter is the oldest heartbeat still alive.
_STATE = "CASE WHEN m.state = 'streaming' AND m.updated_at < ? THEN 'interrupted' ELSE m.state END"
_NO_SUCH_HINT = "`foundry-tui history` lists the conversations and their ids"


@dataclass(slots=True)
class ConversationSummary:
    id: str
    title: str
    created_at: float
    updated_at: float
    profile: str | None
    deployment: str | None  # of the latest turn
    turns: int
    last_state: MessageState | None  # of the latest reply: "interrupted" offers a retry


@dataclass(frozen=True, slots=True)
class ReplyDetails:
    """What a reply's row holds besides its content: for its footer, the export and support.

    The request ids arrive with the response headers, the rest when the reply ends.
    """

    model: str | None = None
    stop_reason: str | None = None
    usage: dict[str, Any] | None = None  # Usage.to_dict()
    cost: float | None = None  # USD; None when the price is unknown
    status: int | None = None
    request_id: str | None = None
    apim_request_id: str | None = None
    ttft_ms: float | None = None
    duration_ms: float | None = None
    error: dict[str, Any] | None = None  # FoundryError.to_dict()


_DETAILS = tuple(spec.name for spec in fields(ReplyDetails))


@dataclass(slots=True)
class StoredMessage:
    id: int
    role: Literal["user", "assistant"]
    state: MessageState
    text: str  # the prompt, or the reply's text so far (what search and partial replies use)
    content: list[dict[str, Any]] | None  # a finished reply's content blocks, Anthropic format
    created_at: float
    updated_at: float
    profile: str | None = None  # replies only
    deployment: str | None = None
    details: ReplyDetails = field(default_factory=ReplyDetails)
    attachments: list[Attachment] = field(default_factory=list)  # prompts only, in the order sent

    def blocks(self) -> list[dict[str, Any]]:
        """The content in Anthropic format; a prompt is its attachments' blocks then one text block,
        a partial reply one text block."""
        if self.content is not None:
            return self.content
        text = [{"type": "text", "text": self.text}] if self.text else []
        return [*(attachment.block() for attachment in self.attachments), *text]


@dataclass(slots=True)
class Conversation:
    id: str
    title: str
    created_at: float
    updated_at: float
    profile: str | None
    deployment: str | None
    system: str | None
    messages: list[StoredMessage]


@dataclass(slots=True)
class SearchHit:
    conversation_id: str
    title: str
    message_id: int
    role: str
    created_at: float
    request_id: str | None
    apim_request_id: str | None
    excerpt: str


@dataclass(frozen=True, slots=True)
class StartedTurn:
    conversation_id: str
    user_message_id: int
    reply_message_id: int


@dataclass(frozen=True, slots=True)
class FinishedReply:
    """What the end of a reply writes over its streaming row."""

    state: MessageState
    text: str
    content: list[dict[str, Any]]
    details: ReplyDetails = field(default_factory=ReplyDetails)


class Conversations:
    def __init__(self, db: Database, *, stale_after: float = STALE_AFTER_SECONDS) -> None:
        self._db = db
        self.stale_after = stale_after

    # -- writing a turn ----------------------------------------------------------------------

    def start_turn(
        self,
        prompt: str,
        *,
        profile: str | None,
        deployment: str,
        conversation_id: str | None = None,
        system: str | None = None,
        attachments: Sequence[Attachment] = (),
        now: float | None = None,
    ) -> StartedTurn:
        """Write the prompt (with its attachments) and an empty `streaming` reply, before the request is sent.

        Without `conversation_id` a new conversation starts, titled after the prompt.
        """
        now = time.time() if now is None else now
        with self._db.transaction() as connection:
            if conversation_id is None:
                conversation_id = new_conversation_id()
                connection.execute(
                    "INSERT INTO conversations (id, title, created_at, updated_at, profile, deployment, system)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (conversation_id, title_from_prompt(prompt), now, now, profile, deployment, system),
                )
            else:
                updated = connection.execute(
                    "UPDATE conversations SET updated_at = ?, profile = ?, deployment = ?, system = ? WHERE id = ?",
                    (now, profile, deployment, system, conversation_id),
                )
                if not updated.rowcount:
                    raise _no_such(conversation_id)
            user = connection.execute(
                "INSERT INTO messages (conversation_id, role, state, text, created_at, updated_at)"
                " VALUES (?, 'user', 'complete', ?, ?, ?)",
                (conversation_id, prompt, now, now),
            )
            for position, attachment in enumerate(attachments):
                digest = attachment.digest
                connection.execute(
                    "INSERT OR IGNORE INTO attachments (digest, media_type, size, data) VALUES (?, ?, ?, ?)",
                    (digest, attachment.media_type, attachment.size, attachment.data),
                )
                connection.execute(
                    "INSERT INTO message_attachments (message_id, position, name, digest) VALUES (?, ?, ?, ?)",
                    (user.lastrowid, position, attachment.name, digest),
                )
            reply = connection.execute(
                "INSERT INTO messages (conversation_id, role, state, created_at, updated_at, profile, deployment)"
                " VALUES (?, 'assistant', 'streaming', ?, ?, ?, ?)",
                (conversation_id, now, now, profile, deployment),
            )
        assert user.lastrowid is not None and reply.lastrowid is not None  # set by every INSERT
        return StartedTurn(conversation_id, user.lastrowid, reply.lastrowid)

    def set_request_ids(self, message_id: int, request_id: str | None, apim_request_id: str | None) -> None:
        with self._db.transaction() as connection:
            connection.execute(
                "UPDATE messages SET request_id = ?, apim_request_id = ? WHERE id = ?",
                (request_id, apim_request_id, message_id),
            )

    def checkpoint(self, message_id: int, text: str | None, now: float | None = None) -> None:
        """The heartbeat, with the reply's text so far when it changed (None: unchanged).

        It also revives a row a peer marked interrupted while this process was stalled (a
        suspended laptop), since the stream turned out to be alive.
        """
        now = time.time() if now is None else now
        with self._db.transaction() as connection:
            connection.execute(
                "UPDATE messages SET text = coalesce(?, text), updated_at = ?, state = 'streaming'"
                " WHERE id = ? AND state IN ('streaming', 'interrupted')",
                (text, now, message_id),
            )

    def finish_reply(self, message_id: int, reply: FinishedReply, now: float | None = None) -> None:
        """The ids written when the response began stay unless the end brings others."""
        details = reply.details
        with self._db.transaction() as connection:
            connection.execute(
                "UPDATE messages SET state = ?, text = ?, content = ?, model = ?, stop_reason = ?, usage = ?,"
                " cost = ?, status = ?, request_id = coalesce(?, request_id),"
                " apim_request_id = coalesce(?, apim_request_id), ttft_ms = ?, duration_ms = ?, error = ?,"
                " updated_at = ? WHERE id = ?",
                (
                    reply.state, reply.text, _json(reply.content), details.model, details.stop_reason,
                    _json(details.usage), details.cost, details.status, details.request_id, details.apim_request_id,
                    details.ttft_ms, details.duration_ms, _json(details.error),
                    time.time() if now is None else now, message_id,
                ),
            )  # fmt: skip

    def mark_interrupted(self, now: float | None = None) -> int:
        """At start-up: streams whose process died become `interrupted` for good. Returns how many."""
        with self._db.transaction() as connection:
            return connection.execute(
                "UPDATE messages SET state = 'interrupted' WHERE state = 'streaming' AND updated_at < ?",
                (self._oldest_live_heartbeat(now),),
            ).rowcount

    # -- reading and managing ----------------------------------------------------------------

    def recent(self, limit: int = 50) -> list[ConversationSummary]:
        """Most recently used first."""
        rows = self._db.rows(
            "SELECT c.id, c.title, c.created_at, c.updated_at, c.profile, c.deployment,"
            " (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND m.role = 'user'),"
            f" (SELECT {_STATE} FROM messages m WHERE m.conversation_id = c.id AND m.role = 'assistant'"
            "   ORDER BY m.id DESC LIMIT 1)"
            " FROM conversations c ORDER BY c.updated_at DESC, c.rowid DESC LIMIT ?",
            (self._oldest_live_heartbeat(), limit),
        )
        return [ConversationSummary(*row) for row in rows]

    def latest(self) -> Conversation | None:
        """The most recently used conversation (what `ask --continue` appends to)."""
        rows = self._db.rows("SELECT id FROM conversations ORDER BY updated_at DESC, rowid DESC LIMIT 1")
        return self.load(rows[0][0]) if rows else None

    def resolve(self, id_or_prefix: str) -> str:
        """The full id of the one conversation whose id starts with `id_or_prefix`."""
        prefix = id_or_prefix.strip().lower()
        matches = []
        if prefix and set(prefix) <= set(ID_ALPHABET):  # also keeps GLOB's wildcards out
            rows = self._db.rows("SELECT id FROM conversations WHERE id GLOB ? LIMIT 5", (prefix + "*",))
            matches = [str(row[0]) for row in rows]
        if not matches:
            raise StoreError(f"no conversation matches {id_or_prefix!r}", _NO_SUCH_HINT)
        if len(matches) > 1:
            raise StoreError(
                f"{id_or_prefix!r} matches several conversations ({', '.join(matches)})", "type more of the id"
            )
        return matches[0]

    def load(self, conversation_id: str) -> Conversation:
        found = self._db.rows(
            "SELECT id, title, created_at, updated_at, profile, deployment, system FROM conversations WHERE id = ?",
            (conversation_id,),
        )
        if not found:
            raise _no_such(conversation_id)
        rows = self._db.rows(
            f"SELECT m.id, m.role, {_STATE} AS state, m.text, m.content, m.created_at, m.updated_at, m.profile,"
            f" m.deployment, {', '.join(f'm.{name}' for name in _DETAILS)}"
            " FROM messages m WHERE m.conversation_id = ? ORDER BY m.id",
            (self._oldest_live_heartbeat(), conversation_id),
        )
        messages = [_message(row) for row in rows]
        by_id = {message.id: message for message in messages}
        for message_id, attachment in self._attachments(conversation_id):
            by_id[message_id].attachments.append(attachment)
        id_, title, created_at, updated_at, profile, deployment, system = found[0]
        return Conversation(id_, title, created_at, updated_at, profile, deployment, system, messages=messages)

    def _attachments(self, conversation_id: str) -> list[tuple[int, Attachment]]:
        rows = self._db.rows(
            "SELECT ma.message_id, ma.name, a.media_type, a.data FROM message_attachments ma"
            " JOIN attachments a ON a.digest = ma.digest JOIN messages m ON m.id = ma.message_id"
            " WHERE m.conversation_id = ? ORDER BY ma.message_id, ma.position",
            (conversation_id,),
        )
        return [(message_id, Attachment(name, media_type, bytes(data))) for message_id, name, media_type, data in rows]

    def rename(self, conversation_id: str, title: str) -> None:
        title = " ".join(title.split())
        if not title:
            raise StoreError("a conversation's title cannot be empty", "type a few words")
        with self._db.transaction() as connection:
            renamed = connection.execute("UPDATE conversations SET title = ? WHERE id = ?", (title, conversation_id))
            if not renamed.rowcount:
                raise _no_such(conversation_id)

    def delete(self, conversation_id: str) -> None:
        """The conversation, its messages and the attachments no other turn sends; the usage log keeps its rows."""
        with self._db.transaction() as connection:
            connection.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            connection.execute(
                "DELETE FROM attachments WHERE digest NOT IN (SELECT digest FROM message_attachments)"
            )

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Messages matching every word of `query` (as word prefixes), newest first.

        A request-id (req_…) or an apim-request-id (a UUID) finds the reply that carried it.
        """
        query = query.strip()
        words = _WORD.findall(query)
        if _REQUEST_ID.fullmatch(query) or _UUID.fullmatch(query):
            column = "request_id" if query.startswith("req_") else "apim_request_id"
            source, where, parameters = "messages m", f"m.{column} = ?", [query]
        elif not words:
            return []
        elif self._db.has_fts:
            match = " ".join(f'"{word}"*' for word in words)  # \w+ holds no quote: nothing to escape
            source = "messages_fts JOIN messages m ON m.id = messages_fts.rowid"
            where, parameters = "messages_fts MATCH ?", [match]
        else:
            source = "messages m"
            where = " AND ".join(["m.text LIKE ? ESCAPE '\\'"] * len(words))
            parameters = [f"%{_escape_like(word)}%" for word in words]
        rows = self._db.rows(
            "SELECT m.conversation_id, c.title, m.id, m.role, m.created_at, m.request_id, m.apim_request_id, m.text"
            f" FROM {source} JOIN conversations c ON c.id = m.conversation_id WHERE {where}"
            " ORDER BY m.created_at DESC, m.id DESC LIMIT ?",
            (*parameters, limit),
        )
        return [
            SearchHit(conversation_id, title, message_id, role, created_at, request_id, apim_request_id, excerpt(text, words))
            for conversation_id, title, message_id, role, created_at, request_id, apim_request_id, text in rows
        ]

    def _oldest_live_heartbeat(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.stale_after


def _message(row: Any) -> StoredMessage:
    values = dict(row)
    for name in ("content", "usage", "error"):
        if values[name] is not None:
            values[name] = json.loads(values[name])
    details = ReplyDetails(**{name: values.pop(name) for name in _DETAILS})
    return StoredMessage(**values, details=details)


def _no_such(conversation_id: str) -> StoreError:
    return StoreError(f"no conversation {conversation_id}", _NO_SUCH_HINT)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def new_conversation_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def title_from_prompt(prompt: str) -> str:
    """The first line with text, cut at a word near TITLE_CHARS."""
    line = next((line for line in prompt.splitlines() if line.strip()), "")
    title = " ".join(line.split())
    if len(title) <= TITLE_CHARS:
        return title or "untitled"
    cut = title[: TITLE_CHARS - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[TITLE_CHARS // 2 :] else cut) + "…"


def excerpt(text: str, words: list[str]) -> str:
    """About EXCERPT_CHARS of `text` on one line, around the first word found."""
    flat = " ".join(text.split())
    lowered = flat.lower()
    found = [position for word in words if (position := lowered.find(word.lower())) >= 0]
    start = max(0, min(found, default=0) - EXCERPT_CHARS // 3)
    end = start + EXCERPT_CHARS
    return ("…" if start else "") + flat[start:end] + ("…" if end < len(flat) else "")
