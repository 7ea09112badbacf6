"""Turns Messages SSE events into typed events and one assembled `TurnResult`.

Kept apart from HTTP so the same code runs on recorded bytes (tests, benchmarks). This is the
streaming hot path: one `json.loads` and a few dict look-ups per delta; text is collected in lists
and joined once per block.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

from foundry_tui.service.errors import StreamError, error_from_event
from foundry_tui.service.events import (
    BlockStarted,
    BlockStopped,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    UsageUpdated,
)
from foundry_tui.service.messages import (
    ContentBlock,
    OtherBlock,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    TurnResult,
)
from foundry_tui.service.sse import SSEDecoder

_loads = json.loads
_clock = time.perf_counter


class MessageAssembler:
    """Feed it raw response bytes; it yields events and fills in `result` as they pass."""

    def __init__(self, result: TurnResult, started_at: float) -> None:
        self.result = result
        self.finished = False  # message_stop seen
        self.error: StreamError | None = None  # the server's `event: error`, if one came
        self._started_at = started_at
        self._decoder = SSEDecoder()
        self._blocks: dict[int, ContentBlock] = {}
        self._parts: dict[int, list[str]] = {}  # text / thinking / partial_json pieces per open block
        self._awaiting_first_token = True

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        """The events one read completes, up to an `event: error`, which sets `error` and ends the turn."""
        return self._assemble(self._decoder.feed(chunk))

    def close(self) -> list[StreamEvent]:
        """End of the byte stream: deliver a last unterminated event, then close open blocks."""
        events = self._assemble(self._decoder.close())
        self.finalize()
        return events

    def _assemble(self, sse_events: list[tuple[str, str]]) -> list[StreamEvent]:
        """Text deltas, nearly every event, are handled inline here: per token, each function call
        and attribute look-up saved is measurable against the cost of `json.loads` itself."""
        events: list[StreamEvent] = []
        append = events.append
        parts = self._parts
        for event, data in sse_events:
            try:
                payload = _loads(data)
                if payload.get("type") == "content_block_delta":
                    delta = payload["delta"]
                    if delta.get("type") == "text_delta":
                        index = payload["index"]
                        text = delta["text"]
                        parts[index].append(text)  # KeyError (a delta for an unopened block) is "malformed"
                        if self._awaiting_first_token:
                            self._content_arrived()
                        append(TextDelta(index, text))
                        continue
                produced = self._dispatch(payload.get("type") or event, payload)
            except (ValueError, AttributeError, KeyError, TypeError):
                self._malformed(event, data)
                continue
            if produced is not None:
                append(produced)
            elif self.error is not None:
                break  # nothing after an error event belongs to the turn
        return events

    def _malformed(self, event: str, data: str) -> None:
        self.result.warnings.append(f"skipped a malformed {event!r} data line: {data[:80]!r}")

    def _dispatch(self, kind: str, payload: dict[str, Any]) -> StreamEvent | None:
        if kind == "content_block_delta":
            return self._on_delta(payload)
        if kind == "content_block_start":
            return self._on_block_start(payload)
        if kind == "content_block_stop":
            return self._on_block_stop(payload)
        if kind == "message_delta":
            delta = payload.get("delta") or {}
            self.result.stop_reason = delta.get("stop_reason", self.result.stop_reason)
            self.result.stop_sequence = delta.get("stop_sequence", self.result.stop_sequence)
            return self._on_usage(payload.get("usage"))
        if kind == "message_start":
            message = payload.get("message") or {}
            self.result.message_id = message.get("id")
            self.result.model = message.get("model")
            return self._on_usage(message.get("usage"))
        if kind == "message_stop":
            self.finished = True
            return None
        if kind == "error":
            self.finalize()
            self.error = error_from_event(
                payload, request_id=self.result.request_id, apim_request_id=self.result.apim_request_id
            )
        return None  # ping and event types newer than this client

    def finalize(self) -> None:
        """Close any block still open (after an error or a cut), so partial content is kept."""
        for index in list(self._parts):
            self._close_block(index)
        self.result.timings.total = _clock() - self._started_at

    def _on_delta(self, payload: dict[str, Any]) -> StreamEvent | None:
        """Every delta but text (which `_assemble` takes on its fast path)."""
        index = payload["index"]
        delta = payload["delta"]
        kind = delta.get("type")
        if kind == "thinking_delta":
            thinking = delta["thinking"]
            self._parts[index].append(thinking)
            self._content_arrived()  # after the checks: a skipped delta is no first token
            return ThinkingDelta(index, thinking)
        if kind == "input_json_delta":
            self._parts[index].append(delta.get("partial_json", ""))
        elif kind == "signature_delta":
            block = self._blocks[index]
            if isinstance(block, ThinkingBlock):
                block.signature = delta.get("signature", "")
        elif kind == "citations_delta":
            block = self._blocks[index]
            if isinstance(block, TextBlock):
                block.citations.append(delta.get("citation"))
        return None

    def _content_arrived(self) -> None:
        if self._awaiting_first_token:
            self._awaiting_first_token = False
            self.result.timings.first_token = _clock() - self._started_at

    def _on_block_start(self, payload: dict[str, Any]) -> BlockStarted:
        index = payload.get("index", len(self._blocks))
        raw = payload.get("content_block") or {}
        kind = raw.get("type", "unknown")
        block: ContentBlock
        if kind == "text":
            block = TextBlock(citations=list(raw.get("citations") or []))
            self._parts[index] = [raw.get("text", "")]
        elif kind == "thinking":
            block = ThinkingBlock(signature=raw.get("signature", ""))
            self._parts[index] = [raw.get("thinking", "")]
        elif kind == "tool_use":
            block = ToolUseBlock(id=raw.get("id", ""), name=raw.get("name", ""), input=raw.get("input"))
            self._parts[index] = []
        else:
            block = OtherBlock(raw)
        self._blocks[index] = block
        self.result.content.append(block)
        return BlockStarted(index, kind)

    def _on_block_stop(self, payload: dict[str, Any]) -> BlockStopped | None:
        index = payload.get("index")
        if index not in self._blocks:
            return None
        return BlockStopped(index, self._close_block(index))

    def _close_block(self, index: int) -> ContentBlock:
        block = self._blocks[index]
        parts = self._parts.pop(index, None)
        if parts is None:
            return block
        if isinstance(block, TextBlock):
            block.text = "".join(parts)
        elif isinstance(block, ThinkingBlock):
            block.thinking = "".join(parts)
        elif isinstance(block, ToolUseBlock) and parts:
            raw_json = "".join(parts)
            try:
                block.input = _loads(raw_json) if raw_json.strip() else {}
            except ValueError:
                self.result.warnings.append(f"tool_use {block.name!r} input is not valid JSON")
                block.input = raw_json
        return block

    def _on_usage(self, usage: dict[str, Any] | None) -> UsageUpdated | None:
        if not usage:
            return None
        self.result.usage.update(usage)
        return UsageUpdated(replace(self.result.usage))  # a snapshot: the result's copy keeps changing
