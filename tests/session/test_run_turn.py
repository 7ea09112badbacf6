"""run_turn(): record, stream, finish or cancel, with a fake client (the loop's contract)."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

import pytest

from foundry_tui.config.profile import Profile
from foundry_tui.service.errors import RequestTimedOut, StreamError
from foundry_tui.service.events import Done, Failed, ResponseStarted, TextDelta
from foundry_tui.service.messages import TextBlock, TurnResult
from foundry_tui.service.partial import ArrivedSoFar
from foundry_tui.session.chat import ChatSession
from foundry_tui.session.turn import HistoryWarning, run_turn
from foundry_tui.store.async_store import AsyncStore
from foundry_tui.store.errors import StoreError
from foundry_tui.store.store import Store

PROFILE = Profile(name="work", base_url="http://127.0.0.1:9/anthropic/", deployments=["dep"])


class FakeClient:
    """Streams the given events, then raises `error` or waits for ever (`hang`)."""

    def __init__(self, *events, error: BaseException | None = None, hang: bool = False) -> None:
        self.events, self.error, self.hang = events, error, hang
        self.requests = []

    async def stream_batches(self, request):
        self.requests.append(request)
        for event in self.events:
            yield [event]
        if self.error is not None:
            raise self.error
        if self.hang:
            await asyncio.Event().wait()


def started() -> ResponseStarted:
    return ResponseStarted(200, "req_1", "apim-1")


def done(*texts: str, stop_reason: str = "end_turn") -> Done:
    return Done(TurnResult("dep", content=[TextBlock(t) for t in texts], stop_reason=stop_reason, status=200))


class FailingHistory:
    """Writes the prompt, then fails to write the reply (after `write_seconds`): a full disk."""

    def __init__(self, write_seconds: float = 0.0) -> None:
        self.write_seconds = write_seconds

    async def start_turn(self, *args, **kwargs):
        return FailingRecorder(self.write_seconds)


class FailingRecorder:
    conversation_id = "c1"

    def __init__(self, write_seconds: float) -> None:
        self.arrived = ArrivedSoFar("dep")
        self.write_seconds = write_seconds

    def feed(self, events):
        self.arrived.feed(events)

    async def finish(self, *args, **kwargs):
        await asyncio.sleep(self.write_seconds)
        raise StoreError("disk full", hint="free some space")


async def turn_events(session, prompt, client, history=None, **options):
    async with aclosing(run_turn(session, prompt, client=client, profile=PROFILE, deployment="dep",
                                 history=history, source="chat", **options)) as events:
        return [event async for batch in events for event in batch]


async def test_a_done_turn_is_sent_back_and_saved():
    session = ChatSession()
    history = await AsyncStore.open()
    try:
        events = await turn_events(session, "hi", FakeClient(started(), TextDelta(0, "hello"), done("hello")), history)
    finally:
        await history.aclose()
    assert isinstance(events[-1], Done) and [type(e) for e in events[:-1]] == [ResponseStarted, TextDelta]
    assert session.messages[-1] == {"role": "assistant", "content": [{"type": "text", "text": "hello"}]}
    with Store.open() as store:
        assert store.conversations.load(session.conversation_id).messages[1].state == "complete"


@pytest.mark.parametrize("bug", [RecursionError("maximum recursion depth exceeded"), KeyError("index")])
async def test_an_unexpected_exception_ends_the_turn_failed_with_the_partial_kept_and_saved(bug):
    session = ChatSession()
    history = await AsyncStore.open()
    try:
        client = FakeClient(started(), TextDelta(0, "half an "), TextDelta(0, "answer"), error=bug)
        events = await turn_events(session, "hi", client, history)
    finally:
        await history.aclose()
    ending = events[-1]
    assert isinstance(ending, Failed) and isinstance(ending.error, StreamError)
    assert type(bug).__name__ in ending.error.message and ending.error.hint
    assert (ending.result.text, ending.result.request_id) == ("half an answer", "req_1")
    assert session.messages[-1]["content"] == [{"type": "text", "text": "half an answer"}]
    with Store.open() as store:
        reply = store.conversations.load(session.conversation_id).messages[1]
    assert (reply.state, reply.text, reply.details.request_id) == ("failed", "half an answer", "req_1")


async def test_the_overall_timeout_fails_the_turn_and_keeps_the_partial():
    session = ChatSession()
    events = await turn_events(session, "hi", FakeClient(started(), TextDelta(0, "slow"), hang=True), timeout=0.2)
    assert isinstance(events[-1], Failed) and isinstance(events[-1].error, RequestTimedOut)
    assert events[-1].result.text == "slow" and session.exchanges[-1].state == "failed"


async def test_a_cancelled_turn_keeps_and_saves_its_partial_reply():
    session = ChatSession()
    history = await AsyncStore.open()
    seen = asyncio.Event()
    detached = []

    async def consume():
        client = FakeClient(started(), TextDelta(0, "partial"), hang=True)
        async with aclosing(run_turn(session, "hi", client=client, profile=PROFILE, deployment="dep", history=history,
                                     source="chat", detach=lambda write: detached.append(write) or asyncio.ensure_future(write))) as events:
            async for batch in events:
                if any(isinstance(event, TextDelta) for event in batch):
                    seen.set()

    task = asyncio.create_task(consume())
    await seen.wait()
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await history.aclose()
    assert detached and session.exchanges[-1].state == "cancelled"
    assert session.messages[-1]["content"] == [{"type": "text", "text": "partial"}]
    with Store.open() as store:
        reply = store.conversations.load(session.conversation_id).messages[1]
    assert (reply.state, reply.text) == ("cancelled", "partial")


async def test_a_history_failure_is_a_warning_and_the_turn_goes_on():
    class BrokenHistory:
        async def start_turn(self, *args, **kwargs):
            raise StoreError("disk full", hint="free some space")

    session = ChatSession()
    events = await turn_events(session, "hi", FakeClient(started(), done("fine")), BrokenHistory())
    assert isinstance(events[0], HistoryWarning) and "disk full" in str(events[0].error)
    assert isinstance(events[-1], Done) and session.conversation_id is None


async def test_the_conversation_goes_on_after_a_refusal_a_failure_and_a_cancel():
    session = ChatSession()
    await turn_events(session, "refused", FakeClient(started(), done("", stop_reason="refusal")))
    await turn_events(session, "broken", FakeClient(started(), error=RuntimeError("bug")))
    client = FakeClient(started(), done("ok"))
    await turn_events(session, "next", client)
    sent = client.requests[-1].messages
    marked = {"type": "text", "text": "next", "cache_control": {"type": "ephemeral"}}
    assert sent == [{"role": "user", "content": [marked]}]  # nothing unanswered, no empty text block


async def test_a_cancelled_turn_that_cannot_be_saved_says_so():
    not_saved: list[StoreError] = []
    seen = asyncio.Event()

    async def consume():
        client = FakeClient(started(), TextDelta(0, "partial"), hang=True)
        async with aclosing(run_turn(ChatSession(), "hi", client=client, profile=PROFILE, deployment="dep",
                                     history=FailingHistory(), source="chat", on_cancel_not_saved=not_saved.append)) as events:
            async for batch in events:
                if any(isinstance(event, TextDelta) for event in batch):
                    seen.set()

    task = asyncio.create_task(consume())
    await seen.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [str(error) for error in not_saved] == ["disk full"]


async def test_events_travel_in_the_clients_batches_and_the_reply_is_accumulated_once(monkeypatch):
    class BatchClient:
        async def stream_batches(self, request):
            yield [started()]
            yield [TextDelta(0, "one "), TextDelta(0, "read, ")]
            yield [TextDelta(0, "another")]
            yield [done("one read, another")]

    fed = []
    feed = ArrivedSoFar.feed
    monkeypatch.setattr(ArrivedSoFar, "feed", lambda self, events: fed.append(list(events)) or feed(self, events))
    session = ChatSession()
    history = await AsyncStore.open()
    try:
        async with aclosing(run_turn(session, "hi", client=BatchClient(), profile=PROFILE, deployment="dep",
                                     history=history, source="chat")) as turn:
            batches = [batch async for batch in turn]
    finally:
        await history.aclose()
    assert [[type(event) for event in batch] for batch in batches] == [
        [ResponseStarted], [TextDelta, TextDelta], [TextDelta], [Done],
    ]  # fmt: skip
    assert len(fed) == 4  # each batch once: the recorder checkpoints what run_turn accumulates
    with Store.open() as store:
        assert store.conversations.load(session.conversation_id).messages[1].text == "one read, another"


class SlowHistory:
    """The real history, with each write held until `release` is set: the writer thread behind a
    slow disk, or behind the event loop's hold on the GIL."""

    def __init__(self, history: AsyncStore, release: asyncio.Event) -> None:
        self.history, self.release, self.written = history, release, asyncio.Event()

    async def start_turn(self, *args, **kwargs):
        await self.release.wait()
        recorder = await self.history.start_turn(*args, **kwargs)
        finish = recorder.finish

        async def slow_finish(*args, **kwargs):
            await self.release.wait()
            await finish(*args, **kwargs)
            self.written.set()

        recorder.finish = slow_finish
        return recorder


async def test_the_request_goes_out_while_the_prompt_is_written():
    class SendingClient(FakeClient):
        async def stream_batches(self, request):
            release.set()  # the prompt's write waits for the request: it must not be the other way round
            async for batch in super().stream_batches(request):
                yield batch

    release = asyncio.Event()
    session = ChatSession()
    history = await AsyncStore.open()
    try:
        events = await asyncio.wait_for(
            turn_events(session, "hi", SendingClient(started(), TextDelta(0, "hello"), done("hello")), SlowHistory(history, release)),
            timeout=5,
        )
    finally:
        await history.aclose()
    assert isinstance(events[-1], Done)
    with Store.open() as store:
        reply = store.conversations.load(session.conversation_id).messages[1]
    assert (reply.state, reply.text) == ("complete", "hello")  # every event was recorded, the first one too


async def test_the_ending_is_shown_while_the_history_writes_the_reply_and_the_turn_ends_once_it_is_written():
    release = asyncio.Event()
    release.set()
    session = ChatSession()
    history = await AsyncStore.open()
    slow = SlowHistory(history, release)
    try:
        async with aclosing(run_turn(session, "hi", client=FakeClient(started(), done("hello")), profile=PROFILE,
                                     deployment="dep", history=slow, source="chat")) as turn:
            async for batch in turn:
                if isinstance(batch[-1], Done):
                    release.clear()  # the reply's write waits until the ending has been shown
                    assert not slow.written.is_set()
                    asyncio.get_running_loop().call_later(0.05, release.set)
            assert slow.written.is_set()  # the turn ended after the write
    finally:
        await history.aclose()
    with Store.open() as store:
        assert store.conversations.load(session.conversation_id).messages[1].state == "complete"


async def test_a_reply_that_cannot_be_written_is_a_warning_after_the_ending():
    events = await turn_events(ChatSession(), "hi", FakeClient(started(), done("fine")), FailingHistory())
    assert [type(event) for event in events] == [ResponseStarted, Done, HistoryWarning]
    assert "disk full" in str(events[-1].error)


async def test_a_turn_cancelled_while_its_prompt_is_being_written_is_saved_as_cancelled_once_written():
    release = asyncio.Event()
    session = ChatSession()
    history = await AsyncStore.open()
    sent = asyncio.Event()

    class WaitingClient:
        async def stream_batches(self, request):
            sent.set()
            await asyncio.Event().wait()
            yield []

    async def consume():
        async with aclosing(run_turn(session, "hi", client=WaitingClient(), profile=PROFILE, deployment="dep",
                                     history=SlowHistory(history, release), source="chat")) as events:
            async for _ in events:
                pass

    task = asyncio.create_task(consume())
    await asyncio.wait_for(sent.wait(), timeout=5)  # the request went out before the prompt was written
    task.cancel()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    await history.aclose()
    with Store.open() as store:
        reply = store.conversations.load(session.conversation_id).messages[1]
    assert reply.state == "cancelled"


async def test_a_bug_in_writing_the_prompt_fails_the_turn_once_without_a_record():
    class BuggyHistory:
        async def start_turn(self, *args, **kwargs):
            raise KeyError("conversation")

    events = await turn_events(ChatSession(), "hi", FakeClient(started(), done("fine")), BuggyHistory())
    assert len(events) == 1 and isinstance(events[0], Failed) and "KeyError" in events[0].error.message


async def test_a_reply_write_that_fails_after_the_consumer_stopped_at_the_ending_is_told_all_the_same():
    not_saved: list[StoreError] = []
    writes: list[asyncio.Future[None]] = []

    def detach(write):
        writes.append(asyncio.ensure_future(write))
        return writes[-1]

    async with aclosing(run_turn(ChatSession(), "hi", client=FakeClient(started(), done("fine")), profile=PROFILE,
                                 deployment="dep", history=FailingHistory(write_seconds=0.05), source="chat", detach=detach,
                                 on_cancel_not_saved=not_saved.append)) as turn:
        async for batch in turn:
            if isinstance(batch[-1], Done):
                break  # the consumer stops listening at the ending; aclosing closes the generator
    await asyncio.gather(*writes)
    await asyncio.sleep(0)  # the write's done-callback
    assert [str(error) for error in not_saved] == ["disk full"]
