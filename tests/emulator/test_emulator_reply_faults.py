"""The faults of issue #10, seen through the official SDK where it defines the behaviour."""

from __future__ import annotations

import json
from collections.abc import Iterator

import anthropic
import httpx
import pytest

from foundry_tui.emulator.server import EmulatorConfig, EmulatorThread

PROMPT = "What is the weather in Lisbon today?"


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorThread]:
    with EmulatorThread(EmulatorConfig(pace=0)) as running:
        yield running


@pytest.fixture(scope="module")
def sdk(emulator: EmulatorThread) -> anthropic.AnthropicFoundry:
    return anthropic.AnthropicFoundry(api_key=emulator.api_key, base_url=emulator.base_url, max_retries=0)


def streamed(sdk: anthropic.AnthropicFoundry, fault: str, **fields: object) -> anthropic.types.Message:
    request = {"model": "claude-sonnet-4-5", "max_tokens": 2048, "messages": [{"role": "user", "content": PROMPT}]}
    with sdk.messages.stream(**{**request, **fields}, extra_headers={"x-emulator-fault": fault}) as stream:  # type: ignore[arg-type]
        return stream.get_final_message()


def test_refusal_is_an_empty_text_block_with_stop_details(sdk: anthropic.AnthropicFoundry) -> None:
    final = streamed(sdk, "refusal")
    created = sdk.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=64,
        messages=[{"role": "user", "content": PROMPT}],
        extra_headers={"x-emulator-fault": "refusal"},
    )

    for message in (final, created):
        assert [(block.type, getattr(block, "text", None)) for block in message.content] == [("text", "")]
        assert message.stop_reason == "refusal"
        assert message.stop_details is not None and message.stop_details.type == "refusal"
        assert message.stop_details.category == "cyber"


def test_sending_a_refusal_back_as_received_is_refused_by_the_strict_emulator(sdk: anthropic.AnthropicFoundry) -> None:
    refusal = streamed(sdk, "refusal")
    echoed = [block.to_dict() for block in refusal.content]  # type: ignore[union-attr]
    messages = [
        {"role": "user", "content": PROMPT},
        {"role": "assistant", "content": echoed},
        {"role": "user", "content": "Then tell me about Porto."},
    ]

    with pytest.raises(
        anthropic.BadRequestError, match="messages.1.content.0.text: text content blocks must be non-empty"
    ):
        sdk.messages.create(model="claude-sonnet-4-5", max_tokens=64, messages=messages)  # type: ignore[arg-type]


def test_server_tool_use_input_streams_as_input_json_deltas(sdk: anthropic.AnthropicFoundry) -> None:
    final = streamed(sdk, "server-tool-use", thinking={"type": "enabled", "budget_tokens": 1024})

    assert [block.type for block in final.content] == ["thinking", "server_tool_use", "text"]
    tool = final.content[1]
    assert tool.type == "server_tool_use" and tool.name == "web_search"
    assert tool.input == {"query": PROMPT}
    assert final.stop_reason == "end_turn"


def test_server_tool_use_deltas_are_fragments_starting_with_an_empty_one(emulator: EmulatorThread) -> None:
    body = {
        "model": "claude-haiku-4-5",
        "max_tokens": 256,
        "stream": True,
        "messages": [{"role": "user", "content": PROMPT}],
    }
    headers = {"api-key": emulator.api_key, "anthropic-version": "2023-06-01", "x-emulator-fault": "server-tool-use"}
    response = httpx.post(emulator.base_url + "v1/messages", json=body, headers=headers, timeout=10)
    events = [
        json.loads(line.removeprefix("data: ")) for line in response.text.splitlines() if line.startswith("data: ")
    ]
    fragments = [e["delta"]["partial_json"] for e in events if e["type"] == "content_block_delta" and e["index"] == 0]

    start = next(e for e in events if e["type"] == "content_block_start")
    assert start["content_block"]["input"] == {}
    assert fragments[0] == "" and len(fragments) > 3
    assert json.loads("".join(fragments)) == {"query": PROMPT}


def test_permission_denied_is_azures_401_for_a_principal_without_the_data_action(
    sdk: anthropic.AnthropicFoundry,
) -> None:
    with pytest.raises(anthropic.AuthenticationError) as denied:
        streamed(sdk, "permission-denied")

    assert denied.value.status_code == 401
    assert isinstance(denied.value.body, dict)
    assert denied.value.body["error"]["code"] == "PermissionDenied"
    assert "lacks the required data action" in denied.value.body["error"]["message"]


def test_html_200_is_a_page_not_a_stream(emulator: EmulatorThread, sdk: anthropic.AnthropicFoundry) -> None:
    body = {
        "model": "claude-haiku-4-5",
        "max_tokens": 64,
        "stream": True,
        "messages": [{"role": "user", "content": "hi"}],
    }
    headers = {"api-key": emulator.api_key, "anthropic-version": "2023-06-01", "x-emulator-fault": "html-200"}
    response = httpx.post(emulator.base_url + "v1/messages", json=body, headers=headers, timeout=10)

    assert response.status_code == 200 and response.headers["content-type"] == "text/html"
    assert "<title>Sign in to continue</title>" in response.text
    # What the SDK makes of it: the page as a str instead of a Message, and a bare AssertionError
    # from a stream with no events. A client has to look at the content type itself.
    page = sdk.messages.create(
        model="claude-haiku-4-5", max_tokens=64, messages=[{"role": "user", "content": "hi"}],
        extra_headers={"x-emulator-fault": "html-200"},
    )  # fmt: skip
    assert isinstance(page, str) and "Sign in to continue" in page
    with pytest.raises(AssertionError):
        streamed(sdk, "html-200")


def test_json_200_answers_a_stream_request_with_the_plain_message(emulator: EmulatorThread) -> None:
    body = {
        "model": "claude-haiku-4-5",
        "max_tokens": 64,
        "stream": True,
        "messages": [{"role": "user", "content": "hi"}],
    }
    headers = {"api-key": emulator.api_key, "anthropic-version": "2023-06-01", "x-emulator-fault": "json-200"}
    response = httpx.post(emulator.base_url + "v1/messages", json=body, headers=headers, timeout=10)

    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    message = anthropic.types.Message.model_validate(response.json())
    assert message.content[0].type == "text" and message.content[0].text
