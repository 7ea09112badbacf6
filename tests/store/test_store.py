"""The history store: schema and migrations, two writers, pruning, conversations, search, export."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from foundry_tui.store import db as db_module
from foundry_tui.store.conversations import TITLE_CHARS, FinishedReply, ReplyDetails, title_from_prompt
from foundry_tui.store.db import MIGRATIONS, SCHEMA_VERSION, Database, Migration, default_path, schema_version
from foundry_tui.store.errors import StoreError
from foundry_tui.store.export import to_json, to_markdown
from foundry_tui.store.store import Store
from foundry_tui.store.usage import CANCELLED, SECONDS_PER_DAY, RequestContext, percentile

CONTEXT = RequestContext("chat", "work", "my-resource.services.ai.azure.com", "claude-sonnet-4-5")
APIM_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "history.db") as opened:
        yield opened


def add_turn(store: Store, prompt: str, reply: str, *, conversation_id=None, system=None, state="complete", **fields):
    """A finished turn, as the recorder would leave it."""
    turn = store.conversations.start_turn(
        prompt, profile="work", deployment="claude-sonnet-4-5", conversation_id=conversation_id, system=system
    )
    content = [{"type": "text", "text": reply}] if reply else []
    store.conversations.finish_reply(turn.reply_message_id, FinishedReply(state, reply, content, ReplyDetails(**fields)))
    return turn


# --- the file, its schema and migrations ---------------------------------------------------------


def test_a_new_file_is_private_in_wal_mode_at_the_current_version(tmp_path):
    path = tmp_path / "data" / "history.db"
    with Store.open(path) as store:
        connection = store.db.connection
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert connection.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert connection.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
        assert schema_version(connection) == SCHEMA_VERSION
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_the_default_file_is_in_the_data_dir(foundry_home):
    assert default_path() == foundry_home / "data" / "history.db"


def schema_of(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()


def fill_version(database: Database, version: int) -> None:
    """Rows as a foundry-tui at `version` wrote them, using only that version's tables."""
    connection = database.connection
    if version >= 1:
        connection.execute(
            "INSERT INTO conversations VALUES ('oldconv0001', 'Old talk', 1.0, 2.0, 'work', 'claude-haiku-4-5', NULL)"
        )
        connection.execute(
            "INSERT INTO messages (conversation_id, role, state, text, created_at, updated_at)"
            " VALUES ('oldconv0001', 'user', 'complete', 'tell me about walruses', 1.0, 1.0)"
        )
        connection.execute(
            "INSERT INTO messages (conversation_id, role, state, text, content, created_at, updated_at, request_id)"
            " VALUES ('oldconv0001', 'assistant', 'complete', 'Walruses are big.',"
            " '[{\"type\": \"text\", \"text\": \"Walruses are big.\"}]', 1.5, 2.0, 'req_old1')"
        )
    if version >= 2:
        connection.execute(
            "INSERT INTO requests (at, command, profile, deployment, status, input_tokens) VALUES (?, 'ask', 'work', 'x', 200, 7)",
            (time.time(),),
        )


@pytest.mark.parametrize("version", range(SCHEMA_VERSION))
def test_every_earlier_version_migrates_to_the_current_schema_keeping_its_rows(tmp_path, version):
    old = tmp_path / "old.db"
    database = Database.open(old, MIGRATIONS[:version])
    assert schema_version(database.connection) == version
    fill_version(database, version)
    database.close()

    with Store.open(old) as store:
        assert schema_version(store.db.connection) == SCHEMA_VERSION
        if version >= 1:
            conversation = store.conversations.load("oldconv0001")
            assert [m.text for m in conversation.messages] == ["tell me about walruses", "Walruses are big."]
            assert [hit.message_id for hit in store.conversations.search("walrus")] == [2, 1]  # indexed by v3
            assert store.conversations.search("req_old1")[0].conversation_id == "oldconv0001"
        if version >= 2:
            assert store.usage.summary(0).total.input_tokens == 7
    Store.open(tmp_path / "new.db").close()
    assert schema_of(old) == schema_of(tmp_path / "new.db")


def test_switching_a_new_file_to_wal_retries_while_a_peer_holds_the_lock():
    """That switch takes a lock SQLite does not wait for (no busy handler), so instances started
    together on a fresh install would fail; the two-writer test below races for real."""

    class Contended:
        attempts = 0

        def execute(self, sql):
            self.attempts += 1
            if self.attempts < 3:
                raise sqlite3.OperationalError("database is locked")

    connection = Contended()
    db_module.use_wal(connection)
    assert connection.attempts == 3


def test_a_failing_migration_leaves_the_file_at_its_old_version(tmp_path):
    path = tmp_path / "history.db"
    Database.open(path, MIGRATIONS[:1]).close()
    broken = Migration(("CREATE TABLE half_done (x)", "THIS IS NOT SQL"))
    with pytest.raises(StoreError, match="syntax error"):
        Database.open(path, [*MIGRATIONS[:1], broken])
    with sqlite3.connect(path) as connection:
        assert schema_version(connection) == 1
        assert not connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'half_done'").fetchall()


def test_a_file_from_a_newer_version_is_refused_with_a_hint(tmp_path):
    path = tmp_path / "history.db"
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError) as caught:
        Store.open(path)
    assert "newer foundry-tui" in caught.value.message and "upgrade" in caught.value.hint


def test_a_damaged_file_is_one_line_with_a_hint(tmp_path):
    path = tmp_path / "history.db"
    path.write_bytes(b"this is not an SQLite file, it is a shopping list " * 100)
    with pytest.raises(StoreError) as caught:
        Store.open(path)
    assert caught.value.message == "history database: file is not a database"
    assert caught.value.hint == f"the history file {path} is damaged: move it away and a new one is started"


def test_without_fts5_search_falls_back_to_like(tmp_path, monkeypatch):
    monkeypatch.setattr(db_module, "fts5_available", lambda connection: False)
    with Store.open(tmp_path / "history.db") as store:
        assert not store.db.has_fts
        add_turn(store, "What is 50% of 8_000?", "Half of 8_000 is 4000.")
        assert [hit.role for hit in store.conversations.search("8_000 half")] == ["assistant"]
        assert [hit.role for hit in store.conversations.search("50%")] == ["user"]
        assert store.conversations.search("9_000") == []


# --- two writers ---------------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    import time
    from foundry_tui.store.conversations import FinishedReply
    from foundry_tui.store.store import Store
    from foundry_tui.store.usage import RequestContext

    path, name, turns, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    context = RequestContext("chat", name, "host", "claude-haiku-4-5")
    while time.time() < start:  # both at once, to race for creating the file too
        pass
    with Store.open(__import__("pathlib").Path(path)) as store:
        conversation = None
        for n in range(turns):
            turn = store.conversations.start_turn(f"{name} prompt {n}", profile=name, deployment="d",
                                                  conversation_id=conversation)
            conversation = turn.conversation_id
            store.conversations.set_request_ids(turn.reply_message_id, f"req_{name}{n}", None)
            store.conversations.checkpoint(turn.reply_message_id, f"{name} partial {n}")
            store.conversations.finish_reply(turn.reply_message_id, FinishedReply("complete", f"{name} reply {n}", []))
            store.usage.log(context.row(status=200, error_kind=None))
    """
)


def test_two_processes_writing_at_once_lose_and_corrupt_nothing(tmp_path):
    path = tmp_path / "history.db"  # new: both also race to create and migrate it
    turns, start = 400, time.time() + 0.5
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), name, str(turns), str(start)], stderr=subprocess.PIPE, text=True
        )
        for name in ("alpha", "bravo")
    ]
    for writer in writers:
        assert writer.wait(timeout=60) == 0, writer.stderr.read()
    with Store.open(path) as store:
        connection = store.db.connection
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("SELECT count(*) FROM messages WHERE state = 'complete'").fetchone()[0] == 4 * turns
        assert connection.execute("SELECT count(*) FROM requests").fetchone()[0] == 2 * turns
        for name in ("alpha", "bravo"):
            [conversation] = [c for c in store.conversations.recent() if c.profile == name]
            assert conversation.turns == turns
            assert len(store.conversations.search(f"{name} reply", limit=1000)) == turns
            assert store.conversations.search(f"req_{name}{turns - 1}")[0].conversation_id == conversation.id


# --- the usage log -------------------------------------------------------------------------------


def test_pruning_drops_rows_older_than_the_window(tmp_path):
    path = tmp_path / "history.db"
    now = time.time()
    with Store.open(path) as store:
        store.usage.log(*(CONTEXT.row(status=200, error_kind=None, at=now - days * SECONDS_PER_DAY) for days in (40, 31, 29, 0)))
        assert store.usage.prune(30, now=now) == 2
        assert store.usage.prune(30, now=now) == 0
        assert len(store.usage.rows(0)) == 2
    with Store.open(path, prune_days=None):
        pass
    with Store.open(path, prune_days=7) as store:  # at open, with the configured window
        assert [round((now - row.at) / SECONDS_PER_DAY) for row in store.usage.rows(0)] == [0]


def test_usage_summary_totals_errors_percentiles_and_groups(store):
    now = time.time()
    haiku = RequestContext("ask", "work", "host", "claude-haiku-4-5")
    custom = RequestContext("ask", "work", "host", "my-custom-name")
    rows = [
        CONTEXT.row(status=200, error_kind=None, usage=usage(1000, 100), latency_ms=ms, ttft_ms=ms / 10, at=now - 10)
        for ms in (100, 200, 300, 400, 1000)
    ]
    rows += [
        haiku.row(status=429, error_kind="rate_limit", request_id="req_limited", apim_request_id=APIM_ID, at=now - 5),
        haiku.row(status=None, error_kind="connection", latency_ms=5000, at=now - 4),
        CONTEXT.row(status=200, error_kind=CANCELLED, usage=usage(10, 5), at=now - 3),
        custom.row(status=200, error_kind=None, usage=usage(50, 50), at=now - 2),
        CONTEXT.row(status=200, error_kind=None, usage=usage(1, 1), at=now - 3 * SECONDS_PER_DAY),  # outside
    ]
    store.usage.log(*rows)

    summary = store.usage.summary(now - SECONDS_PER_DAY, by="deployment", until=now)
    total = summary.total
    assert (total.requests, total.errors, total.error_rate) == (9, 2, 2 / 9)  # a cancel is not an error
    assert (total.input_tokens, total.output_tokens) == (5060, 555)
    assert total.cost == pytest.approx(5 * (1000 * 3 + 100 * 15) / 1e6 + (10 * 3 + 5 * 15) / 1e6)
    assert total.unpriced_requests == 1  # my-custom-name: no known price
    assert (total.latency_p50_ms, total.latency_p95_ms) == (300, 1000)  # failures' latency left out
    assert (total.ttft_p50_ms, total.ttft_p95_ms) == (30, 100)
    assert [(g.key, g.requests, g.errors) for g in summary.groups] == [
        ("claude-haiku-4-5", 2, 2), ("claude-sonnet-4-5", 6, 0), ("my-custom-name", 1, 0),
    ]  # fmt: skip

    by_day = store.usage.summary(0, by="day", until=now)
    assert [g.key for g in by_day.groups] == sorted(
        {time.strftime("%Y-%m-%d", time.localtime(t)) for t in (now - 3 * SECONDS_PER_DAY, now - 2)}
    )
    errors = store.usage.recent_errors(0)
    assert [(e.error_kind, e.status, e.request_id) for e in errors] == [
        ("connection", None, None), ("rate_limit", 429, "req_limited"),
    ]  # fmt: skip
    assert errors[1].apim_request_id == APIM_ID and errors[1].endpoint_host == "host"


def test_checks_are_counted_apart_from_the_error_rate(store):
    check = RequestContext("check", "work", "host", "claude-haiku-4-5")
    store.usage.log(
        check.row(status=429, error_kind="rate_limit"),
        check.row(status=200, error_kind=None, usage=usage(5, 1)),
        CONTEXT.row(status=200, error_kind=None, usage=usage(10, 10)),
        CONTEXT.row(status=500, error_kind="server"),
        CONTEXT.row(status=200, error_kind=None, usage=usage(10, 10)),
    )

    total = store.usage.summary(0).total
    assert (total.requests, total.check_requests, total.check_errors) == (5, 2, 1)
    assert (total.errors, total.error_rate) == (1, 1 / 3)  # one failed chat turn of three
    assert total.input_tokens == 25  # checks still count in tokens and cost


def test_percentile_is_a_measured_value():
    assert percentile([], 50) is None
    assert percentile([7.0], 95) == 7.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.0
    assert percentile([float(n) for n in range(1, 101)], 95) == 95.0


def usage(input_tokens: int, output_tokens: int):
    from foundry_tui.service.messages import Usage

    return Usage(input_tokens=input_tokens, output_tokens=output_tokens)


# --- conversations -------------------------------------------------------------------------------


def test_turns_append_to_a_conversation_and_the_list_is_most_recent_first(store):
    first = add_turn(store, "First question about ferns", "Ferns are old.")
    other = add_turn(store, "Another topic", "Sure.")
    add_turn(store, "And their spores?", "Spores fly.", conversation_id=first.conversation_id)
    recent = store.conversations.recent()
    assert [(c.id, c.title, c.turns, c.last_state) for c in recent] == [
        (first.conversation_id, "First question about ferns", 2, "complete"),
        (other.conversation_id, "Another topic", 1, "complete"),
    ]
    assert store.conversations.latest().id == first.conversation_id
    assert store.conversations.recent(limit=1)[0].id == first.conversation_id


def test_ids_are_short_unique_and_found_by_prefix(store):
    ids = {add_turn(store, f"prompt {n}", "ok").conversation_id for n in range(30)}
    assert len(ids) == 30 and all(len(i) == 10 and i.isalnum() and i.islower() for i in ids)
    some = sorted(ids)[0]
    assert store.conversations.resolve(some) == some
    assert store.conversations.resolve(f" {some[:8].upper()} ") == some
    for twin in ("abcd000001", "abcd000002"):
        store.db.connection.execute("INSERT INTO conversations VALUES (?, 't', 0, 0, NULL, NULL, NULL)", (twin,))
    with pytest.raises(StoreError, match="'abcd' matches several conversations") as caught:
        store.conversations.resolve("abcd")
    assert caught.value.hint == "type more of the id"
    for unknown in ("", "abcd*", "zzzzzzzzzzz", "ilou"):
        with pytest.raises(StoreError, match="no conversation matches") as caught:
            store.conversations.resolve(unknown)
        assert caught.value.hint


def test_titles_come_from_the_first_line_of_the_prompt():
    assert title_from_prompt("\n  Summarise   this\nfile please") == "Summarise this"
    long = title_from_prompt("word " * 40)
    assert len(long) <= TITLE_CHARS and long.endswith("…") and not long.endswith(" …")
    assert title_from_prompt("x" * 100) == "x" * (TITLE_CHARS - 1) + "…"


def test_rename_and_delete(store):
    turn = add_turn(store, "Ferns", "Ferns are old.")
    store.conversations.rename(turn.conversation_id, "  Botany\n notes ")
    assert store.conversations.load(turn.conversation_id).title == "Botany notes"
    with pytest.raises(StoreError, match="cannot be empty"):
        store.conversations.rename(turn.conversation_id, "   ")
    with pytest.raises(StoreError, match="no conversation"):
        store.conversations.rename("nosuchconv", "x")
    store.conversations.delete(turn.conversation_id)
    assert store.conversations.recent() == []
    assert store.conversations.search("ferns") == []  # the index forgets deleted messages too
    assert store.db.rows("SELECT count(*) FROM messages")[0][0] == 0


def test_search_by_words_and_by_request_ids(store):
    add_turn(store, "How do résumés work?", "Résumés list your experience, newest first.", request_id="req_011CUabc", apim_request_id=APIM_ID)
    add_turn(store, "Tell me about experiments", "Experiments test ideas.")
    assert [hit.excerpt for hit in store.conversations.search("experi")] == [
        "Experiments test ideas.", "Tell me about experiments", "Résumés list your experience, newest first.",
    ]  # fmt: skip  # word prefixes, newest first
    assert [hit.role for hit in store.conversations.search("resume newest")] == ["assistant"]  # all words, any accent
    [by_id] = store.conversations.search("  req_011CUabc ")
    assert (by_id.role, by_id.request_id, by_id.apim_request_id) == ("assistant", "req_011CUabc", APIM_ID)
    assert store.conversations.search(APIM_ID)[0].message_id == by_id.message_id
    assert store.conversations.search("req_011CUab") == []  # ids match exactly
    assert store.conversations.search('"*') == [] and store.conversations.search("") == []


def test_search_excerpts_centre_on_the_match(store):
    add_turn(store, "long", "filler " * 60 + "the needle is here " + "filler " * 60)
    [hit] = store.conversations.search("needle")
    assert hit.excerpt.startswith("…") and hit.excerpt.endswith("…") and "needle" in hit.excerpt
    assert len(hit.excerpt) <= 102


def test_a_stale_stream_reads_as_interrupted_and_a_live_one_does_not(tmp_path):
    path = tmp_path / "history.db"
    with Store.open(path) as store:
        dead = store.conversations.start_turn("q1", profile="p", deployment="d", now=time.time() - 60)
        store.conversations.checkpoint(dead.reply_message_id, "partial answ", now=time.time() - 30)
        live = store.conversations.start_turn("q2", profile="p", deployment="d")
        assert store.conversations.load(dead.conversation_id).messages[1].state == "interrupted"
        assert store.conversations.load(live.conversation_id).messages[1].state == "streaming"
        assert {c.id: c.last_state for c in store.conversations.recent()} == {
            dead.conversation_id: "interrupted", live.conversation_id: "streaming",
        }  # fmt: skip
        assert store.conversations.mark_interrupted() == 1
        assert store.conversations.mark_interrupted(now=time.time() + 11) == 1  # the live one, once it stops beating
        store.conversations.checkpoint(live.reply_message_id, "still going")  # ...and a beat revives it
    with Store.open(path, stale_after=3600) as store:  # the window is injectable
        assert store.conversations.load(live.conversation_id).messages[1].state == "streaming"
        assert store.conversations.load(dead.conversation_id).messages[1].text == "partial answ"


def test_starting_a_turn_in_a_missing_conversation_fails(store):
    with pytest.raises(StoreError, match="no conversation nosuchconv"):
        store.conversations.start_turn("hi", profile="p", deployment="d", conversation_id="nosuchconv")
    assert store.db.rows("SELECT count(*) FROM messages")[0][0] == 0


# --- export --------------------------------------------------------------------------------------


def test_json_export_round_trips_messages_and_turn_metadata(store):
    turn = store.conversations.start_turn("Think, then answer", profile="work", deployment="claude-opus-4-5", system="Be brief.")
    blocks = [{"type": "thinking", "thinking": "Let me see.\nYes.", "signature": "c2ln"}, {"type": "text", "text": "Answer: 42"}]
    details = ReplyDetails(
        model="claude-opus-4-5-20251101", stop_reason="end_turn", cost=0.00091, status=200,
        usage={"input_tokens": 12, "output_tokens": 34, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
        request_id="req_1", apim_request_id=APIM_ID, ttft_ms=310.5, duration_ms=2400.0,
    )  # fmt: skip
    store.conversations.finish_reply(turn.reply_message_id, FinishedReply("complete", "Answer: 42", blocks, details))
    error = {"kind": "overloaded", "message": "Overloaded", "hint": "retry", "code": None}
    add_turn(store, "again", "half an ans", conversation_id=turn.conversation_id, system="Be brief.", state="failed", error=error)
    conversation = store.conversations.load(turn.conversation_id)

    exported = json.loads(json.dumps(to_json(conversation)))
    assert (exported["id"], exported["title"], exported["profile"], exported["system"]) == (
        conversation.id, "Think, then answer", "work", "Be brief.",
    )  # fmt: skip
    assert exported["messages"] == [{"role": m.role, "content": m.blocks()} for m in conversation.messages]
    assert exported["messages"][1]["content"] == blocks
    first, second = exported["turns"]
    assert first["message_index"] == 1 and second["message_index"] == 3
    assert first["state"] == "complete"
    for field in ("model", "stop_reason", "usage", "cost", "status", "request_id", "apim_request_id"):
        assert first[field] == getattr(details, field)
    assert (first["deployment"], first["profile"]) == ("claude-opus-4-5", "work")
    assert first["timings"] == {"ttft_ms": 310.5, "duration_ms": 2400.0}
    assert (second["state"], second["error"]) == ("failed", error)
    assert exported["created_at"].endswith("+00:00")


def test_markdown_export_reads_well(store):
    turn = store.conversations.start_turn("Think, then answer", profile="work", deployment="claude-opus-4-5")
    blocks = [{"type": "thinking", "thinking": "Let me see.", "signature": "s"}, {"type": "text", "text": "Answer: **42**"}]
    details = ReplyDetails(
        usage={"input_tokens": 12, "output_tokens": 34}, cost=0.001, request_id="req_1", apim_request_id=APIM_ID,
        ttft_ms=310.0, duration_ms=2400.0, stop_reason="end_turn",
    )  # fmt: skip
    store.conversations.finish_reply(turn.reply_message_id, FinishedReply("complete", "Answer: **42**", blocks, details))
    store.conversations.start_turn("and?", profile="work", deployment="d", conversation_id=turn.conversation_id, now=0)
    markdown = to_markdown(store.conversations.load(turn.conversation_id))  # its heartbeat is long stale
    assert markdown.startswith(f"# Think, then answer\n\n`{turn.conversation_id}` · profile work · started ")
    assert (
        "*claude-opus-4-5 · 12 in / 34 out tokens · $0.0010 · first token 310 ms · total 2.4 s · stop end_turn · "
        f"request-id: `req_1` · apim-request-id: `{APIM_ID}`*"
    ) in markdown
    assert "<details><summary>Thinking</summary>\n\n> Let me see.\n\n</details>\n\nAnswer: **42**" in markdown
    assert markdown.count("## You") == 2 and markdown.count("## Claude") == 2
    assert markdown.rstrip().endswith("> **interrupted: the app stopped before the reply ended; the text that arrived is kept**")


def test_usage_totals_and_groups_sum_the_cache_savings_of_priced_requests(store):
    from foundry_tui.service.messages import Usage

    now = time.time()
    sonnet = RequestContext("chat", "work", "host", "claude-sonnet-4-5")
    custom = RequestContext("chat", "work", "host", "my-custom-name")
    written = Usage(input_tokens=10, output_tokens=10, cache_creation_input_tokens=10_000)
    read = Usage(input_tokens=10, output_tokens=10, cache_read_input_tokens=10_000)
    store.usage.log(
        sonnet.row(status=200, error_kind=None, usage=written, at=now - 3),
        sonnet.row(status=200, error_kind=None, usage=read, at=now - 2),
        custom.row(status=200, error_kind=None, usage=read, at=now - 1),
    )

    summary = store.usage.summary(now - 60, by="deployment", until=now)
    by_name = {group.key: group for group in summary.groups}
    expected = 10_000 * (3.0 - 0.30) / 1e6 - 10_000 * (3.75 - 3.0) / 1e6
    assert by_name["claude-sonnet-4-5"].cache_savings == pytest.approx(expected)
    assert by_name["my-custom-name"].cache_savings is None  # nothing priced: not a zero
    assert summary.total.cache_savings == pytest.approx(expected)
    assert (summary.total.cost > 0, summary.total.unpriced_requests) == (True, 1)
