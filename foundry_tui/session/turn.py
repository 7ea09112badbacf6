"""`run_turn()`: one turn of a `ChatSession`, recorded in the history; the app and `ask` both drive it.

The contract between this loop and a front end (the chat screen, `ask`):

- `run_turn()` is an async generator. Iterate it inside `contextlib.aclosing` and render what it
  yields: non-empty lists of events, in order, one per network read (a flood of thousands of
  deltas a second costs one async hop per read, not per delta). The events are the service's
  typed `StreamEvent`s, and `HistoryWarning` when the history could not save the turn (the turn
  goes on).
- The prompt is written to the history while the request goes out; the first read waits for that
  write, so the record gets every event.
- The turn's ending, `Done` or `Failed`, always comes alone in a list, as soon as the session has
  settled the reply (so the next turn already sends it back, or not). The history writes the reply
  meanwhile; the generator ends once it is written, and only a `HistoryWarning` (the write failed)
  can come after the ending.
- Any unexpected exception inside the turn (a parser bug, a `RecursionError`) and the overall
  `timeout` both end the turn as `Failed`, with the partial reply kept, saved and sent back.
- Cancelling the consuming task, or closing the generator early, ends the turn as cancelled: the
  partial reply is kept and saved (through `detach`, so a quitting app can wait for the write), and
  the `CancelledError` (or `GeneratorExit`) goes on up. Nothing is yielded after that.
- The reply is accumulated once, in the `ArrivedSoFar` the history's recorder checkpoints.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from foundry_tui.attachments import Attachment
from foundry_tui.service.errors import FoundryError, RequestTimedOut, StreamError
from foundry_tui.service.events import Done, Failed, StreamEvent
from foundry_tui.service.messages import MessageRequest, TurnResult
from foundry_tui.service.partial import ArrivedSoFar
from foundry_tui.session.chat import ChatSession, Exchange, ReplyState
from foundry_tui.store.errors import StoreError
from foundry_tui.store.usage import RequestContext

if TYPE_CHECKING:
    from foundry_tui.config.profile import Profile
    from foundry_tui.store.async_store import AsyncStore
    from foundry_tui.store.recorder import TurnRecorder

BUG_HINT = "The partial reply is kept. Retry it; if it happens again, report it with the request ids."
Detach = Callable[[Coroutine[Any, Any, None]], "asyncio.Future[None]"]


class Streamer(Protocol):
    """What sends a request: `FoundryClient`, or a test's fake."""

    def stream_batches(self, request: MessageRequest) -> AsyncIterator[list[StreamEvent]]: ...


@dataclass(slots=True)
class HistoryWarning:
    """The history could not save (part of) this turn; the turn itself goes on."""

    error: StoreError


TurnEvent = StreamEvent | HistoryWarning


async def run_turn(
    session: ChatSession,
    prompt: str,
    *,
    client: Streamer,
    profile: Profile,
    deployment: str,
    history: AsyncStore | None,
    source: str,
    timeout: float | None = None,
    detach: Detach = asyncio.ensure_future,
    on_cancel_not_saved: Callable[[StoreError], None] | None = None,
    attachments: Sequence[Attachment] = (),
) -> AsyncGenerator[Sequence[TurnEvent], None]:
    """Send `prompt` after the session's conversation and yield the turn's events, in lists (see the module).

    Args:
        source: who asks, for the usage log ("chat", "ask").
        timeout: seconds for the whole turn, retries included; None waits as long as the stream lasts.
        detach: runs the history write of a cancelled turn as a task (the app's waits before exiting).
        on_cancel_not_saved: told when that write fails: a cancelled turn yields nothing more. Also
            told when the reply's write fails after the consumer stopped listening past the ending.
        attachments: files sent before the prompt (read and checked already), saved with it.
    """
    request = session.request(prompt, deployment, profile.defaults, attachments)
    exchange = session.begin(prompt, attachments)
    # the prompt is written while the request goes out: the writer thread can take a while (a slow
    # disk, or the event loop holding the GIL), and the server takes longer anyway
    recording = asyncio.ensure_future(_start_recording(history, session, prompt, attachments, request, profile, source))
    arrived = ArrivedSoFar(deployment)
    recorder: TurnRecorder | None = None
    feed: Callable[[Sequence[StreamEvent]], None] | None = None
    ending: Done | Failed | None = None
    try:
        async with aclosing(_within(client.stream_batches(request), timeout)) as batches:
            async for batch in batches:
                if feed is None:  # the first read: from here on, one accumulation for the turn and its record
                    feed = arrived.feed  # (a bug in the write leaves the turn without a record, not stuck)
                    recorder, warning = await recording
                    if warning is not None:
                        yield [warning]
                    if recorder is not None:
                        arrived, feed = recorder.arrived, recorder.feed
                feed(batch)
                if batch and isinstance(batch[-1], Done | Failed):
                    ending = batch[-1]
                    batch = batch[:-1]
                if batch:
                    yield batch
    except (asyncio.CancelledError, GeneratorExit):
        _settle(session, exchange, arrived.result(), "cancelled")
        if feed is None:  # cancelled before the first read: the prompt's record, once written
            recorder, warning = await asyncio.shield(recording)
            if warning is not None and on_cancel_not_saved is not None:
                on_cancel_not_saved(warning.error)
        if recorder is not None:  # saved even when the app is quitting: it waits for the detached write
            write = _write_reply(recorder, arrived.result(), None, cancelled=True, on_not_saved=on_cancel_not_saved)
            await asyncio.shield(detach(write))
        raise
    except Exception as problem:  # the deadline, or any bug: the turn ends Failed, never stuck, never a traceback
        ending = Failed(_error_for(problem, timeout), arrived.result())
    if feed is None:  # no read at all (a fake client, or a bug before the first)
        recorder, warning = await recording
        if warning is not None:
            yield [warning]
    if ending is None:  # the service always ends with Done or Failed; a fake might not
        ending = Failed(StreamError("the reply ended without a result", hint=BUG_HINT), arrived.result())
    error = ending.error if isinstance(ending, Failed) else None
    _settle(session, exchange, ending.result, "complete" if error is None else "failed")
    if recorder is None:
        yield [ending]
        return
    not_saved: list[StoreError] = []  # the ending is shown while the reply is written (a quitting app waits for it)
    writing = detach(_write_reply(recorder, ending.result, error, on_not_saved=not_saved.append))
    try:
        yield [ending]
        await asyncio.shield(writing)
    except (asyncio.CancelledError, GeneratorExit):  # the consumer moved on: a failed write is told all the same
        if on_cancel_not_saved is not None:
            writing.add_done_callback(lambda _: _tell(not_saved, on_cancel_not_saved))
        raise
    if not_saved:
        yield [HistoryWarning(not_saved[0])]


def _error_for(problem: Exception, timeout: float | None) -> FoundryError:
    if isinstance(problem, TimeoutError) and timeout is not None:
        return RequestTimedOut(f"no complete reply within {timeout:g} s")
    return StreamError(f"the reply broke off ({type(problem).__name__})", hint=BUG_HINT)


async def _within(
    batches: AsyncIterator[list[StreamEvent]], timeout: float | None
) -> AsyncGenerator[list[StreamEvent], None]:
    """The batches, with one deadline for all of them (only the waits are timed, never a yield)."""
    deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout
    try:
        while True:
            async with asyncio.timeout_at(deadline):  # a timer per network read, none without a deadline
                batch = await anext(batches, None)
            if batch is None:
                return
            yield batch
    finally:
        if isinstance(batches, AsyncGenerator):  # closing the stream closes its HTTP response now
            await batches.aclose()


def _settle(session: ChatSession, exchange: Exchange, result: TurnResult, state: ReplyState) -> None:
    session.settle(exchange, state, [block.to_dict() for block in result.content], result.text)


async def _start_recording(
    history: AsyncStore | None,
    session: ChatSession,
    prompt: str,
    attachments: Sequence[Attachment],
    request: MessageRequest,
    profile: Profile,
    source: str,
) -> tuple[TurnRecorder | None, HistoryWarning | None]:
    """Write the prompt (and an empty reply); the turn joins the session's conversation."""
    if history is None:
        return None, None
    context = RequestContext.for_profile(source, profile, request.model)
    try:
        recorder = await history.start_turn(
            prompt, context, conversation_id=session.conversation_id, system=request.system, attachments=attachments
        )
    except StoreError as error:
        return None, HistoryWarning(error)
    session.conversation_id = recorder.conversation_id
    return recorder, None


def _tell(not_saved: list[StoreError], on_not_saved: Callable[[StoreError], None]) -> None:
    if not_saved:
        on_not_saved(not_saved[0])


async def _write_reply(
    recorder: TurnRecorder,
    result: TurnResult,
    error: FoundryError | None,
    *,
    cancelled: bool = False,
    on_not_saved: Callable[[StoreError], None] | None = None,
) -> None:
    """The reply's final record; run detached, so a failure is told through `on_not_saved`."""
    try:
        await recorder.finish(result, error, cancelled=cancelled)
    except StoreError as problem:
        if on_not_saved is not None:
            on_not_saved(problem)
