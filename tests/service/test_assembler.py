"""SSE events → typed events and one assembled TurnResult."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from helpers import sse_event, text_turn

from foundry_tui.service import assembler as assembler_module
from foundry_tui.service.assembler import MessageAssembler
from foundry_tui.service.errors import OverloadedError, StreamError
from foundry_tui.service.events import BlockStarted, BlockStopped, TextDelta, ThinkingDelta, UsageUpdated
from foundry_tui.service.messages import OtherBlock, TextBlock, ThinkingBlock, ToolUseBlock, TurnResult


def start(index: int, **block: Any) -> bytes:
    return sse_event("content_block_start", index=index, content_block=block)


def delta(index: int, **fields: Any) -> bytes:
    return sse_event("content_block_delta", index=index, delta=fields)


def stop(index: int) -> bytes:
    return sse_event("content_block_stop", index=index)


def text_block(index: int, *parts: str) -> bytes:
    deltas = b"".join(delta(index, type="text_delta", text=p) for p in parts)
    return start(index, type="text", text="") + deltas + stop(index)


def tool_block(index: int, *fragments: str, name: str = "lookup") -> bytes:
    body = start(index, type="tool_use", id="toolu_9", name=name, input={})
    return body + b"".join(delta(index, type="input_json_delta", partial_json=f) for f in fragments) + stop(index)


def run(*pieces: bytes, close: bool = True) -> tuple[list[Any], MessageAssembler]:
    assembler = MessageAssembler(TurnResult(deployment="dep"), started_at=0.0)
    events = list(assembler.feed(b"".join(pieces)))
    if close:
        events += list(assembler.close())
    return events, assembler


def result_of(*pieces: bytes) -> TurnResult:
    return run(*pieces)[1].result


def test_text_is_joined_and_events_come_in_order() -> None:
    events, assembler = run(text_block(0, "Hel", "lo", " wörld 🙂"))
    block = assembler.result.content[0]
    assert events == [BlockStarted(0, "text"), TextDelta(0, "Hello wörld 🙂"), BlockStopped(0, block)]
    assert block == TextBlock(text="Hello wörld 🙂")
    assert assembler.result.text == "Hello wörld 🙂"


def test_a_read_of_many_text_deltas_yields_one_text_delta_per_run() -> None:
    parts = [f"w{n} " for n in range(500)]
    assembler = MessageAssembler(TurnResult(deployment="dep"), started_at=0.0)
    assert assembler.feed(start(0, type="text", text="")) == [BlockStarted(0, "text")]
    assert assembler.feed(b"".join(delta(0, type="text_delta", text=p) for p in parts)) == [TextDelta(0, "".join(parts))]
    assert assembler.feed(b"".join(delta(0, type="text_delta", text=p) for p in "abc")) == [TextDelta(0, "abc")]  # per read


def test_a_run_of_text_deltas_ends_at_any_other_event_in_order() -> None:
    events, assembler = run(
        start(0, type="thinking", thinking="", signature=""),
        start(1, type="text", text=""),
        delta(1, type="text_delta", text="a"),
        delta(1, type="text_delta", text="b"),
        delta(0, type="thinking_delta", thinking="hmm"),
        delta(1, type="text_delta", text="c"),
        delta(1, type="citations_delta", citation={"type": "char_location"}),  # yields nothing: the run goes on
        delta(1, type="text_delta", text="d"),
        start(2, type="text", text=""),
        delta(2, type="text_delta", text="e"),
        delta(1, type="text_delta", text="f"),  # another block's delta: a run of its own
        delta(2, type="text_delta", text="g"),
        sse_event("message_delta", delta={}, usage={"output_tokens": 5}),
        delta(2, type="text_delta", text="h"),
        stop(2),
        stop(1),
        stop(0),
        close=False,
    )
    texts = [(type(e).__name__, getattr(e, "index", None), getattr(e, "text", getattr(e, "thinking", None))) for e in events]
    assert texts == [
        ("BlockStarted", 0, None), ("BlockStarted", 1, None),
        ("TextDelta", 1, "ab"), ("ThinkingDelta", 0, "hmm"), ("TextDelta", 1, "cd"), ("BlockStarted", 2, None),
        ("TextDelta", 2, "e"), ("TextDelta", 1, "f"), ("TextDelta", 2, "g"), ("UsageUpdated", None, None),
        ("TextDelta", 2, "h"), ("BlockStopped", 2, None), ("BlockStopped", 1, None), ("BlockStopped", 0, None),
    ]  # fmt: skip
    assert [block.text for block in assembler.result.content[1:]] == ["abcdf", "egh"]


def test_text_of_several_blocks_is_joined_in_order() -> None:
    assert result_of(text_block(0, "a", "b"), tool_block(1, '{"q": 1}'), text_block(2, "c")).text == "abc"


def test_thinking_with_signature_replaced_not_appended() -> None:
    events, assembler = run(
        start(0, type="thinking", thinking="", signature="initial"),
        delta(0, type="thinking_delta", thinking="Hmm, "),
        delta(0, type="signature_delta", signature="sig-A"),
        delta(0, type="thinking_delta", thinking="yes."),
        delta(0, type="signature_delta", signature="sig-B"),
        stop(0),
    )
    assert [e for e in events if isinstance(e, ThinkingDelta)] == [ThinkingDelta(0, "Hmm, "), ThinkingDelta(0, "yes.")]
    assert assembler.result.content == [ThinkingBlock(thinking="Hmm, yes.", signature="sig-B")]
    assert assembler.result.text == ""


@pytest.mark.parametrize(
    ("fragments", "expected"),
    [
        (["", '{"city": "Par', 'is", "n": [1, ', "2]}"], {"city": "Paris", "n": [1, 2]}),
        ([], {}),  # no delta: the input of content_block_start stays
        ([""], {}),  # only the empty first fragment
    ],
)
def test_tool_use_input_parsed_from_partial_json(fragments: list[str], expected: Any) -> None:
    [block] = result_of(tool_block(0, *fragments)).content
    assert block == ToolUseBlock(id="toolu_9", name="lookup", input=expected)


def test_tool_use_with_invalid_json_keeps_the_raw_text_and_warns() -> None:
    result = result_of(tool_block(0, '{"city": ', name="weather"))
    assert result.content[0].input == '{"city": '
    assert result.warnings == ["tool_use 'weather' input is not valid JSON"]


def test_citations_are_appended() -> None:
    first, second = {"type": "char_location", "cited_text": "a"}, {"type": "page_location", "cited_text": "b"}
    result = result_of(
        start(0, type="text", text=""),
        delta(0, type="text_delta", text="Claim."),
        delta(0, type="citations_delta", citation=first),
        delta(0, type="citations_delta", citation=second),
        stop(0),
    )
    assert result.content == [TextBlock(text="Claim.", citations=[first, second])]
    assert result.to_message_dict()["content"] == [{"type": "text", "text": "Claim.", "citations": [first, second]}]


def test_unknown_events_deltas_and_ping_are_ignored_silently() -> None:
    events, assembler = run(
        sse_event("ping"),
        sse_event("some_future_event", payload={"x": 1}),
        start(0, type="text", text=""),
        delta(0, type="text_delta", text="ok"),
        delta(0, type="some_future_delta", stuff=[1, 2]),
        stop(0),
        sse_event("message_stop"),
    )
    assert [type(e) for e in events] == [BlockStarted, TextDelta, BlockStopped]
    assert assembler.result.text == "ok"
    assert assembler.result.warnings == []
    assert assembler.finished


def test_unknown_block_types_are_kept_as_sent() -> None:
    raw = {"type": "redacted_thinking", "data": "EmwKAhgB"}
    events, assembler = run(start(0, **raw), stop(0), text_block(1, "hi"))
    assert events[0] == BlockStarted(0, "redacted_thinking")
    assert events[1] == BlockStopped(0, OtherBlock(raw))
    assert assembler.result.to_message_dict()["content"] == [raw, {"type": "text", "text": "hi"}]


@pytest.mark.parametrize(
    "bad",
    [
        b"event: content_block_delta\ndata: {not json\n\n",
        b"data: [1, 2]\n\n",  # JSON, but not an object
        b"data:\n\n",
        delta(5, type="text_delta", text="to a block never opened"),
        delta(0, type="text_delta"),  # no "text"
        sse_event("content_block_delta", index=0),  # no "delta"
    ],
)
def test_malformed_data_line_is_skipped_with_a_warning(bad: bytes) -> None:
    after = delta(0, type="text_delta", text=" after")
    result = result_of(text_turn("before", stop=False), bad, after, stop(0), sse_event("message_stop"))
    assert result.text == "before after"
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("skipped a malformed")


def test_trailing_spaces_after_the_json() -> None:
    result = result_of(b'event: message_start\ndata: {"type": "message_start", "message": {"id": "m"}}   \n\n')
    assert result.message_id == "m" and result.warnings == []


def test_event_name_is_used_when_the_payload_has_no_type() -> None:
    result = result_of(b'event: message_delta\ndata: {"delta": {"stop_reason": "max_tokens"}}\n\n')
    assert result.stop_reason == "max_tokens"


def test_usage_is_cumulative_and_only_present_fields_overwrite() -> None:
    usage_events: list[dict[str, Any]] = []
    assembler = MessageAssembler(TurnResult(deployment="dep"), started_at=0.0)
    pieces = [
        sse_event("message_start", message={"id": "m", "model": "claude-x", "usage": {
            "input_tokens": 100, "output_tokens": 1, "cache_creation_input_tokens": 20, "cache_read_input_tokens": 30}}),
        sse_event("message_delta", delta={}, usage={"output_tokens": 15}),
        sse_event("message_delta", delta={}, usage={"input_tokens": None, "output_tokens": 40, "service_tier": "standard"}),
        sse_event("message_delta", delta={}, usage={"cache_read_input_tokens": None}),
    ]
    for piece in pieces:
        for event in assembler.feed(piece):
            assert isinstance(event, UsageUpdated)
            usage_events.append(event.usage.to_dict())
    assert [u["output_tokens"] for u in usage_events] == [1, 15, 40, 40]
    assert usage_events[-1] == {
        "input_tokens": 100, "output_tokens": 40, "cache_creation_input_tokens": 20, "cache_read_input_tokens": 30,
        "service_tier": "standard",
    }


def test_message_fields_stop_reason_and_stop_sequence() -> None:
    result = result_of(
        sse_event("message_start", message={"id": "msg_7", "model": "claude-opus", "usage": {}}),
        sse_event("message_delta", delta={"stop_reason": "stop_sequence", "stop_sequence": "END"}),
        sse_event("message_delta", delta={}),  # absent fields keep what was said before
    )
    assert (result.message_id, result.model) == ("msg_7", "claude-opus")
    assert (result.stop_reason, result.stop_sequence) == ("stop_sequence", "END")
    assert result.to_message_dict()["model"] == "claude-opus"


def test_error_event_sets_stream_error_and_keeps_partial_content() -> None:
    assembler = MessageAssembler(TurnResult(deployment="dep", request_id="req_1", apim_request_id="apim_1"), started_at=0.0)
    list(assembler.feed(text_turn("Partial ", "answer", stop=False) + start(1, type="tool_use", id="t", name="n", input={})))
    assert assembler.feed(sse_event("error", error={"type": "overloaded_error", "message": "Overloaded"})) == []
    error = assembler.error
    assert isinstance(error, StreamError)
    assert error.code == "overloaded_error"
    assert error.hint == OverloadedError.default_hint
    assert "Overloaded" in error.message and "\n" not in error.message
    assert (error.request_id, error.apim_request_id) == ("req_1", "apim_1")
    result = assembler.result
    assert result.text == "Partial answer"  # the open text block was closed and joined
    assert result.content[0] == TextBlock(text="Partial answer")
    assert result.content[1].input == {}
    assert result.timings.total is not None
    assert not assembler.finished


def test_error_event_of_another_type_has_the_generic_hint() -> None:
    _, assembler = run(sse_event("error", error={"type": "api_error", "message": "Internal"}))
    assert assembler.error.hint == StreamError.default_hint
    assert assembler.error.message == "Internal (api_error)"


def test_text_before_an_error_in_the_same_read_is_delivered_and_nothing_after() -> None:
    error = sse_event("error", error={"type": "overloaded_error", "message": "Overloaded"})
    events, assembler = run(text_turn("kept ", "text", stop=False) + error + delta(0, type="text_delta", text="lost"))
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "kept text"
    assert isinstance(assembler.error, StreamError) and assembler.result.text == "kept text"


def test_close_delivers_a_last_unterminated_event_and_closes_open_blocks() -> None:
    events, assembler = run(text_turn("cut", stop=False) + b'event: message_stop\ndata: {"type": "message_stop"}')
    assert assembler.finished
    assert assembler.result.content == [TextBlock(text="cut")]
    assert not any(isinstance(e, BlockStopped) for e in events)  # closed for keeping, not announced


def test_not_finished_without_message_stop() -> None:
    _, assembler = run(text_turn("a", stop=False))
    assert not assembler.finished
    assert assembler.result.text == "a"


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """perf_counter as seen by the assembler: 10.0, 11.0, 12.0, … one step a call."""
    ticks = itertools.count(10.0)
    monkeypatch.setattr(assembler_module, "_clock", lambda: next(ticks))


@pytest.mark.usefixtures("fake_clock")
def test_first_token_time_is_the_first_text_or_thinking_delta() -> None:
    assembler = MessageAssembler(TurnResult(deployment="dep"), started_at=9.5)
    list(assembler.feed(sse_event("message_start", message={"id": "m"}) + start(0, type="text", text="")))
    assert assembler.result.timings.first_token is None  # no content yet
    list(assembler.feed(delta(0, type="text_delta", text="a") + delta(0, type="text_delta", text="b")))
    list(assembler.close())
    assert assembler.result.timings.first_token == 0.5  # 10.0 - 9.5, set once
    assert assembler.result.timings.total == 1.5


@pytest.mark.usefixtures("fake_clock")
def test_thinking_counts_as_first_token() -> None:
    assembler = MessageAssembler(TurnResult(deployment="dep"), started_at=10.0)
    list(assembler.feed(start(0, type="thinking", thinking="") + delta(0, type="thinking_delta", thinking="x")))
    assert assembler.result.timings.first_token == 0.0


@pytest.mark.usefixtures("fake_clock")
def test_a_skipped_delta_does_not_set_the_first_token_time() -> None:
    assembler = MessageAssembler(TurnResult(deployment="dep"), started_at=10.0)
    list(assembler.feed(delta(3, type="text_delta", text="to an unopened block")))
    assert assembler.result.timings.first_token is None
    assert len(assembler.result.warnings) == 1
