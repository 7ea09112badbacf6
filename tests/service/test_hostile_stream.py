"""Whatever a server puts in a stream, the assembler keeps the turn and never crashes (issue #9)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from helpers import sse_event, sse_events, text_turn

from foundry_tui.service.assembler import MessageAssembler
from foundry_tui.service.errors import MalformedStream
from foundry_tui.service.messages import TextBlock, TurnResult
from foundry_tui.service.sse import MAX_EVENT_BYTES, SSEDecoder


def assemble(body: bytes) -> MessageAssembler:
    assembler = MessageAssembler(TurnResult(deployment="dep"), started_at=0.0)
    assembler.feed(body)
    assembler.close()
    return assembler


@pytest.mark.parametrize("bad", [[1, 2], "12", None, True, -5, 10**30, 1.5, {"n": 1}])
def test_bad_usage_values_become_safe_values_and_one_warning(bad: Any) -> None:
    usage = {"input_tokens": bad, "output_tokens": bad, "cache_read_input_tokens": bad, "service_tier": [bad]}
    body = text_turn("Hello", usage=usage, stop=False) + sse_event("content_block_stop", index=0)
    body += sse_event("message_delta", delta={"stop_reason": "end_turn"}, usage={"output_tokens": bad})
    body += sse_event("message_stop")
    assembler = assemble(body)
    result = assembler.result
    assert assembler.finished and result.text == "Hello"
    for value in result.usage.to_dict().values():
        assert type(value) in (int, str) and (type(value) is str or 0 <= value < 10**12)
    assert result.usage.service_tier is None
    if bad is not None:  # null means "not reported": no warning
        assert len([w for w in result.warnings if "usage" in w]) == 1


def test_valid_usage_after_bad_usage_still_counts() -> None:
    body = text_turn("Hi", usage={"input_tokens": "7"})
    result = assemble(body).result
    assert result.usage.input_tokens == 0 and result.usage.output_tokens == 1


def test_usage_that_is_not_an_object_is_a_warning() -> None:
    result = assemble(text_turn("Hi", usage=[1, 2])).result  # type: ignore[arg-type]
    assert result.text == "Hi" and len(result.warnings) == 1


def test_message_fields_of_the_wrong_type_are_dropped_with_a_warning() -> None:
    body = sse_event("message_start", message={"id": ["x"], "model": {"a": 1}, "usage": {"input_tokens": 3}})
    body += sse_event("content_block_start", index=0, content_block={"type": "text", "text": ""})
    body += sse_event("content_block_delta", index=0, delta={"type": "text_delta", "text": "ok"})
    body += sse_event("content_block_stop", index=0)
    body += sse_event("message_delta", delta={"stop_reason": 7, "stop_sequence": ["a"]}, usage={"output_tokens": 2})
    body += sse_event("message_stop")
    result = assemble(body).result
    assert result.message_id is None and result.model is None
    assert result.stop_reason is None and result.stop_sequence is None
    assert result.usage.input_tokens == 3 and result.text == "ok"
    assert result.warnings


def test_overlong_ids_are_cut() -> None:
    body = sse_event("message_start", message={"id": "m" * 100_000, "model": "x" * 100_000, "usage": {}})
    result = assemble(body + text_turn("ok").split(b"\n\n", 1)[1]).result
    assert result.message_id is not None and len(result.message_id) <= 200
    assert result.model is not None and len(result.model) <= 200


@pytest.mark.parametrize(
    "block, deltas",
    [
        ({"type": "text", "text": 5}, [{"type": "text_delta", "text": "ok"}]),
        ({"type": "text", "text": ""}, [{"type": "text_delta", "text": ["no"]}, {"type": "text_delta", "text": "ok"}]),
        ({"type": "text", "text": "", "citations": "x"}, [{"type": "text_delta", "text": "ok"}]),
        ({"type": "thinking", "thinking": {}}, [{"type": "thinking_delta", "thinking": 3}]),
        ({"type": "thinking", "thinking": ""}, [{"type": "signature_delta", "signature": 3}]),
        ({"type": "tool_use", "id": 1, "name": None}, [{"type": "input_json_delta", "partial_json": 5}]),
        ({"type": "tool_use", "id": "t", "name": "n"}, [{"type": "input_json_delta", "partial_json": [5]}]),
    ],
)
def test_content_fields_of_the_wrong_type_never_crash(block: dict[str, Any], deltas: list[dict[str, Any]]) -> None:
    body = sse_event("message_start", message={"id": "m", "model": "x", "usage": {}})
    body += sse_event("content_block_start", index=0, content_block=block)
    body += b"".join(sse_event("content_block_delta", index=0, delta=d) for d in deltas)
    body += sse_event("content_block_stop", index=0)
    body += sse_event("content_block_start", index=1, content_block={"type": "text", "text": ""})
    body += sse_event("content_block_delta", index=1, delta={"type": "text_delta", "text": "fine"})
    body += sse_event("content_block_stop", index=1)
    body += sse_event("message_stop")
    assembler = assemble(body)
    assert assembler.finished and assembler.result.text.endswith("fine")
    assert assembler.result.warnings
    json.dumps(assembler.result.to_message_dict())  # what the history saves


def test_a_block_index_that_is_not_an_integer_is_skipped() -> None:
    body = sse_event("content_block_start", index=[0], content_block={"type": "text", "text": ""})
    body += sse_event("content_block_start", index="0", content_block={"type": "text", "text": ""})
    assembler = assemble(body + text_turn("ok"))
    assert assembler.result.text == "ok" and len(assembler.result.warnings) == 2


def test_deep_json_fails_the_turn_quickly_and_keeps_the_text() -> None:
    deep = b"event: content_block_delta\ndata: " + b"[" * 100_000 + b"]" * 100_000 + b"\n\n"
    body = text_turn("kept", stop=False) + deep + text_turn("lost")
    started = time.perf_counter()
    assembler = assemble(body)
    assert time.perf_counter() - started < 1.0
    assert isinstance(assembler.error, MalformedStream)
    assert assembler.error.hint and "\n" not in assembler.error.message
    assert assembler.result.text == "kept"


def test_deep_json_inside_a_string_is_just_text() -> None:
    text = "[" * 10_000
    assert assemble(text_turn(text)).result.text == text


def test_an_event_over_the_cap_fails_the_turn_and_keeps_the_text() -> None:
    huge = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"'
    assembler = MessageAssembler(TurnResult(deployment="dep"), started_at=0.0)
    assembler.feed(text_turn("kept", stop=False) + huge)
    chunk = b"a" * 65536
    for _ in range(MAX_EVENT_BYTES // len(chunk) + 2):
        assembler.feed(chunk)
        if assembler.error is not None:
            break
    assert isinstance(assembler.error, MalformedStream)
    assert "MB" in assembler.error.message
    assert assembler.result.text == "kept"
    assert isinstance(assembler.result.content[0], TextBlock)


def test_the_decoder_refuses_an_oversized_event_in_one_read_but_returns_those_before() -> None:
    decoder = SSEDecoder()
    events = sse_events(decoder.feed(b"data: a\n\n" + b"data: " + b"x" * (MAX_EVENT_BYTES + 10) + b"\n\ndata: b\n\n"))
    assert events == [("message", "a")] and decoder.overflowed
    assert decoder.feed(b"data: c\n\n") == [] and decoder.close() == ""


def test_text_before_a_bomb_in_the_same_read_is_kept() -> None:
    assembler = MessageAssembler(TurnResult(deployment="dep"), started_at=0.0)
    events = assembler.feed(text_turn("kept", stop=False) + b"data: " + b"a" * (MAX_EVENT_BYTES + 1))
    assert events and isinstance(assembler.error, MalformedStream)
    assert assembler.result.text == "kept"


def test_a_long_line_in_small_reads_costs_linear_time() -> None:
    decoder = SSEDecoder()
    line = b"data: " + b"x" * (MAX_EVENT_BYTES - 100)
    started = time.perf_counter()
    for i in range(0, len(line), 4096):
        decoder.feed(line[i : i + 4096])
    events = sse_events(decoder.feed(b"\n\n"))
    assert time.perf_counter() - started < 0.5
    assert len(events) == 1 and len(events[0][1]) == MAX_EVENT_BYTES - 100


def test_a_blank_line_split_across_reads_still_ends_the_event() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a" + b"b" * 100) == []
    assert decoder.feed(b"c\n") == []
    assert sse_events(decoder.feed(b"\ndata: d\n")) == [("message", "a" + "b" * 100 + "c")]
    assert sse_events(decoder.feed(b"\r\n")) == [("message", "d")]


@pytest.mark.parametrize("read_size", [7, 100_000])
def test_lone_surrogate_escapes_become_replacement_characters_with_one_warning(read_size: int) -> None:
    """JSON may escape a lone UTF-16 surrogate; Python keeps it, and then the history (SQLite), a pipe
    and the terminal all refuse the reply ("surrogates not allowed"). An escaped pair is one character."""
    body = (
        sse_event("content_block_start", index=0, content_block={"type": "thinking", "thinking": "", "signature": ""})
        + b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hm\\udc00"}}\n\n'
        + sse_event("content_block_start", index=1, content_block={"type": "text", "text": ""})
        + b'event: content_block_delta\ndata: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"a\\ud800b"}}\n\n'
        + b'event: content_block_delta\ndata: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":" \\uD83D\\uDE42 \\\\ud800"}}\n\n'
    )
    assembler = MessageAssembler(TurnResult(deployment="dep"), started_at=0.0)
    events = [event for start in range(0, len(body), read_size) for event in assembler.feed(body[start : start + read_size])]
    events += assembler.close()
    result = assembler.result
    assert result.text == "a\ufffdb 🙂 \\ud800"  # the escaped backslash before "ud800" is text, kept
    assert result.content[0].thinking == "hm\ufffd"
    assert "".join(event.text for event in events if hasattr(event, "text")) == result.text
    result.text.encode("utf-8")
    assert [warning for warning in result.warnings if "surrogate" in warning] == [
        "the server sent text with lone UTF-16 surrogates; they are shown as �"
    ]
