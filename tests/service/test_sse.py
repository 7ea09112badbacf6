"""SSE decoding (WHATWG rules plus Anthropic's streaming format), at any chunking.

Also home of the stream builders the assembler and client tests import (`sse_event`, `recorded_stream`).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import pytest
from helpers import split_every, sse_event, sse_events

from foundry_tui.service.assembler import MessageAssembler
from foundry_tui.service.events import StreamEvent, TextDelta, UsageUpdated
from foundry_tui.service.messages import TextBlock, ThinkingBlock, ToolUseBlock, TurnResult
from foundry_tui.service.sse import SSEDecoder

# ---------------------------------------------------------------------------------------------
# Builders shared with test_assembler.py and test_client.py


TEXT_PARTS = ["Bonjour", ", ", "café ", "é—→🙂", " déjà", " vu", "…", " 日本語", " done", "."]
THINKING_PARTS = ["Let me think", " about «this»", " carefully — ok."]
TOOL_JSON_PARTS = ["", '{"location": "Pa', 'ris, Fr', 'ance", "unit": "°', 'C", "days": [1, 2', "]}"]
CITATION = {
    "type": "char_location", "cited_text": "Paris — la ville", "document_index": 0, "start_char_index": 0, "end_char_index": 16,
}
TOOL_INPUT = {"location": "Paris, France", "unit": "°C", "days": [1, 2]}
USAGE_AT_START = {"input_tokens": 472, "output_tokens": 2, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 128}


def recorded_stream(newline: str = "\n") -> bytes:
    """A realistic Messages stream: thinking (with signature), text (with citations), tool_use."""
    def ev(kind: str, **fields: Any) -> bytes:
        return sse_event(kind, newline, **fields)

    def delta(index: int, **fields: Any) -> bytes:
        return ev("content_block_delta", index=index, delta=fields)

    message = {
        "id": "msg_01XyZ", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5", "content": [],
        "stop_reason": None, "stop_sequence": None, "usage": USAGE_AT_START,
    }
    out = [ev("message_start", message=message)]
    out.append(ev("ping"))
    out.append(ev("content_block_start", index=0, content_block={"type": "thinking", "thinking": "", "signature": ""}))
    out += [delta(0, type="thinking_delta", thinking=part) for part in THINKING_PARTS]
    out.append(delta(0, type="signature_delta", signature="EqQBCgIYAhIM1gbcDa9GJwZA2b3h"))
    out.append(ev("content_block_stop", index=0))
    out.append(f": keep-alive{newline}{newline}".encode())
    out.append(ev("content_block_start", index=1, content_block={"type": "text", "text": ""}))
    out += [delta(1, type="text_delta", text=part) for part in TEXT_PARTS[:5]]
    out.append(delta(1, type="citations_delta", citation=CITATION))
    out += [delta(1, type="text_delta", text=part) for part in TEXT_PARTS[5:]]
    out.append(ev("content_block_stop", index=1))
    tool = {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {}}
    out.append(ev("content_block_start", index=2, content_block=tool))
    out += [delta(2, type="input_json_delta", partial_json=part) for part in TOOL_JSON_PARTS]
    out.append(ev("content_block_stop", index=2))
    out.append(ev("message_delta", delta={"stop_reason": "tool_use", "stop_sequence": None}, usage={"output_tokens": 89}))
    out.append(ev("message_stop"))
    return b"".join(out)


def split_at_random(data: bytes, rng: random.Random) -> list[bytes]:
    cuts = sorted(rng.sample(range(1, len(data)), rng.randint(1, 60)))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=False)]


def snapshot(event: StreamEvent) -> StreamEvent:
    """UsageUpdated carries the live Usage object: copy it to keep the value it had when sent."""
    return UsageUpdated(replace(event.usage)) if isinstance(event, UsageUpdated) else event


def assemble(chunks: Iterable[bytes]) -> tuple[list[StreamEvent], TurnResult]:
    """The events with each run of text deltas joined: reads decide where a run is cut, nothing else."""
    assembler = MessageAssembler(TurnResult(deployment="dep"), started_at=0.0)
    seen: list[StreamEvent] = []
    for event in [*(event for chunk in chunks for event in assembler.feed(chunk)), *assembler.close()]:
        last = seen[-1] if seen else None
        if isinstance(event, TextDelta) and isinstance(last, TextDelta) and last.index == event.index:
            seen[-1] = TextDelta(event.index, last.text + event.text)
        else:
            seen.append(snapshot(event))
    assert assembler.finished
    return seen, assembler.result


def outcome(chunks: Iterable[bytes]) -> tuple[list[StreamEvent], dict[str, Any], list[str]]:
    """Everything chunking must not change: the events, the message and the warnings."""
    events, result = assemble(chunks)
    return events, result.to_message_dict(), result.warnings


# ---------------------------------------------------------------------------------------------
# The decoder


def decode(*chunks: bytes) -> list[tuple[str, str]]:
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in sse_events(decoder.feed(chunk))]
    return events + sse_events(decoder.close())


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_line_ends(newline: bytes) -> None:
    raw = b"event: a\n" + b"data: 1\n\n" + b"data: 2\n" + b"data: 3\n\n"
    assert decode(raw.replace(b"\n", newline)) == [("a", "1"), ("message", "2\n3")]


def test_mixed_line_ends_in_one_stream() -> None:
    assert decode(b"data: a\r\n\rdata: b\n\r\ndata: c\r\r") == [("message", "a"), ("message", "b"), ("message", "c")]


def test_comments_are_ignored() -> None:
    assert decode(b": keep-alive\n\n:\n\ndata: x\n: inside an event\n\n") == [("message", "x")]


def test_multi_line_data_is_joined_with_newlines() -> None:
    assert decode(b"data: {\ndata:  \"a\": 1\ndata: }\n\n") == [("message", '{\n "a": 1\n}')]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"event: ping\ndata: {}\n\n", ("ping", "{}")),
        (b"event:ping\ndata:{}\n\n", ("ping", "{}")),
        (b"event:  ping\ndata:  {}\n\n", (" ping", " {}")),  # only one space is stripped
        (b"data\n\n", ("message", "")),  # a field name alone has an empty value
        (b"data:\n\n", ("message", "")),
        (b"event:\ndata: x\n\n", ("message", "x")),  # an empty event name is the default
        (b"id: 7\nretry: 100\nfoo: bar\ndata: x\n\n", ("message", "x")),
    ],
)
def test_field_syntax(raw: bytes, expected: tuple[str, str]) -> None:
    assert decode(raw) == [expected]


def test_event_name_resets_after_each_event_and_on_empty_blocks() -> None:
    assert decode(b"event: a\ndata: 1\n\ndata: 2\n\n") == [("a", "1"), ("message", "2")]
    assert decode(b"event: lost\n\ndata: 3\n\n") == [("message", "3")]


def test_utf8_characters_split_across_reads() -> None:
    raw = "data: é—→🙂\n\n".encode()
    chunks = [raw[i : i + 1] for i in range(len(raw))]
    [(name, data)] = decode(*chunks)
    assert data == "é—→🙂"


@pytest.mark.parametrize(
    "chunks",
    [
        (b"data: a\r", b"\n\r\n"),
        (b"data: a\r\n\r", b"\n"),
        (b"data: a\r\n", b"\r", b"\n"),
        (b"data: a", b"\r", b"\n", b"\r", b"\n"),
    ],
)
def test_crlf_split_across_reads_makes_no_spurious_event(chunks: tuple[bytes, ...]) -> None:
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in sse_events(decoder.feed(chunk))]
    events += sse_events(decoder.feed(b"data: b\r\n\r\n"))
    assert events == [("message", "a"), ("message", "b")]
    assert decoder.close() == ""


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"], ids=["CRLF", "CR"])
def test_line_end_split_inside_an_event(newline: bytes) -> None:
    raw = b"event: x" + newline + b"data: 1" + newline + b"data: 2" + newline + newline
    for cut in range(1, len(raw)):
        assert decode(raw[:cut], raw[cut:]) == [("x", "1\n2")], cut


def test_an_event_is_delivered_as_soon_as_its_blank_line_arrives() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: 1\n") == []
    assert sse_events(decoder.feed(b"\n")) == [("message", "1")]


@pytest.mark.parametrize("tail", [b"", b"\n", b"\r\n", b"\r"])
def test_event_at_eof_without_blank_line(tail: bytes) -> None:
    assert decode(b"data: 1\n\nevent: last\ndata: 2" + tail) == [("message", "1"), ("last", "2")]


def test_eof_with_nothing_pending() -> None:
    assert decode(b"") == []
    assert decode(b"data: 1\n\n: bye\n") == [("message", "1")]


def test_trailing_spaces_after_json_are_kept_and_still_parse() -> None:
    [(_, data)] = decode(b'data: {"type": "ping"}   \n\n')
    assert data == '{"type": "ping"}   '
    assert json.loads(data) == {"type": "ping"}


# ---------------------------------------------------------------------------------------------
# A realistic recorded stream, at every chunking


def test_recorded_stream_assembles() -> None:
    events, result = assemble([recorded_stream()])
    kinds = [type(event).__name__ for event in events]
    assert kinds == (
        ["UsageUpdated", "BlockStarted"] + ["ThinkingDelta"] * 3 + ["BlockStopped", "BlockStarted"]
        + ["TextDelta", "BlockStopped", "BlockStarted", "BlockStopped", "UsageUpdated"]
    )
    assert [event.text for event in events if isinstance(event, TextDelta)] == ["".join(TEXT_PARTS)]
    thinking, text, tool = result.content
    assert thinking == ThinkingBlock(thinking="".join(THINKING_PARTS), signature="EqQBCgIYAhIM1gbcDa9GJwZA2b3h")
    assert text == TextBlock(text="".join(TEXT_PARTS), citations=[CITATION])
    assert tool == ToolUseBlock(id="toolu_01", name="get_weather", input=TOOL_INPUT)
    assert result.text == "Bonjour, café é—→🙂 déjà vu… 日本語 done."
    assert result.usage.to_dict() == {**USAGE_AT_START, "output_tokens": 89}
    assert (result.message_id, result.model) == ("msg_01XyZ", "claude-sonnet-4-5")
    assert (result.stop_reason, result.stop_sequence) == ("tool_use", None)
    assert result.warnings == []


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["LF", "CRLF"])
def test_every_chunk_size_gives_the_same_result(newline: str) -> None:
    raw = recorded_stream(newline)
    expected = outcome([raw])
    for size in range(1, len(raw) + 1):
        assert outcome(split_every(raw, size)) == expected, f"chunk size {size}"


def test_random_splits_give_the_same_result() -> None:
    rng = random.Random(20240501)
    expected = outcome([recorded_stream()])
    for newline in ("\n", "\r\n", "\r"):  # the line ends change nothing either
        raw = recorded_stream(newline)
        for _ in range(150):
            chunks = split_at_random(raw, rng)
            assert outcome(chunks) == expected, [len(chunk) for chunk in chunks]
