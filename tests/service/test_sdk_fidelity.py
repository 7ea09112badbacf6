"""Our assembled message equals the official SDK's final message on the same bytes (`ask --json`'s body)."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx2  # the transport package this SDK version is built on
import pytest
from helpers import sse_event

from foundry_tui.service.assembler import MessageAssembler
from foundry_tui.service.messages import TurnResult

USAGE = {
    "input_tokens": 12,
    "output_tokens": 1,
    "cache_creation_input_tokens": 5,
    "cache_read_input_tokens": 3,
    "cache_creation": {"ephemeral_5m_input_tokens": 5, "ephemeral_1h_input_tokens": 0},
    "service_tier": "standard",
}
SIGNATURE = "EqQBCkYIARgCKkCsig=="
CITATION = {
    "type": "char_location", "cited_text": "The sky is blue.", "document_index": 0,
    "document_title": "Facts", "start_char_index": 0, "end_char_index": 16,
}


def block(index: int, start: dict[str, Any], *deltas: dict[str, Any]) -> bytes:
    body = sse_event("content_block_start", index=index, content_block=start)
    body += b"".join(sse_event("content_block_delta", index=index, delta=d) for d in deltas)
    return body + sse_event("content_block_stop", index=index)


def text(index: int, *parts: str) -> bytes:
    return block(index, {"type": "text", "text": ""}, *({"type": "text_delta", "text": p} for p in parts))


def turn(*blocks: bytes, stop_reason: str = "end_turn", delta: dict[str, Any] | None = None,
         end_usage: dict[str, Any] | None = None) -> bytes:
    message = {"id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
               "content": [], "stop_reason": None, "stop_sequence": None, "usage": USAGE}
    body = sse_event("message_start", message=message) + sse_event("ping") + b"".join(blocks)
    end = {"stop_reason": stop_reason, "stop_sequence": None, **(delta or {})}
    body += sse_event("message_delta", delta=end, usage={"output_tokens": 42, **(end_usage or {})})
    return body + sse_event("message_stop")


FIXTURES = {
    "text": turn(text(0, "Hello", ", wörld 🙂")),
    "thinking+signature": turn(
        block(0, {"type": "thinking", "thinking": "", "signature": ""},
              {"type": "thinking_delta", "thinking": "Let me "}, {"type": "thinking_delta", "thinking": "think."},
              {"type": "text_delta", "text": "aimed at the thinking block"},
              {"type": "signature_delta", "signature": SIGNATURE}),
        text(1, "Answer."),
    ),
    "tool_use": turn(
        text(0, "Looking it up."),
        block(1, {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {}},
              {"type": "input_json_delta", "partial_json": ""},
              {"type": "input_json_delta", "partial_json": '{"city": "Par'},
              {"type": "input_json_delta", "partial_json": 'is", "days": [1, 2]}'}),
        stop_reason="tool_use",
    ),
    "server_tool_use": turn(
        block(0, {"type": "server_tool_use", "id": "srvtoolu_01", "name": "web_search", "input": {}},
              {"type": "input_json_delta", "partial_json": '{"query": '},
              {"type": "input_json_delta", "partial_json": '"weather in Paris"}'}),
        block(1, {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_01", "content": [
            {"type": "web_search_result", "url": "https://example.com", "title": "Weather", "encrypted_content": "abc",
             "page_age": None}]}),
        text(2, "It is sunny."),
        end_usage={"server_tool_use": {"web_search_requests": 1, "web_fetch_requests": 0}},
    ),
    "citations": turn(
        block(0, {"type": "text", "text": "", "citations": []},
              {"type": "citations_delta", "citation": CITATION},
              {"type": "text_delta", "text": "The sky is blue."}),
    ),
    "refusal": turn(
        text(0),
        stop_reason="refusal",
        delta={"stop_details": {"type": "refusal", "category": "cyber", "explanation": "Declined."}},
    ),
    "unknown block type": turn(
        block(0, {"type": "hologram", "shape": {"sides": 12}, "label": "new"},
              {"type": "hologram_delta", "turn": 90}),
        text(1, "After the hologram."),
    ),
    "compaction": turn(
        block(0, {"type": "compaction", "content": None},
              {"type": "compaction_delta", "content": "Summary of the earlier talk.", "encrypted_content": "enc=="}),
        text(1, "Carrying on."),
    ),
}


def without_nulls(value: Any) -> Any:
    """The SDK's model has every optional field (None when absent); ours leaves absent fields out."""
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


def sdk_final_message(body: bytes, *, beta: bool) -> dict[str, Any]:
    """What `messages.stream(...).get_final_message()` makes of `body`, served as the response."""
    transport = httpx2.MockTransport(
        lambda request: httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"})
    )
    client = anthropic.Anthropic(api_key="test", base_url="http://sdk.test", http_client=httpx2.Client(transport=transport))
    messages = client.beta.messages if beta else client.messages
    request: dict[str, Any] = {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
    with messages.stream(**request) as stream:  # type: ignore[attr-defined]
        return without_nulls(stream.get_final_message().model_dump(mode="json", warnings=False))


def ours(body: bytes) -> tuple[dict[str, Any], list[str]]:
    assembler = MessageAssembler(TurnResult(deployment="dep"), started_at=0.0)
    assembler.feed(body)
    assembler.close()
    return without_nulls(assembler.result.to_message_dict()), assembler.result.warnings


@pytest.mark.parametrize("name", list(FIXTURES))
def test_assembled_message_equals_the_sdks_final_message(name: str) -> None:
    body = FIXTURES[name]
    message, _ = ours(body)
    # compaction is a beta feature: only the beta stream applies its deltas
    expected = sdk_final_message(body, beta=name == "compaction")
    assert set(message) == set(expected)
    for key in expected:
        assert message[key] == expected[key], key


def test_server_tool_use_input_is_assembled_without_warnings() -> None:
    message, warnings = ours(FIXTURES["server_tool_use"])
    assert message["content"][0]["input"] == {"query": "weather in Paris"}
    assert message["usage"]["server_tool_use"] == {"web_search_requests": 1, "web_fetch_requests": 0}
    assert warnings == []


def test_a_text_delta_aimed_at_a_thinking_block_is_ignored_with_one_warning() -> None:
    message, warnings = ours(FIXTURES["thinking+signature"])
    assert message["content"][0]["thinking"] == "Let me think."
    assert len(warnings) == 1 and "text_delta" in warnings[0]


def test_usage_extras_too_large_are_refused() -> None:
    huge = {"input_tokens": 1, "cache_creation": {"x": "y" * 5000}, "service_tier": "standard"}
    body = sse_event("message_start", message={"id": "m", "model": "c", "usage": huge})
    message, warnings = ours(body)
    assert "cache_creation" not in message["usage"] and message["usage"]["service_tier"] == "standard"
    assert any("cache_creation" in warning for warning in warnings)
