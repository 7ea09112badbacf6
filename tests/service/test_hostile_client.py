"""FoundryClient against a hostile server (httpx.MockTransport): odd statuses, huge bodies, silence."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from helpers import sse_event, text_turn

from foundry_tui.service import assembler as assembler_module
from foundry_tui.service.auth import ApiKeyAuth
from foundry_tui.service.client import MAX_ERROR_BODY_BYTES, FoundryClient
from foundry_tui.service.errors import (
    AuthenticationError,
    ClientBug,
    FoundryError,
    IdleTimeout,
    UnexpectedResponse,
)
from foundry_tui.service.events import Done, Failed, StreamEvent
from foundry_tui.service.messages import MessageRequest
from foundry_tui.service.retry import RetryPolicy

REQUEST = MessageRequest(model="dep", messages=[{"role": "user", "content": "hi"}], max_tokens=64)
PING = sse_event("ping")


class Reads(httpx.AsyncByteStream):
    """A body arriving read by read, with optional pauses (seconds) before reads; counts what was read."""

    def __init__(self, chunks: list[bytes | float], *, then_stall: bool = False) -> None:
        self.chunks = chunks
        self.then_stall = then_stall
        self.bytes_read = 0
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            if isinstance(chunk, float):
                await asyncio.sleep(chunk)
                continue
            self.bytes_read += len(chunk)
            yield chunk
        if self.then_stall:
            await asyncio.Event().wait()

    async def aclose(self) -> None:
        self.closed = True


async def run(response: httpx.Response, **client_options: Any) -> tuple[list[StreamEvent], float]:
    client = FoundryClient(
        "http://h/anthropic/",
        ApiKeyAuth("secret-key"),
        retry=RetryPolicy(max_retries=0),
        transport=httpx.MockTransport(lambda request: response),
        **client_options,
    )
    started = time.perf_counter()
    try:
        async with asyncio.timeout(10):
            events = [event async for event in client.stream(REQUEST)]
    finally:
        await client.aclose()
    return events, time.perf_counter() - started


def failed(events: list[StreamEvent], cls: type[FoundryError]) -> Failed:
    last = events[-1]
    assert isinstance(last, Failed), last
    assert isinstance(last.error, cls), last.error
    assert last.error.hint and "\n" not in last.error.message
    return last


@pytest.mark.parametrize(
    "status, content_type, body, expected",
    [
        (200, "text/html", b"<html><title>Sign in \x1b]0;pwned\x07to Wi-Fi</title></html>", "Sign in"),
        (200, "application/json", b'{"id": "msg_1", "type": "message", "content": []}', '"type": "message"'),
        (200, "", b"", "empty body"),
        (302, "text/plain", b"moved", "moved"),
    ],
)
async def test_a_success_status_without_an_event_stream_says_what_it_was(
    status: int, content_type: str, body: bytes, expected: str
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    events, _ = await run(httpx.Response(status, headers=headers, content=body))
    error = failed(events, UnexpectedResponse).error
    assert error.summary().startswith(f"{status} unexpected response") and expected in error.message
    assert (content_type or "no content type") in error.message
    assert "\x1b" not in error.message and "\x07" not in error.message
    assert error.status == status


async def test_an_error_body_is_read_up_to_a_cap() -> None:
    body = Reads([b"<html><title>Denied</title>" + b"x" * 65536] + [b"y" * 65536] * 800)  # 51 MB
    events, _ = await run(httpx.Response(401, headers={"content-type": "text/html"}, stream=body))
    error = failed(events, AuthenticationError).error
    assert "Denied" in error.message
    assert body.bytes_read <= MAX_ERROR_BODY_BYTES + 65536 + 100


async def test_pings_alone_end_the_turn_at_the_idle_limit_and_keep_the_text() -> None:
    chunks: list[bytes | float] = [text_turn("kept", stop=False)] + [0.05, PING] * 200
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Reads(chunks))
    events, elapsed = await run(response, idle_timeout=0.4)
    last = failed(events, IdleTimeout)
    assert last.result.text == "kept"
    assert "0.4" in last.error.message
    assert 0.35 < elapsed < 2.0


async def test_silence_before_any_content_ends_at_the_idle_limit() -> None:
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Reads([], then_stall=True))
    events, elapsed = await run(response, idle_timeout=0.3)
    failed(events, IdleTimeout)
    assert elapsed < 2.0


async def test_slow_content_within_the_idle_limit_is_fine() -> None:
    reply = text_turn("a", "b", "c")
    chunks: list[bytes | float] = []
    for piece in reply.split(b"\n\n")[:-1]:
        chunks += [0.1, piece + b"\n\n"]
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Reads(chunks))
    events, _ = await run(response, idle_timeout=0.3)
    assert isinstance(events[-1], Done) and events[-1].result.text == "abc"


def test_the_idle_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        FoundryClient("http://h/anthropic/", ApiKeyAuth("k"), idle_timeout=0)


async def test_header_values_are_bounded() -> None:
    headers = {"content-type": "text/event-stream", "request-id": "r" * 10_000, "apim-request-id": "a" * 10_000}
    events, _ = await run(httpx.Response(200, headers=headers, content=text_turn("ok")))
    result = events[-1].result  # type: ignore[union-attr]
    assert len(result.request_id) <= 200 and len(result.apim_request_id) <= 200


async def test_an_unexpected_exception_ends_the_turn_as_failed_with_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    original = assembler_module.MessageAssembler._on_block_stop

    def explode(self: Any, payload: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(assembler_module.MessageAssembler, "_on_block_stop", explode)
    events, _ = await run(httpx.Response(200, headers={"content-type": "text/event-stream"}, content=text_turn("kept")))
    last = failed(events, ClientBug)
    assert last.result.text == "kept" and "RuntimeError" in last.error.message
    assert original is not explode


@pytest.mark.parametrize("request_id", [["req_1"], {"a": 1}, 7, "r" * 10_000])
async def test_an_error_body_request_id_must_be_a_short_string(request_id: Any) -> None:
    body = {"type": "error", "error": {"type": "api_error", "message": "down"}, "request_id": request_id}
    events, _ = await run(httpx.Response(500, json=body))
    error = failed(events, FoundryError).error
    assert error.request_id is None or (isinstance(error.request_id, str) and len(error.request_id) <= 200)
    assert "down" in error.message and error.ids() is not None


async def test_a_slow_consumer_is_never_cancelled_by_the_idle_limit() -> None:
    client = FoundryClient(
        "http://h/anthropic/",
        ApiKeyAuth("k"),
        idle_timeout=0.2,
        transport=httpx.MockTransport(
            lambda request: httpx.Response(
                200,
                headers={"content-type": "text/event-stream"},
                stream=Reads(list(text_turn("a", "b").partition(b"\n\n")[::2]) + [text_turn("c")]),
            )
        ),
    )
    events: list[StreamEvent] = []
    async for event in client.stream(REQUEST):
        events.append(event)
        await asyncio.sleep(0.3)  # longer than the idle limit, between reads: the consumer's own time
    await client.aclose()
    assert isinstance(events[-1], Done), events[-1]


async def test_cancelling_the_consumer_is_still_a_cancel_not_an_idle_timeout() -> None:
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Reads([], then_stall=True))
    task = asyncio.create_task(run(response, idle_timeout=5.0))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
