"""Typed events a streaming turn yields, in order. The last one is always `Done` or `Failed`."""

from __future__ import annotations

from dataclasses import dataclass

from foundry_tui.service.errors import FoundryError
from foundry_tui.service.messages import ContentBlock, TurnResult, Usage


@dataclass(slots=True)
class ResponseStarted:
    """HTTP 200 arrived: the request ids are known before any text."""

    status: int
    request_id: str | None
    apim_request_id: str | None


@dataclass(slots=True)
class BlockStarted:
    index: int
    block_type: str


@dataclass(slots=True)
class TextDelta:
    """Text for block `index`: the text deltas of one network read that came in a row, joined."""

    index: int
    text: str


@dataclass(slots=True)
class ThinkingDelta:
    index: int
    thinking: str


@dataclass(slots=True)
class BlockStopped:
    index: int
    block: ContentBlock


@dataclass(slots=True)
class UsageUpdated:
    usage: Usage


@dataclass(slots=True)
class RetryScheduled:
    """The request failed in a retryable way; the next attempt starts after `delay` seconds."""

    attempt: int
    delay: float
    reason: str
    error: FoundryError


@dataclass(slots=True)
class Done:
    result: TurnResult


@dataclass(slots=True)
class Failed:
    """The turn ended in an error; `result` keeps whatever content had arrived."""

    error: FoundryError
    result: TurnResult


StreamEvent = (
    ResponseStarted
    | BlockStarted
    | TextDelta
    | ThinkingDelta
    | BlockStopped
    | UsageUpdated
    | RetryScheduled
    | Done
    | Failed
)
