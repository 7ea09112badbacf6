"""The strict emulator: it refuses, with the real API's wording, what the real Messages API refuses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from foundry_tui.emulator.server import EmulatorConfig, EmulatorThread


@pytest.fixture(scope="module")
def sdk() -> Iterator[anthropic.AnthropicFoundry]:
    with EmulatorThread(EmulatorConfig(pace=0)) as emulator:
        yield anthropic.AnthropicFoundry(api_key=emulator.api_key, base_url=emulator.base_url, max_retries=0)


def user(text: Any = "hi") -> dict[str, Any]:
    return {"role": "user", "content": text}


def assistant(text: Any) -> dict[str, Any]:
    return {"role": "assistant", "content": text}


def send(sdk: anthropic.AnthropicFoundry, messages: list[dict[str, Any]], **fields: Any) -> anthropic.types.Message:
    """Streamed: the SDK refuses large non-streaming `max_tokens` before sending anything."""
    request: dict[str, Any] = {"model": "claude-sonnet-4-5", "max_tokens": 2048, **fields}
    with sdk.messages.stream(messages=messages, **request) as stream:  # type: ignore[arg-type]
        return stream.get_final_message()


REFUSED = [
    pytest.param(
        [user(), {"role": "assistant", "content": [{"type": "text", "text": ""}]}, user("again")],
        {},
        "messages.1.content.0.text: text content blocks must be non-empty",
        id="empty-text-block-sent-back-after-a-refusal",
    ),
    pytest.param(
        [user([{"type": "text", "text": "a"}, {"type": "text", "text": ""}])],
        {},
        "messages.0.content.1.text: text content blocks must be non-empty",
        id="empty-text-block-in-a-user-message",
    ),
    pytest.param(
        [user(), assistant(""), user("again")],
        {},
        "messages.1: all messages must have non-empty content except for the optional final assistant message",
        id="empty-assistant-message-mid-conversation",
    ),
    pytest.param(
        [user([])],
        {},
        "messages.0: all messages must have non-empty content except for the optional final assistant message",
        id="empty-user-content",
    ),
    pytest.param(
        [assistant("hello"), user()], {}, 'messages: first message must use the "user" role', id="first-not-user"
    ),
    pytest.param(
        [{"role": "system", "content": "x"}], {}, "messages.0.role: Input should be 'user' or 'assistant'", id="role"
    ),
    pytest.param(
        [user()],
        {"max_tokens": 64_001},
        "max_tokens: 64001 > 64000, which is the maximum allowed number of output tokens for claude-sonnet-4-5",
        id="max-tokens-above-the-model-limit",
    ),
    pytest.param(
        [user()],
        {"model": "claude-opus-4-1", "max_tokens": 32_001},
        "max_tokens: 32001 > 32000, which is the maximum allowed number of output tokens for claude-opus-4-1",
        id="max-tokens-above-opus-4-1-limit",
    ),
    pytest.param(
        [user()],
        {"thinking": {"type": "enabled", "budget_tokens": 1023}},
        "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
        id="thinking-budget-below-1024",
    ),
    pytest.param(
        [user()],
        {"thinking": {"type": "enabled", "budget_tokens": 2048}},
        "`max_tokens` must be greater than `thinking.budget_tokens`",
        id="thinking-budget-not-below-max-tokens",
    ),
    pytest.param(
        [user()],
        {"thinking": {"type": "enabled", "budget_tokens": 1024}, "extra_body": {"temperature": 0.7}},
        "`temperature` may only be set to 1 when thinking is enabled",
        id="temperature-with-thinking",
    ),
]


@pytest.mark.parametrize(("messages", "fields", "wording"), REFUSED)
def test_refuses_what_the_real_api_refuses_with_its_wording(
    sdk: anthropic.AnthropicFoundry, messages: list[dict[str, Any]], fields: dict[str, Any], wording: str
) -> None:
    with pytest.raises(anthropic.BadRequestError) as refused:
        send(sdk, messages, **fields)

    assert refused.value.status_code == 400
    body = refused.value.body
    assert isinstance(body, dict) and body["error"]["type"] == "invalid_request_error"
    assert wording in body["error"]["message"]
    assert refused.value.request_id and refused.value.request_id.startswith("req_")


ACCEPTED = [
    pytest.param([user(), assistant("")], {}, id="empty-final-assistant-message"),
    pytest.param([user(), assistant("The answer is")], {}, id="prefill"),
    pytest.param([user(), user("and another thing")], {}, id="consecutive-user-messages-are-merged"),
    pytest.param([user(), assistant("a"), assistant("b"), user("c")], {}, id="consecutive-assistant-messages"),
    pytest.param([user()], {"max_tokens": 64_000}, id="max-tokens-at-the-limit"),
    pytest.param([user()], {"model": "my-claude-deployment", "max_tokens": 500_000}, id="unknown-model-no-limit"),
    pytest.param(
        [user()],
        {"max_tokens": 2048, "thinking": {"type": "enabled", "budget_tokens": 1024}, "extra_body": {"temperature": 1}},
        id="thinking-t1",
    ),
    pytest.param(
        [user()], {"thinking": {"type": "disabled"}, "extra_body": {"temperature": 0.2}}, id="thinking-disabled"
    ),
]


@pytest.mark.parametrize(("messages", "fields"), ACCEPTED)
def test_accepts_what_the_real_api_accepts(messages: list[dict[str, Any]], fields: dict[str, Any]) -> None:
    deployments = ("claude-sonnet-4-5", "my-claude-deployment")
    with EmulatorThread(EmulatorConfig(pace=0, deployments=deployments)) as emulator:
        sdk = anthropic.AnthropicFoundry(api_key=emulator.api_key, base_url=emulator.base_url, max_retries=0)
        message = send(sdk, messages, **{"max_tokens": 64, **fields})

    assert message.role == "assistant" and message.content
