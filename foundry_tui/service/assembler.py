"""Turns Messages SSE events into typed events and one assembled `TurnResult`.

Kept apart from HTTP so the same code runs on recorded bytes (tests, benchmarks). This is the
streaming hot path: a text delta in its standard form is read without building its JSON objects
(`_standard_text_delta`), any other event takes one `json.loads`; text is collected in lists and
joined once per block. A read's consecutive text deltas of one block come out as one
`TextDelta`, their texts joined: consumers only join texts, and a flood then costs one object per
read instead of one per token, here and in every loop downstream.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from foundry_tui.service.errors import FoundryError, MalformedStream, error_from_event
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
    bounded,
)
from foundry_tui.service.sse import SSEDecoder, parse_event

_TOOL_CALLS = ("tool_use", "server_tool_use", "mcp_tool_use")  # blocks whose input arrives as input_json_delta
_loads = json.loads
# The C scanner under json.loads, without its per-call wrapper (typeshed does not declare it).
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_clock = time.perf_counter
# json's C string scanner, strict: what json.loads reads a string with (typeshed does not declare it).
_scan_string: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
# A text delta as Foundry and the emulator write it (compact JSON), up to its text; the index as json reads it.
_TEXT_DELTA_START = 'event: content_block_delta\ndata: {"type":"content_block_delta","index":'
_TEXT_DELTA_END = ',"delta":{"type":"text_delta","text":"'
_TEXT_DELTA_HEAD = re.compile(re.escape(_TEXT_DELTA_START) + "(0|[1-9][0-9]{0,17})" + re.escape(_TEXT_DELTA_END))
_TEXT_DELTA_FIRST_HEAD = f"{_TEXT_DELTA_START}0{_TEXT_DELTA_END}"
_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_json(data: str) -> Any:
    """`json.loads(data)` at a third of its cost per call: the hot path parses one object per token.

    The scanner alone takes a value that fills `data` exactly; anything else (whitespace around it,
    trailing bytes, nothing valid at all) goes to `json.loads`, which decides, or raises, as ever.
    """
    try:
        value, end = _scan(data, 0)
    except StopIteration:
        return _loads(data)
    return value if end == len(data) else _loads(data)


class MessageAssembler:
    """Feed it raw response bytes; it yields events and fills in `result` as they pass.

    Everything in the stream is the server's word: a field of the wrong type is skipped with a
    warning, and only what would cost unbounded memory or time (an oversized or absurdly nested
    event) ends the turn, as `MalformedStream`, keeping the content that came before.
    """

    def __init__(self, result: TurnResult, started_at: float) -> None:
        self.result = result
        self.finished = False  # message_stop seen
        self.error: FoundryError | None = None  # the server's `event: error`, or a stream refused
        self.saw_content = False  # an event other than a ping since the caller last cleared this
        self._started_at = started_at
        self._decoder = SSEDecoder()
        self._blocks: dict[int, ContentBlock] = {}
        self._parts: dict[int, list[str]] = {}  # thinking / partial_json pieces per open block
        self._text_parts: dict[int, list[str]] = {}  # text pieces per open text block (the hot path's own)
        self._awaiting_first_token = True
        self._warned: set[str] = set()
        self._text_delta_head = (_TEXT_DELTA_FIRST_HEAD, 0)  # the head of the last standard text delta, and its index

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        """The events one read completes, up to an `event: error`, which sets `error` and ends the turn."""
        events = self._assemble(self._decoder.feed(chunk))
        if self._decoder.overflowed and self.error is None:
            limit = self._decoder.max_event_bytes // (1024 * 1024)
            self._refuse(f"the server sent an event over {limit} MB")
        return events

    def close(self) -> list[StreamEvent]:
        """End of the byte stream: deliver a last unterminated event, then close open blocks."""
        block = self._decoder.close()
        events = self._assemble([block] if block else [])
        self.finalize()
        return events

    def _assemble(self, blocks: list[str]) -> list[StreamEvent]:
        """Text deltas, nearly every event, are handled inline here: per token, each function call
        and attribute look-up saved is measurable."""
        events: list[StreamEvent] = []
        append = events.append
        text_parts = self._text_parts
        surrogates = self._decoder.surrogate_escapes  # rare: then every string is checked
        run: list[str] = []  # the texts of the current run of text deltas, all of block `run_index`
        run_index = -1

        def end_run() -> None:
            if run:
                append(TextDelta(run_index, "".join(run)))
                run.clear()

        for block in blocks:
            fast = self._standard_text_delta(block)
            if fast is not None and surrogates:
                fast = fast[0], self._without_surrogates(fast[1])
            if fast is None or (bucket := text_parts.get(fast[0])) is None:
                parsed = parse_event(block)
                if parsed is None:
                    continue  # comments only
                event, data = parsed
                if event != "ping":
                    self.saw_content = True
                try:
                    payload = parse_json(data)
                    if surrogates:
                        payload = self._without_surrogates(payload)
                    if payload.get("type") != "content_block_delta" or payload["delta"].get("type") != "text_delta":
                        produced = self._dispatch(payload.get("type") or event, payload)
                        if produced is not None:
                            end_run()
                            append(produced)
                        elif self.error is not None:
                            break  # nothing after an error event belongs to the turn
                        continue
                    fast = index, text = payload["index"], payload["delta"]["text"]
                    if text.__class__ is not str:
                        raise TypeError("text")
                    bucket = text_parts.get(index)
                    if bucket is None:
                        self._misaimed(index, "text_delta")  # KeyError for an unopened block: "malformed"
                        continue
                except (ValueError, AttributeError, KeyError, TypeError):
                    self._malformed(event, data)
                    continue
                except RecursionError:  # JSON nested deeper than the parser's stack: hostile, not a typo
                    self._refuse(f"the server sent a {event!r} event nested too deeply to parse")
                    break
            else:
                self.saw_content = True
            index, text = fast
            if index != run_index:
                end_run()
                run_index = index
            run.append(text)
            bucket.append(text)
            if self._awaiting_first_token:
                self._content_arrived()
        end_run()
        return events

    def _standard_text_delta(self, block: str) -> tuple[int, str] | None:
        """(index, text) of a text delta in the exact form Foundry sends, else None (the generic
        path decides). Building its JSON objects is most of a flood's cost; the text is read by
        json's own string scanner, and the event is taken only if nothing follows the string but
        its closing braces, so what is accepted is exactly what `json.loads` would give."""
        head, index = self._text_delta_head
        if not block.startswith(head):
            match = _TEXT_DELTA_HEAD.match(block)
            if match is None:
                return None
            head, index = self._text_delta_head = match[0], int(match[1])
        try:
            text, end = _scan_string(block, len(head))
        except ValueError:  # a bad escape, a control character, no closing quote
            return None
        return (index, text) if end == len(block) - 2 and block.endswith("}}") else None

    def _misaimed(self, index: int, kind: str) -> None:
        """A delta for a block of another kind is ignored, as the SDK ignores it; one for no block is malformed."""
        block = self._blocks[index]
        self._warn_once(f"misaimed {kind}", f"ignored a {kind} aimed at a {bounded(block.type, 40)!r} block")

    def _without_surrogates(self, value: Any) -> Any:
        """JSON may escape a lone UTF-16 surrogate, which is not Unicode text: no database, file or
        terminal takes it (saving or printing the reply would fail). Each becomes U+FFFD, said once."""
        if isinstance(value, str):
            if _SURROGATE.search(value) is None:
                return value
            self._warn_once("surrogates", "the server sent text with lone UTF-16 surrogates; they are shown as �")
            return _SURROGATE.sub("\ufffd", value)
        if isinstance(value, dict):
            return {self._without_surrogates(key): self._without_surrogates(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._without_surrogates(item) for item in value]
        return value

    def _malformed(self, event: str, data: str) -> None:
        self.result.warnings.append(f"skipped a malformed {event[:40]!r} data line: {data[:80]!r}")

    def _warn_once(self, topic: str, message: str) -> None:
        if topic not in self._warned:
            self._warned.add(topic)
            self.result.warnings.append(message)

    def _refuse(self, message: str) -> None:
        """End the turn on data that would cost unbounded memory or time; keep what came before."""
        self.finalize()
        self.error = MalformedStream(
            message, request_id=self.result.request_id, apim_request_id=self.result.apim_request_id
        )

    def _field(self, raw: dict[str, Any], name: str, current: str | None) -> str | None:
        """A string field of the message (id, model, stop reason): wrong types keep `current`, with a warning."""
        if name not in raw:
            return current
        value = raw[name]
        if value is None:
            return None
        if isinstance(value, str):
            return bounded(value)
        self._warn_once(name, f"ignored a {name} that is not a string ({type(value).__name__})")
        return current

    def _dispatch(self, kind: str, payload: dict[str, Any]) -> StreamEvent | None:
        if kind == "content_block_delta":
            return self._on_delta(payload)
        if kind == "content_block_start":
            return self._on_block_start(payload)
        if kind == "content_block_stop":
            return self._on_block_stop(payload)
        if kind == "message_delta":
            delta = _object(payload.get("delta"))
            self.result.stop_reason = self._field(delta, "stop_reason", self.result.stop_reason)
            self.result.stop_sequence = self._field(delta, "stop_sequence", self.result.stop_sequence)
            self.result.stop_details = _object(delta.get("stop_details")) or None
            if container := _object(delta.get("container")):
                self.result.container = container
            return self._on_usage(payload.get("usage"))
        if kind == "message_start":
            message = _object(payload.get("message"))
            self.result.message_id = self._field(message, "id", None)
            self.result.model = self._field(message, "model", None)
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
        for index in {*self._text_parts, *self._parts}:
            self._close_block(index)
        self.result.timings.total = _clock() - self._started_at

    def _on_delta(self, payload: dict[str, Any]) -> StreamEvent | None:
        """Every delta but text (which `_assemble` takes on its fast path); types newer than this
        client, and deltas aimed at a block of another kind, leave the block as it is (as the SDK does)."""
        index = payload["index"]
        delta = payload["delta"]
        kind = delta.get("type")
        block = self._blocks[index]
        if kind == "thinking_delta":
            thinking = _text(delta, "thinking")
            if not isinstance(block, ThinkingBlock):
                self._misaimed(index, kind)
                return None
            self._parts[index].append(thinking)
            self._content_arrived()  # after the checks: a skipped delta is no first token
            return ThinkingDelta(index, thinking)
        if kind == "input_json_delta":
            partial_json = _text(delta, "partial_json")
            if isinstance(block, ToolUseBlock):
                self._parts[index].append(partial_json)
            else:
                self._misaimed(index, kind)
        elif kind == "signature_delta":
            if isinstance(block, ThinkingBlock):
                block.signature = _text(delta, "signature")
        elif kind == "citations_delta":
            if isinstance(block, TextBlock):
                block.citations = [*(block.citations or []), delta.get("citation")]
        elif kind == "compaction_delta":
            if isinstance(block, OtherBlock) and block.type == "compaction":
                block.data["content"] = delta.get("content")
                block.data["encrypted_content"] = delta.get("encrypted_content")
        return None

    def _content_arrived(self) -> None:
        if self._awaiting_first_token:
            self._awaiting_first_token = False
            self.result.timings.first_token = _clock() - self._started_at

    def _on_block_start(self, payload: dict[str, Any]) -> BlockStarted:
        index = payload.get("index", len(self._blocks))
        if type(index) is not int:
            raise TypeError("index")
        raw = payload.get("content_block") or {}
        kind = raw.get("type", "unknown")
        block: ContentBlock
        if kind == "text":
            citations = raw.get("citations")
            if citations is not None and not isinstance(citations, list):
                raise TypeError("citations")
            block = TextBlock(citations=citations)
            self._text_parts[index] = [_text(raw, "text")]
        elif kind == "thinking":
            block = ThinkingBlock(signature=_text(raw, "signature"))
            self._parts[index] = [_text(raw, "thinking")]
        elif kind in _TOOL_CALLS:
            extra = {key: value for key, value in raw.items() if key not in ("type", "id", "name", "input")}
            block = ToolUseBlock(id=bounded(_text(raw, "id")), name=bounded(_text(raw, "name")), input=raw.get("input"),
                                 type=kind, extra=extra)
            self._parts[index] = []
        elif isinstance(kind, str):
            block = OtherBlock(raw)
        else:
            raise TypeError("type")
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
        text_parts = self._text_parts.pop(index, None)
        if isinstance(block, TextBlock) and text_parts is not None:
            block.text = "".join(text_parts)
        parts = self._parts.pop(index, None)
        if parts is None:
            return block
        if isinstance(block, ThinkingBlock):
            block.thinking = "".join(parts)
        elif isinstance(block, ToolUseBlock) and parts:
            raw_json = "".join(parts)
            try:
                block.input = _loads(raw_json) if raw_json.strip() else {}
            except ValueError:
                self.result.warnings.append(f"{block.type} {block.name!r} input is not valid JSON")
                block.input = raw_json
        return block

    def _on_usage(self, usage: object) -> UsageUpdated | None:
        if not usage:
            return None
        if not isinstance(usage, dict):
            self._warn_once("usage", f"ignored usage figures that are not an object ({type(usage).__name__})")
            return None
        if refused := self.result.usage.update(usage):
            self._warn_once("usage", f"ignored invalid usage figures from the server: {', '.join(refused)}")
        return UsageUpdated(replace(self.result.usage))  # a snapshot: the result's copy keeps changing


def _object(value: object) -> dict[str, Any]:
    """A JSON object the server sent, or {} for null; any other type is malformed."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError("not an object")
    return value


def _text(raw: dict[str, Any], name: str) -> str:
    """A string field ("" when absent); any other type makes the event malformed."""
    value = raw.get(name, "")
    if not isinstance(value, str):
        raise TypeError(name)
    return value
