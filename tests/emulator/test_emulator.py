"""The Foundry emulator, exercised over real loopback sockets (and through the official SDK)."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx
import pytest

from foundry_tui.emulator import faults
from foundry_tui.emulator.faults import FAULT_NAMES
from foundry_tui.emulator.replies import compose_reply, split_into_deltas
from foundry_tui.emulator.server import DEFAULT_DEPLOYMENTS, Emulator, EmulatorConfig, EmulatorThread

VERSION = {"anthropic-version": "2023-06-01"}
KEY_DENIED_MESSAGE = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an active subscription and use a correct regional API endpoint for your resource."
)


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(EmulatorConfig(pace=0)) as emulator:
        yield emulator


def client_for(emulator: Emulator) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=emulator.base_url, headers={"api-key": emulator.api_key, **VERSION}, timeout=10)


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(emu) as http:
        yield http


def message_body(prompt: str = "Explain Python decorators", **fields: Any) -> dict[str, Any]:
    messages = [{"role": "user", "content": prompt}]
    return {"model": "claude-sonnet-4-5", "max_tokens": 4096, "messages": messages, **fields}


def parse_sse(raw: str) -> list[tuple[str, dict[str, Any]]]:
    """Strict: every event is exactly an `event:` line and a JSON `data:` line."""
    events = []
    for block in raw.split("\n\n"):
        if block:
            event_line, data_line = block.split("\n")
            assert event_line.startswith("event: ") and data_line.startswith("data: ")
            events.append((event_line.removeprefix("event: "), json.loads(data_line.removeprefix("data: "))))
    return events


def text_of(events: list[tuple[str, dict[str, Any]]], delta_type: str = "text_delta") -> str:
    return "".join(
        data["delta"][delta_type.removesuffix("_delta")]
        for name, data in events
        if name == "content_block_delta" and data["delta"]["type"] == delta_type
    )


async def stream(
    client: httpx.AsyncClient, body: dict[str, Any] | None = None, **headers: str
) -> tuple[httpx.Response, list[tuple[str, dict[str, Any]]]]:
    response = await client.post("v1/messages", json={**(body or message_body()), "stream": True}, headers=headers)
    return response, parse_sse(response.text)


# --- the streaming and non-streaming protocol ---


async def test_stream_follows_the_messages_event_order(client: httpx.AsyncClient) -> None:
    response, events = await stream(client)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["transfer-encoding"] == "chunked"
    names = [name for name, _ in events]
    deltas = names.count("content_block_delta")
    assert names == [
        "message_start", "ping", "content_block_start", *["content_block_delta"] * deltas,
        "content_block_stop", "message_delta", "message_stop",
    ]  # fmt: skip
    assert all(data["type"] == name for name, data in events)
    message = events[0][1]["message"]
    assert message["id"].startswith("msg_") and message["model"] == "claude-sonnet-4-5"
    assert (message["role"], message["content"], message["stop_reason"]) == ("assistant", [], None)
    assert message["usage"]["output_tokens"] == 1
    assert events[2][1]["content_block"] == {"type": "text", "text": ""}
    assert events[-2][1] == {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
        "usage": {"output_tokens": deltas},
    }
    assert len(text_of(events)) > 200


async def test_usage_reflects_the_prompt_size(client: httpx.AsyncClient) -> None:
    prompt = "Tell me about caching strategies. " * 40
    _, events = await stream(client, message_body(prompt, system="Be brief."))

    usage = events[0][1]["message"]["usage"]
    assert usage["input_tokens"] == len("Be brief.\n" + prompt) // 4
    assert (usage["cache_creation_input_tokens"], usage["cache_read_input_tokens"]) == (0, 0)


async def test_non_streaming_returns_the_message_the_stream_would_build(client: httpx.AsyncClient) -> None:
    response = await client.post("v1/messages", json=message_body())
    _, events = await stream(client)

    assert response.headers["content-type"] == "application/json"
    message = response.json()
    assert message["type"] == "message" and message["model"] == "claude-sonnet-4-5"
    assert message["content"] == [{"type": "text", "text": text_of(events)}]
    assert message["stop_reason"] == "end_turn" and message["stop_sequence"] is None
    assert message["usage"]["output_tokens"] == events[-2][1]["usage"]["output_tokens"]


async def test_a_marked_system_prompt_is_written_then_read_from_the_cache(client: httpx.AsyncClient) -> None:
    system = [{"type": "text", "text": "You are a meticulous reviewer. " * 200, "cache_control": {"type": "ephemeral"}}]
    first, second = [
        (await client.post("v1/messages", json=message_body(system=system))).json()["usage"] for _ in range(2)
    ]

    cached = (len(system[0]["text"]) + 1) // 4
    assert (first["cache_creation_input_tokens"], first["cache_read_input_tokens"]) == (cached, 0)
    assert (second["cache_creation_input_tokens"], second["cache_read_input_tokens"]) == (0, cached)
    assert second["input_tokens"] + cached == first["input_tokens"] + cached


async def test_an_unmarked_prompt_is_never_cached(client: httpx.AsyncClient) -> None:
    system = "You are a meticulous reviewer. " * 200
    for _ in range(2):
        usage = (await client.post("v1/messages", json=message_body(system=system))).json()["usage"]
        assert (usage["cache_creation_input_tokens"], usage["cache_read_input_tokens"]) == (0, 0)


async def test_more_than_four_breakpoints_are_refused_as_the_api_does(client: httpx.AsyncClient) -> None:
    marked = {"type": "text", "text": "part", "cache_control": {"type": "ephemeral"}}
    response = await client.post("v1/messages", json=message_body(system=[marked] * 5))

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "A maximum of 4 blocks with cache_control may be provided. Found 5."


async def test_thinking_comes_first_with_a_signature(client: httpx.AsyncClient) -> None:
    body = message_body(thinking={"type": "enabled", "budget_tokens": 2048})
    _, events = await stream(client, body)
    message = (await client.post("v1/messages", json=body)).json()

    starts = [data for name, data in events if name == "content_block_start"]
    assert [(s["index"], s["content_block"]) for s in starts] == [
        (0, {"type": "thinking", "thinking": "", "signature": ""}),
        (1, {"type": "text", "text": ""}),
    ]
    thinking_block = [data for name, data in events if data.get("index") == 0]
    assert thinking_block[-2]["delta"]["type"] == "signature_delta"
    assert thinking_block[-1]["type"] == "content_block_stop"
    thinking = text_of(events, "thinking_delta")
    assert thinking.startswith("The user is asking about")
    assert [block["type"] for block in message["content"]] == ["thinking", "text"]
    assert message["content"][0]["thinking"] == thinking
    assert message["content"][0]["signature"] == thinking_block[-2]["delta"]["signature"]
    assert events[-2][1]["usage"]["output_tokens"] == len(split_into_deltas(thinking + text_of(events)))


async def test_max_tokens_cuts_the_reply(client: httpx.AsyncClient) -> None:
    _, events = await stream(client, message_body(max_tokens=10))

    assert sum(name == "content_block_delta" for name, _ in events) == 10
    assert events[-2][1]["delta"]["stop_reason"] == "max_tokens"
    assert events[-2][1]["usage"]["output_tokens"] == 10


async def test_stop_sequence_cuts_the_reply_where_it_appears(client: httpx.AsyncClient) -> None:
    full = (await client.post("v1/messages", json=message_body())).json()["content"][0]["text"]
    stop = full[len(full) // 2 : len(full) // 2 + 12]

    message = (await client.post("v1/messages", json=message_body(stop_sequences=["never appears", stop]))).json()

    assert message["content"][0]["text"] == full[: full.index(stop)]
    assert (message["stop_reason"], message["stop_sequence"]) == ("stop_sequence", stop)


async def test_reply_tokens_header_sizes_a_mixed_markdown_document(client: httpx.AsyncClient) -> None:
    _, events = await stream(client, **{"x-emulator-reply-tokens": "2000"})

    deltas = sum(name == "content_block_delta" for name, _ in events)
    assert 1900 <= deltas <= 2100
    text = text_of(events)
    assert re.search(r"^```(python|bash|json)\n.*?\n```$", text, re.M | re.S)
    assert re.search(r"^\|---\|", text, re.M)
    assert re.search(r"^(- |1\. )", text, re.M)
    assert re.search(r"^#{2,3} ", text, re.M)
    assert any(ord(char) > 127 for char in text)


async def test_twenty_thousand_deltas_stream_in_well_under_a_second(client: httpx.AsyncClient) -> None:
    started = time.perf_counter()
    _, events = await stream(client, message_body(max_tokens=64000), **{"x-emulator-reply-tokens": "20000"})
    elapsed = time.perf_counter() - started

    assert 19_500 <= events[-2][1]["usage"]["output_tokens"] <= 20_500
    assert sum(name == "ping" for name, _ in events) >= 20  # a ping now and then, as on long real streams
    assert elapsed < 1.0


async def test_pace_header_sets_the_delta_rate(client: httpx.AsyncClient) -> None:
    arrivals = []
    started = time.perf_counter()
    headers = {"x-emulator-reply-tokens": "200", "x-emulator-pace": "1000"}
    body = message_body(max_tokens=200, stream=True)
    async with client.stream("POST", "v1/messages", json=body, headers=headers) as r:
        async for line in r.aiter_lines():
            if '"text_delta"' in line:
                arrivals.append(time.perf_counter() - started)

    assert len(arrivals) == 200
    assert 0.15 <= arrivals[-1] <= 0.45
    assert 0.06 <= arrivals[99] <= 0.25  # steady, not bursty


async def test_server_pace_applies_to_non_streaming_replies_too() -> None:
    async with Emulator(EmulatorConfig(pace=500)) as emulator:
        async with client_for(emulator) as http:
            started = time.perf_counter()
            response = await http.post("v1/messages", json=message_body(max_tokens=100))

    assert response.json()["usage"]["output_tokens"] == 100
    assert 0.18 <= time.perf_counter() - started <= 0.5


# --- replies ---


def test_replies_are_deterministic_and_vary_with_the_prompt() -> None:
    replies = {prompt: compose_reply(prompt, prompt) for prompt in ("How do I sort a dict?", "What is a monad?")}

    assert compose_reply("How do I sort a dict?", "How do I sort a dict?") == replies["How do I sort a dict?"]
    assert replies["How do I sort a dict?"] != replies["What is a monad?"]
    assert "sort a dict" in replies["How do I sort a dict?"]


@pytest.mark.parametrize("prompt", ["hi", "Hello!", "hey there", "thanks a lot"])
def test_small_talk_gets_a_sentence_or_two(prompt: str) -> None:
    reply = compose_reply(prompt, prompt)

    assert len(split_into_deltas(reply)) < 40 and "\n" not in reply


@pytest.mark.parametrize(
    ("prompt", "construct"),
    [
        ("Show me some code for parsing CSV", r"^```python\n"),
        ("Write a bash script to rotate logs", r"^```bash\n"),
        ("Make a table comparing Rust and Go", r"^\| Approach \| Best for"),
        ("Give me a list of tips for code review", r"^- "),
    ],
)
def test_keywords_favour_matching_content(prompt: str, construct: str) -> None:
    assert re.search(construct, compose_reply(prompt, prompt), re.M)


def test_deltas_are_token_sized_and_rejoin_exactly() -> None:
    text = compose_reply("benchmark", "benchmark", 3000)
    deltas = split_into_deltas(text)

    assert "".join(deltas) == text
    assert max(map(len, deltas)) <= 7  # a blank plus six letters
    assert sum(len(delta) for delta in deltas) / len(deltas) < 5
    assert {"é", "—", "→"} <= set(text)


# --- auth, ids and error bodies ---


@pytest.mark.parametrize("scheme", ["api-key", "x-api-key", "bearer"])
async def test_accepts_the_key_in_any_foundry_auth_header(emu: Emulator, scheme: str) -> None:
    auth = {"authorization": f"Bearer {emu.api_key}"} if scheme == "bearer" else {scheme: emu.api_key}
    async with httpx.AsyncClient(base_url=emu.base_url) as http:
        response = await http.post("v1/messages", json=message_body(), headers={**auth, **VERSION})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("auth", "body"),
    [
        ({}, {"error": {"code": "401", "message": KEY_DENIED_MESSAGE}}),
        ({"api-key": "wrong"}, {"error": {"code": "401", "message": KEY_DENIED_MESSAGE}}),
        ({"x-api-key": "wrong"}, {"error": {"code": "401", "message": KEY_DENIED_MESSAGE}}),
        (
            {"authorization": "Bearer wrong"},
            {
                "statusCode": 401,
                "message": "Unauthorized. Access token is missing, invalid, audience is incorrect "
                "(https://cognitiveservices.azure.com), or have expired.",
            },
        ),
    ],
)
async def test_rejects_missing_or_wrong_credentials_like_the_gateway(
    emu: Emulator, auth: dict[str, str], body: dict[str, Any]
) -> None:
    async with httpx.AsyncClient(base_url=emu.base_url) as http:
        response = await http.post("v1/messages", json=message_body(), headers={**auth, **VERSION})

    assert (response.status_code, response.json()) == (401, body)


@pytest.mark.parametrize(
    ("method", "path", "fault"),
    [
        ("POST", "v1/messages", None),
        ("POST", "v1/messages", "429"),
        ("POST", "v1/messages", "html-502"),
        ("GET", "v1/models", None),
        ("GET", "v1/nowhere", None),
    ],
)
async def test_every_response_carries_request_ids(
    client: httpx.AsyncClient, method: str, path: str, fault: str | None
) -> None:
    headers = {"x-emulator-fault": fault} if fault else {}
    response = await client.request(method, path, json=message_body(stream=True), headers=headers)

    assert re.fullmatch(r"req_[A-Za-z0-9]{24}", response.headers["request-id"])
    assert uuid.UUID(response.headers["apim-request-id"]).version == 4
    assert not any(name.startswith("anthropic-ratelimit") for name in response.headers)


async def test_request_ids_are_unique(client: httpx.AsyncClient) -> None:
    responses = [await client.get("v1/models") for _ in range(3)]

    assert len({response.headers["request-id"] for response in responses}) == 3


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "v1/models"),
        ("GET", "v1/models/claude-opus-4-5"),
        ("POST", "v1/messages/batches"),
        ("GET", "v1/messages/batches/b1"),
    ],
)
async def test_models_and_batches_are_not_supported_on_foundry(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path)

    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "api_not_supported", "message": "Requested API is currently not supported"}
    }


@pytest.mark.parametrize("path", ["v1/complete", "v2/messages", "/openai/v1/chat/completions", "/"])
async def test_unknown_paths_get_the_gateway_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.post(path, json={})

    assert (response.status_code, response.json()) == (404, {"statusCode": 404, "message": "Resource not found"})


async def test_unknown_deployment_is_a_deployment_not_found(client: httpx.AsyncClient) -> None:
    response = await client.post("v1/messages", json=message_body(model="gpt-4o"))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "DeploymentNotFound"
    assert response.json()["error"]["type"] == "invalid_request_error"


async def test_deployments_are_configurable() -> None:
    async with Emulator(EmulatorConfig(pace=0, deployments=("my-claude",))) as emulator:
        async with client_for(emulator) as http:
            custom = await http.post("v1/messages", json=message_body(model="my-claude"))
            default = await http.post("v1/messages", json=message_body(model=DEFAULT_DEPLOYMENTS[0]))

    assert (custom.status_code, default.status_code) == (200, 404)
    assert custom.json()["model"] == "my-claude"


@pytest.mark.parametrize(
    ("content", "headers", "message"),
    [
        (json.dumps(message_body()), {"anthropic-version": ""}, "anthropic-version: header is required"),
        ("{not json", {}, "Request body is not valid JSON"),
        (json.dumps(message_body(max_tokens=None)), {}, "max_tokens: Input should be a valid int"),
        (json.dumps({k: v for k, v in message_body().items() if k != "max_tokens"}), {}, "max_tokens: Field required"),
        (json.dumps({k: v for k, v in message_body().items() if k != "messages"}), {}, "messages: Field required"),
        (json.dumps(message_body()), {"x-emulator-fault": "meteor-strike"}, "unknown fault 'meteor-strike'"),
        (json.dumps(message_body()), {"x-emulator-pace": "fast"}, "x-emulator-pace: expected a number"),
    ],
)
async def test_invalid_requests_get_anthropic_shaped_400s(
    emu: Emulator, content: str, headers: dict[str, str], message: str
) -> None:
    sent = {"api-key": emu.api_key, **VERSION, **headers}
    async with httpx.AsyncClient(base_url=emu.base_url) as http:
        response = await http.post("v1/messages", content=content, headers={k: v for k, v in sent.items() if v})

    body = response.json()
    assert response.status_code == 400
    assert (body["type"], body["error"]["type"]) == ("error", "invalid_request_error")
    assert message in body["error"]["message"]
    assert body["request_id"] == response.headers["request-id"]


async def test_oversized_bodies_get_413_without_being_read(emu: Emulator) -> None:
    port = int(emu.base_url.split(":")[2].split("/")[0])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /anthropic/v1/messages HTTP/1.1\r\nhost: x\r\ncontent-length: 40000000\r\n\r\n")
    response = await reader.read()
    writer.close()

    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ")
    assert re.search(rb"\r\nrequest-id: req_\w{24}\r\n", head)
    assert json.loads(body)["error"]["type"] == "request_too_large"


# --- faults ---


@pytest.mark.parametrize(
    ("fault", "status", "error_type"),
    [("429", 429, "rate_limit_error"), ("529", 529, "overloaded_error"), ("500", 500, "api_error")],
)
@pytest.mark.parametrize("selected_by", ["deployment", "header"])
async def test_error_faults_answer_with_anthropic_errors(
    client: httpx.AsyncClient, fault: str, status: int, error_type: str, selected_by: str
) -> None:
    if selected_by == "deployment":
        response = await client.post("v1/messages", json=message_body(model=f"fault-{fault}"))
    else:
        response = await client.post("v1/messages", json=message_body(), headers={"x-emulator-fault": fault})

    assert response.status_code == status
    assert response.json()["type"] == "error" and response.json()["error"]["type"] == error_type


async def test_rate_limit_fault_advertises_when_to_retry(client: httpx.AsyncClient) -> None:
    default = await client.post("v1/messages", json=message_body(model="fault-429"))
    custom = await client.post(
        "v1/messages", json=message_body(model="fault-429"), headers={"x-emulator-retry-after-ms": "50"}
    )

    assert (default.headers["retry-after"], default.headers["retry-after-ms"]) == ("1", "1000")
    assert (custom.headers["retry-after"], custom.headers["retry-after-ms"]) == ("1", "50")


async def test_html_502_fault_answers_with_a_gateway_page(client: httpx.AsyncClient) -> None:
    response = await client.post("v1/messages", json=message_body(model="fault-html-502", stream=True))

    assert response.status_code == 502
    assert response.headers["content-type"] == "text/html"
    assert "<title>502 Bad Gateway</title>" in response.text


async def test_unknown_deployment_fault(client: httpx.AsyncClient) -> None:
    response = await client.post("v1/messages", json=message_body(), headers={"x-emulator-fault": "unknown-deployment"})

    assert (response.status_code, response.json()["error"]["code"]) == (404, "DeploymentNotFound")


async def test_stream_error_fault_ends_the_stream_with_an_error_event(client: httpx.AsyncClient) -> None:
    response, events = await stream(client, message_body(model="fault-stream-error"))
    non_streaming = await client.post("v1/messages", json=message_body(model="fault-stream-error"))

    assert response.status_code == 200
    assert [name for name, _ in events[:3]] == ["message_start", "ping", "content_block_start"]
    assert sum(name == "content_block_delta" for name, _ in events) == 20
    assert events[-1] == ("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    assert non_streaming.status_code == 529
    assert (await client.post("v1/messages", json=message_body())).status_code == 200  # connection still usable


async def test_drop_fault_cuts_the_connection_mid_stream(client: httpx.AsyncClient) -> None:
    received = []
    with pytest.raises(httpx.RemoteProtocolError):
        async with client.stream("POST", "v1/messages", json=message_body(model="fault-drop", stream=True)) as r:
            async for line in r.aiter_lines():
                received.append(line)

    assert any('"text_delta"' in line for line in received)
    assert not any("message_stop" in line for line in received)
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post("v1/messages", json=message_body(model="fault-drop"))
    assert (await client.post("v1/messages", json=message_body())).status_code == 200


async def test_hostile_fault_adds_a_delta_of_escape_sequences(client: httpx.AsyncClient) -> None:
    response = await client.post("v1/messages", json=message_body(model="fault-hostile", stream=True))

    events = [json.loads(line.removeprefix("data: ")) for line in response.text.split("\n") if line.startswith("data: ")]
    texts = [event["delta"]["text"] for event in events if event["type"] == "content_block_delta"]
    assert texts[1] == faults.HOSTILE_TEXT and len(texts) > 2
    assert events[-1] == {"type": "message_stop"}


async def test_malformed_fault_adds_junk_a_tolerant_client_can_skip(client: httpx.AsyncClient) -> None:
    _, clean = await stream(client)
    headers = {"x-emulator-fault": "malformed"}
    response = await client.post("v1/messages", json=message_body(stream=True), headers=headers)

    lines = response.text.split("\n")
    assert ": keep-alive" in lines
    assert any(line.startswith("data: {") and line.endswith("}   ") for line in lines)
    parsed, broken = [], 0
    for data in [line.removeprefix("data: ") for line in lines if line.startswith("data: ")]:
        try:
            parsed.append(json.loads(data))
        except ValueError:
            broken += 1
    assert broken == 2
    assert parsed[-1] == {"type": "message_stop"}
    recovered = [("content_block_delta", data) for data in parsed if data["type"] == "content_block_delta"]
    assert text_of(recovered) == text_of(clean)


async def test_crlf_fault_uses_crlf_line_endings(client: httpx.AsyncClient) -> None:
    _, clean = await stream(client)
    response = await client.post("v1/messages", json=message_body(stream=True), headers={"x-emulator-fault": "crlf"})

    assert response.text.startswith("event: message_start\r\ndata: ")
    assert "\n" not in response.text.replace("\r\n", "")
    assert text_of(parse_sse(response.text.replace("\r\n", "\n"))) == text_of(clean)


async def test_slow_first_token_fault_delays_the_first_delta(client: httpx.AsyncClient) -> None:
    arrivals: dict[str, float] = {}
    started = time.perf_counter()
    headers = {"x-emulator-fault": "slow-first-token", "x-emulator-delay-ms": "300"}
    async with client.stream("POST", "v1/messages", json=message_body(stream=True), headers=headers) as r:
        async for line in r.aiter_lines():
            for marker in ("message_start", "text_delta", "message_stop"):
                if f'"type":"{marker}"' in line:
                    arrivals.setdefault(marker, time.perf_counter() - started)

    assert arrivals["message_start"] < 0.1
    assert 0.3 <= arrivals["text_delta"] < 0.6
    assert "message_stop" in arrivals


async def test_counted_fault_fails_only_the_first_n_requests(client: httpx.AsyncClient) -> None:
    statuses = [
        (await client.post("v1/messages", json=message_body(), headers={"x-emulator-fault": "529*2"})).status_code
        for _ in range(4)
    ]
    other_spec = await client.post("v1/messages", json=message_body(model="fault-529*1"))

    assert statuses == [529, 529, 200, 200]
    assert other_spec.status_code == 529  # counted per spec string


def test_every_fault_is_documented() -> None:
    assert all(f"``{name}``\n" in (faults.__doc__ or "") for name in FAULT_NAMES)


# --- the HTTP server ---


async def send_noting_local_port(
    client: httpx.AsyncClient, body: dict[str, Any], **headers: str
) -> tuple[httpx.Response, int]:
    """The response, and the client-side port of the connection that carried it."""
    async with client.stream("POST", "v1/messages", json=body, headers=headers) as response:
        port = response.extensions["network_stream"].get_extra_info("client_addr")[1]
        await response.aread()
    return response, port


async def test_keep_alive_serves_requests_over_one_connection(client: httpx.AsyncClient) -> None:
    first, first_port = await send_noting_local_port(client, message_body(stream=True))
    _, second_port = await send_noting_local_port(client, message_body())
    _, third_port = await send_noting_local_port(client, message_body(model="fault-529"))

    assert first.headers["connection"] == "keep-alive"
    assert first_port == second_port == third_port


async def test_connection_close_is_honoured(client: httpx.AsyncClient) -> None:
    first, first_port = await send_noting_local_port(client, message_body(), connection="close")
    _, second_port = await send_noting_local_port(client, message_body())

    assert first.headers["connection"] == "close"
    assert first_port != second_port


async def test_client_disconnects_mid_stream_are_quiet(client: httpx.AsyncClient) -> None:
    headers = {"x-emulator-reply-tokens": "5000", "x-emulator-pace": "2000"}
    async with client.stream("POST", "v1/messages", json=message_body(stream=True), headers=headers) as r:
        async for _ in r.aiter_bytes():
            break
    await asyncio.sleep(0.05)  # let the server hit the closed socket (nothing_logged checks it stays quiet)

    assert (await client.post("v1/messages", json=message_body())).status_code == 200


async def test_stop_closes_idle_keep_alive_connections(emu: Emulator, client: httpx.AsyncClient) -> None:
    await client.post("v1/messages", json=message_body())
    started = time.perf_counter()
    await emu.stop()

    assert time.perf_counter() - started < 0.5
    with pytest.raises(httpx.TransportError):
        await client.post("v1/messages", json=message_body())


# --- the official SDK, EmulatorThread and the CLI entry point ---


async def test_official_async_sdk_streams_from_an_in_loop_emulator(emu: Emulator) -> None:
    # closed inside the test's loop: left to the garbage collector, it would close on a dead loop
    async with (
        anthropic.AsyncAnthropicFoundry(api_key=emu.api_key, base_url=emu.base_url, max_retries=0) as client,
        client.messages.stream(
            model="claude-haiku-4-5", max_tokens=50, messages=[{"role": "user", "content": "Explain UDP"}]
        ) as sdk_stream,
    ):
        final = await sdk_stream.get_final_message()

    assert (final.stop_reason, final.usage.output_tokens) == ("max_tokens", 50)
    assert len(split_into_deltas(final.content[0].text)) == 50


@pytest.fixture
def emu_thread() -> Any:
    with EmulatorThread(EmulatorConfig(pace=0)) as emulator:
        yield emulator


def test_official_sdk_streams_the_full_reply(emu_thread: EmulatorThread) -> None:
    client = anthropic.AnthropicFoundry(api_key=emu_thread.api_key, base_url=emu_thread.base_url, max_retries=0)
    request = {"model": "claude-opus-4-5", "max_tokens": 1024, "messages": [{"role": "user", "content": "Explain TCP"}]}
    with client.messages.stream(**request) as sdk_stream:
        streamed_text = "".join(sdk_stream.text_stream)
        final = sdk_stream.get_final_message()
    created = client.messages.create(**request)

    assert streamed_text == final.content[0].text == created.content[0].text
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == len(split_into_deltas(streamed_text)) == created.usage.output_tokens
    assert final.usage.input_tokens == created.usage.input_tokens > 0


def test_official_sdk_streams_thinking_with_a_bearer_token(emu_thread: EmulatorThread) -> None:
    client = anthropic.AnthropicFoundry(
        azure_ad_token_provider=lambda: emu_thread.api_key, base_url=emu_thread.base_url, max_retries=0
    )
    with client.messages.stream(
        model="claude-opus-4-5",
        max_tokens=4096,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[{"role": "user", "content": "Plan a migration"}],
    ) as sdk_stream:
        final = sdk_stream.get_final_message()

    assert [block.type for block in final.content] == ["thinking", "text"]
    assert final.content[0].signature and final.content[1].text


def test_official_sdk_retries_through_a_counted_rate_limit(emu_thread: EmulatorThread) -> None:
    client = anthropic.AnthropicFoundry(api_key=emu_thread.api_key, base_url=emu_thread.base_url, max_retries=2)
    started = time.perf_counter()
    message = client.messages.create(
        model="claude-haiku-4-5",
        max_tokens=64,
        messages=[{"role": "user", "content": "hi"}],
        extra_headers={"x-emulator-fault": "429*2", "x-emulator-retry-after-ms": "50"},
    )

    assert message.content[0].text
    assert time.perf_counter() - started < 1.0


def test_official_sdk_raises_typed_errors(emu_thread: EmulatorThread) -> None:
    client = anthropic.AnthropicFoundry(api_key="wrong", base_url=emu_thread.base_url, max_retries=0)
    with pytest.raises(anthropic.AuthenticationError):
        client.messages.create(model="claude-opus-4-5", max_tokens=8, messages=[{"role": "user", "content": "hi"}])


def test_emulator_thread_reports_a_busy_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        emulator = EmulatorThread(EmulatorConfig(port=taken.getsockname()[1]))
        with pytest.raises(OSError):
            emulator.start()


def test_serve_forever_prints_how_to_connect_and_stops_cleanly_on_ctrl_c() -> None:
    code = (
        "from foundry_tui.emulator.server import EmulatorConfig, serve_forever\n"
        "raise SystemExit(serve_forever(EmulatorConfig(api_key='secret', pace=0)))"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(3)]
        base_url = banner[0].removeprefix("Foundry emulator listening on ").strip()
        response = httpx.post(
            base_url + "v1/messages", json=message_body(), headers={"api-key": "secret", **VERSION}, timeout=5
        )
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=5)
    finally:
        process.kill()

    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/anthropic/", base_url)
    assert banner[1] == "API key: secret\n"
    assert f"ANTHROPIC_FOUNDRY_BASE_URL={base_url} ANTHROPIC_FOUNDRY_API_KEY=secret" in banner[2]
    assert response.status_code == 200
    assert process.returncode == 0
    assert "Traceback" not in stderr
