"""AsyncStore and TurnRecorder: what a streaming turn leaves in the store, without blocking the loop."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from foundry_tui.service.errors import RateLimitError, SetupError, StreamError
from foundry_tui.service.events import (
    Done,
    Failed,
    ResponseStarted,
    RetryScheduled,
    TextDelta,
    ThinkingDelta,
    UsageUpdated,
)
from foundry_tui.service.messages import TextBlock, ThinkingBlock, Timings, TurnResult, Usage
from foundry_tui.store.async_store import AsyncStore
from foundry_tui.store.errors import StoreError
from foundry_tui.store.recorder import TurnRecorder
from foundry_tui.store.store import Store
from foundry_tui.store.usage import CANCELLED, RequestContext

CONTEXT = RequestContext("chat", "work", "my-resource.services.ai.azure.com", "claude-sonnet-4-5")
APIM_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.fixture
async def history(tmp_path: Path):
    store = await AsyncStore.open(tmp_path / "history.db")
    yield store
    await store.aclose()


def peer(tmp_path: Path, **options) -> Store:
    """Another connection to the same file, as a second instance would have."""
    return Store.open(tmp_path / "history.db", **options)


def reply_row(store: Store, recorder: TurnRecorder):
    return store.conversations.load(recorder.conversation_id).messages[1]


async def test_every_call_runs_on_the_one_store_thread(history):
    names = await asyncio.gather(*(history.call(lambda store: threading.current_thread().name) for _ in range(5)))
    assert len(set(names)) == 1 and names[0].startswith("foundry-store")


async def test_the_prompt_is_written_before_the_request(history, tmp_path):
    recorder = await history.start_turn("What is a fern?", CONTEXT, system="Be brief.")
    with peer(tmp_path) as store:
        conversation = store.conversations.load(recorder.conversation_id)
        assert (conversation.title, conversation.system, conversation.profile) == ("What is a fern?", "Be brief.", "work")
        prompt, reply = conversation.messages
        assert (prompt.role, prompt.text, prompt.state) == ("user", "What is a fern?", "complete")
        assert (reply.role, reply.state, reply.text, reply.deployment) == ("assistant", "streaming", "", "claude-sonnet-4-5")
    await recorder.finish(None, cancelled=True)


async def test_feeding_is_cheap_ids_are_written_at_once_text_about_once_a_second(history, tmp_path, monkeypatch):
    turn = await history.call(lambda store: store.conversations.start_turn("q", profile="work", deployment="d"))
    recorder = TurnRecorder(history, turn, CONTEXT, interval=0.2)
    writes = []
    submit = history.submit
    monkeypatch.setattr(history, "submit", lambda operation: writes.append(operation) or submit(operation))

    for n in range(2000):
        recorder.feed([TextDelta(0, f"w{n} ")])
    assert writes == []  # no I/O per delta
    recorder.feed([ResponseStarted(200, "req_1", APIM_ID)])
    await history.call(lambda store: None)  # the writer thread is first in, first out
    with peer(tmp_path) as store:
        reply = reply_row(store, recorder)
        assert (reply.details.request_id, reply.details.apim_request_id, reply.text) == ("req_1", APIM_ID, "")

    await asyncio.sleep(0.3)
    await history.call(lambda store: None)
    with peer(tmp_path) as store:
        assert reply_row(store, recorder).text == "".join(f"w{n} " for n in range(2000))
    await recorder.finish(None, cancelled=True)


async def test_a_silent_stream_keeps_beating_so_a_peer_leaves_it_alone(history, tmp_path):
    turn = await history.call(lambda store: store.conversations.start_turn("q", profile="work", deployment="d"))
    recorder = TurnRecorder(history, turn, CONTEXT, interval=0.05)
    await asyncio.sleep(0.6)  # no events at all: waiting for a retry, or for the first token
    with peer(tmp_path, stale_after=0.3) as store:
        assert store.conversations.mark_interrupted() == 0
        assert reply_row(store, recorder).state == "streaming"
    await recorder.finish(None, cancelled=True)
    with peer(tmp_path) as store:
        finished = reply_row(store, recorder)
        await asyncio.sleep(0.2)  # finished: the timer is gone
        assert reply_row(store, recorder) == finished and finished.state == "cancelled"


async def test_a_complete_turn_records_blocks_usage_ids_timings_and_a_usage_row(history, tmp_path):
    recorder = await history.start_turn("Think first", CONTEXT)
    result = TurnResult(
        deployment="claude-sonnet-4-5",
        model="claude-sonnet-4-5-20250929",
        content=[ThinkingBlock("hmm", "sig"), TextBlock("Done thinking.")],
        stop_reason="end_turn",
        usage=Usage(input_tokens=100, output_tokens=20, cache_read_input_tokens=1000),
        status=200,
        request_id="req_ok",
        apim_request_id=APIM_ID,
        timings=Timings(headers=0.1, first_token=0.25, total=1.5),
    )
    for event in (ResponseStarted(200, "req_ok", APIM_ID), ThinkingDelta(0, "hmm"), TextDelta(1, "Done thinking."), Done(result)):
        recorder.feed([event])
    await recorder.finish(result)
    cost = 100 * 3e-6 + 20 * 15e-6 + 1000 * 0.3e-6
    with peer(tmp_path) as store:
        reply = reply_row(store, recorder)
        assert reply.state == "complete" and reply.text == "Done thinking."
        assert reply.content == [
            {"type": "thinking", "thinking": "hmm", "signature": "sig"}, {"type": "text", "text": "Done thinking."},
        ]  # fmt: skip
        details = reply.details
        assert (details.model, details.stop_reason, details.status) == ("claude-sonnet-4-5-20250929", "end_turn", 200)
        assert details.usage == result.usage.to_dict() and details.cost == pytest.approx(cost)
        assert (details.request_id, details.apim_request_id) == ("req_ok", APIM_ID)
        assert (details.ttft_ms, details.duration_ms, details.error) == (250.0, 1500.0, None)
        [row] = store.usage.rows(0)
        assert (row.command, row.profile, row.endpoint_host, row.deployment) == (
            "chat", "work", "my-resource.services.ai.azure.com", "claude-sonnet-4-5",
        )  # fmt: skip
        assert (row.status, row.error_kind, row.input_tokens, row.cache_read_input_tokens) == (200, None, 100, 1000)
        assert (row.latency_ms, row.ttft_ms, row.request_id, row.apim_request_id) == (1500.0, 250.0, "req_ok", APIM_ID)
        assert row.cost == pytest.approx(cost)


async def test_retries_and_failures_are_logged_with_their_error_kind_and_ids(history, tmp_path):
    recorder = await history.start_turn("q", CONTEXT)
    limited = RateLimitError("slow down", status=429, request_id="req_429", apim_request_id=APIM_ID)
    recorder.feed([RetryScheduled(2, 1.0, "429 rate limit", limited)])
    recorder.feed([ResponseStarted(200, "req_2", None)])
    recorder.feed([TextDelta(0, "Partial")])
    cut = StreamError("Overloaded (overloaded_error)", request_id="req_2")
    result = TurnResult(deployment="claude-sonnet-4-5", content=[TextBlock("Partial")], status=200, request_id="req_2")
    recorder.feed([Failed(cut, result)])
    await recorder.finish(result, cut)
    with peer(tmp_path) as store:
        reply = reply_row(store, recorder)
        assert (reply.state, reply.text, reply.details.error["kind"], reply.details.error["message"]) == (
            "failed", "Partial", "stream", "Overloaded (overloaded_error)",
        )  # fmt: skip
        rows = store.usage.rows(0)
        assert [(r.status, r.error_kind, r.request_id) for r in rows] == [(429, "rate_limit", "req_429"), (200, "stream", "req_2")]
        assert rows[0].apim_request_id == APIM_ID


async def test_a_cancelled_stream_keeps_what_arrived(history, tmp_path):
    recorder = await history.start_turn("q", CONTEXT)
    for event in (ResponseStarted(200, "req_c", None), UsageUpdated(Usage(input_tokens=50)), TextDelta(0, "Half a th")):
        recorder.feed([event])
    await recorder.finish(None, cancelled=True)  # the app has no TurnResult after a cancel
    with peer(tmp_path) as store:
        reply = reply_row(store, recorder)
        assert (reply.state, reply.text, reply.content) == ("cancelled", "Half a th", [{"type": "text", "text": "Half a th"}])
        assert (reply.details.request_id, reply.details.usage["input_tokens"]) == ("req_c", 50)
        [row] = store.usage.rows(0)
        assert (row.error_kind, row.status, row.input_tokens) == (CANCELLED, 200, 50)
        assert store.usage.summary(0).total.errors == 0


async def test_nothing_sent_means_no_usage_row(history, tmp_path):
    recorder = await history.start_turn("q", CONTEXT)
    await recorder.finish(None, SetupError("no API key for profile 'work'"))
    with peer(tmp_path) as store:
        assert reply_row(store, recorder).details.error["kind"] == "config"
        assert store.usage.rows(0) == []


async def test_a_failed_write_is_reported_by_finish(history):
    recorder = await history.start_turn("q", CONTEXT)
    await history.call(lambda store: store.db.connection.execute("DROP TABLE requests"))
    with pytest.raises(StoreError, match="no such table: requests"):
        await recorder.finish(None, cancelled=True)


async def test_opening_a_damaged_file_raises_a_store_error(tmp_path):
    path = tmp_path / "history.db"
    path.write_bytes(b"garbage" * 1000)
    with pytest.raises(StoreError, match="file is not a database"):
        await AsyncStore.open(path)


async def test_a_cancelled_caller_does_not_drop_its_write(history, tmp_path):
    started = time.time()
    blocker = asyncio.ensure_future(history.call(lambda store: time.sleep(0.2)))
    write = asyncio.ensure_future(history.call(lambda store: store.conversations.start_turn("kept", profile="p", deployment="d")))
    await asyncio.sleep(0.05)
    write.cancel()
    await blocker
    await history.call(lambda store: None)
    with peer(tmp_path) as store:
        assert [c.title for c in store.conversations.recent()] == ["kept"]
    assert time.time() - started < 2
