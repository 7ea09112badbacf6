"""What a turn's events brought so far: the reply of a turn that ends without a `TurnResult`.

A cancelled turn, or one broken by an unexpected exception, gets no `Done`/`Failed` from the
client; the history and the conversation still keep the text, the usage and the ids that arrived.
"""

from __future__ import annotations

from collections.abc import Iterable

from foundry_tui.service.events import ResponseStarted, StreamEvent, TextDelta, UsageUpdated
from foundry_tui.service.messages import TextBlock, TurnResult, Usage


class ArrivedSoFar:
    """Fed every event of a turn; `result()` is the partial reply at any moment.

    One per turn: the turn loop and the history's checkpoints read the same one, so the reply is
    accumulated once.
    """

    def __init__(self, deployment: str) -> None:
        self.deployment = deployment
        self.usage = Usage()
        self.response: ResponseStarted | None = None
        self._parts: list[str] = []

    def feed(self, events: Iterable[StreamEvent]) -> None:
        """A batch of events (one network read's): text deltas, nearly all of them, take the short way."""
        append = self._parts.append
        for event in events:
            if event.__class__ is TextDelta:
                append(event.text)
                continue
            match event:
                case UsageUpdated(usage=usage):
                    self.usage = usage
                case ResponseStarted():
                    self.response = event

    @property
    def text(self) -> str:
        text = "".join(self._parts)
        self._parts = [text]  # joined once, not on every call
        return text

    def result(self) -> TurnResult:
        text = self.text
        response = self.response
        return TurnResult(
            deployment=self.deployment,
            content=[TextBlock(text)] if text else [],
            usage=self.usage,
            status=response.status if response else None,
            request_id=response.request_id if response else None,
            apim_request_id=response.apim_request_id if response else None,
        )
