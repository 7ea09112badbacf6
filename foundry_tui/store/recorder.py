"""Records a streaming turn as its events arrive, shared by `ask` and the app.

`feed()` is on the streaming hot path, once per network read: it only collects (into `arrived`, the
turn's one accumulation of the reply, which the turn loop reads too), never touches the disk. A timer on the
event loop checkpoints the text about once a second on the store's writer thread, so a killed
process loses at most the last second; it also beats while nothing arrives (a retry's wait, a slow
first token, long thinking), so a peer never takes a live stream for a dead one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from foundry_tui.format import to_ms
from foundry_tui.service.errors import CredentialError, FoundryError, SetupError
from foundry_tui.service.events import ResponseStarted, RetryScheduled, StreamEvent, TextDelta
from foundry_tui.service.messages import TurnResult
from foundry_tui.service.partial import ArrivedSoFar
from foundry_tui.store.conversations import FinishedReply, MessageState, ReplyDetails, StartedTurn
from foundry_tui.store.usage import CANCELLED, RequestContext

if TYPE_CHECKING:
    from foundry_tui.store.async_store import AsyncStore
    from foundry_tui.store.store import Store

CHECKPOINT_SECONDS = 1.0
NOTHING_SENT = (SetupError, CredentialError)  # failures before any request: no usage row


class TurnRecorder:
    """Made by `AsyncStore.start_turn()`, on the event loop; call `finish()` once at the end."""

    def __init__(
        self, store: AsyncStore, turn: StartedTurn, context: RequestContext, *, interval: float = CHECKPOINT_SECONDS
    ) -> None:
        self.turn = turn
        self._store = store
        self._context = context
        self._interval = interval
        self.arrived = ArrivedSoFar(context.deployment)  # what the turn brought so far: checkpointed
        self._saved_chars = 0
        self._failure: BaseException | None = None
        self._loop = asyncio.get_running_loop()
        self._timer = self._loop.call_later(interval, self._checkpoint)

    @property
    def conversation_id(self) -> str:
        return self.turn.conversation_id

    def feed(self, events: Sequence[StreamEvent]) -> None:
        """A batch of the turn's events, in order: ids and retries are written at once, text at checkpoints."""
        self.arrived.feed(events)
        for event in events:
            if event.__class__ is not TextDelta:
                self._note(event)

    def _note(self, event: StreamEvent) -> None:
        match event:
            case ResponseStarted(request_id=request_id, apim_request_id=apim_request_id):  # kept before any text
                message_id = self.turn.reply_message_id
                self._write(lambda store: store.conversations.set_request_ids(message_id, request_id, apim_request_id))
            case RetryScheduled(error=error):  # the failed attempt was a request too
                row = self._context.row(
                    status=error.status,
                    error_kind=error.kind,
                    request_id=error.request_id,
                    apim_request_id=error.apim_request_id,
                )
                self._write(lambda store: store.usage.log(row))

    async def finish(
        self, result: TurnResult | None, error: FoundryError | None = None, *, cancelled: bool = False
    ) -> None:
        """Write how the turn ended (and its usage row) and wait for it.

        `result` may be None when the stream was cancelled before handing one back: what the
        events brought is kept. Raises StoreError if this or any earlier write of the turn failed.
        """
        self._timer.cancel()
        result = result or self.arrived.result()
        state: MessageState = "cancelled" if cancelled else "failed" if error is not None else "complete"
        details = self._details(result, error)
        reply = FinishedReply(state, result.text, [block.to_dict() for block in result.content], details)
        row = None if isinstance(error, NOTHING_SENT) else self._context.row(
            status=details.status,
            error_kind=CANCELLED if cancelled else (error.kind if error else None),
            usage=result.usage,
            model=details.model,
            latency_ms=details.duration_ms,
            ttft_ms=details.ttft_ms,
            request_id=details.request_id,
            apim_request_id=details.apim_request_id,
        )
        message_id = self.turn.reply_message_id

        def write(store: Store) -> None:
            store.conversations.finish_reply(message_id, reply)
            if row is not None:
                store.usage.log(row)

        await self._store.call(write)
        if self._failure is not None:
            raise self._failure

    def _checkpoint(self) -> None:
        text = self.arrived.text
        changed = len(text) != self._saved_chars  # the text only grows
        self._saved_chars = len(text)
        message_id = self.turn.reply_message_id
        self._write(lambda store: store.conversations.checkpoint(message_id, text if changed else None))
        self._timer = self._loop.call_later(self._interval, self._checkpoint)

    def _write(self, operation: Any) -> None:
        self._store.submit(operation).add_done_callback(self._note_failure)

    def _note_failure(self, future: Future[Any]) -> None:
        """On the writer thread: keep the first failure for finish() to report."""
        if self._failure is None:
            self._failure = future.exception()

    def _details(self, result: TurnResult, error: FoundryError | None) -> ReplyDetails:
        return ReplyDetails(
            model=result.model,
            stop_reason=result.stop_reason,
            usage=result.usage.to_dict(),
            cost=self._context.cost(result.usage, result.model),
            status=result.status,
            request_id=result.request_id or (error.request_id if error else None),
            apim_request_id=result.apim_request_id or (error.apim_request_id if error else None),
            ttft_ms=to_ms(result.timings.first_token),
            duration_ms=to_ms(result.timings.total),
            error=error.to_dict() if error else None,
        )

